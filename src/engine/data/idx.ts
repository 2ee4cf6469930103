// The IDX format of the MNIST / Fashion-MNIST distribution files: a 4-byte magic (0, 0, type,
// number of dimensions), big-endian uint32 sizes, then the payload. Files may be gzipped.
import * as zlib from 'zlib';
import { DataError, Dataset, readDataFile } from './dataset';

const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = { 0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses an IDX file (plain or gzipped). Only unsigned-byte data is supported: that is what image and label files use. */
export function parseIdx(bytes: Uint8Array, file: string): { dims: number[]; data: Uint8Array } {
  if (isGzip(bytes)) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (err) {
      throw new DataError(`${file}: corrupt or truncated gzip data (${(err as Error).message}); download the file again`);
    }
  }
  if (bytes.length < 4) throw new DataError(`${file}: too short for an IDX file (${bytes.length} bytes); expected an IDX image or label file`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`${file}: not an IDX file (magic bytes ${magic}, expected 00 00 08 0N); expected an MNIST-style idx3-ubyte / idx1-ubyte file`);
  }
  const type = bytes[2];
  if (type !== UBYTE) {
    const name = TYPE_NAMES[type] ?? 'unknown type';
    throw new DataError(`${file}: IDX data type 0x${type.toString(16).padStart(2, '0')} (${name}) is not supported; only unsigned-byte (ubyte, 0x08) IDX files are supported`);
  }
  const ndims = bytes[3];
  if (ndims < 1 || ndims > 4) throw new DataError(`${file}: IDX header declares ${ndims} dimensions; expected 1 to 4`);
  const header = 4 + 4 * ndims;
  if (bytes.length < header) throw new DataError(`${file}: truncated IDX header: expected ${header} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let expected = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    expected *= d;
  }
  const actual = bytes.length - header;
  if (actual < expected) {
    throw new DataError(`${file}: truncated IDX data: dimensions ${dims.join('×')} need ${expected} bytes of data, the file has ${actual}; download the file again`);
  }
  if (actual > expected) {
    throw new DataError(`${file}: ${actual - expected} unexpected trailing bytes after the IDX data (dimensions ${dims.join('×')} need ${expected} bytes, the file has ${actual})`);
  }
  // A view, not a copy: the payload can be tens of megabytes.
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + header, expected) };
}

/** Encodes unsigned-byte data as an IDX file, gzipped when `gzip` is set (tests and the build use it). */
export function encodeIdx(dims: number[], data: Uint8Array, gzip = false, level = 9): Uint8Array {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (dims.length < 1 || dims.length > 4) throw new RangeError(`encodeIdx: ${dims.length} dimensions; expected 1 to 4`);
  if (data.length !== expected) throw new RangeError(`encodeIdx: data has ${data.length} bytes, dimensions ${dims.join('×')} need ${expected}`);
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  const view = new DataView(out.buffer);
  out[2] = UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return gzip ? new Uint8Array(zlib.gzipSync(out, { level })) : out;
}

/** Images: a 3-D IDX file count×rows×cols. `field` names the experiment field for error hints. */
export function readIdxImages(file: string, field?: string): { count: number; rows: number; cols: number; data: Uint8Array } {
  const { dims, data } = parseIdx(readDataFile(file, field), file);
  if (dims.length !== 3) {
    throw new DataError(`${file}: expected an image file with 3 dimensions (count×rows×cols), got ${dims.length} (${dims.join('×')})${field ? `; check ${field} in the experiment` : ''}`);
  }
  if (dims[0] === 0 || dims[1] === 0 || dims[2] === 0) {
    throw new DataError(`${file}: ${dims[0]} images of ${dims[1]}×${dims[2]} pixels; an image file needs at least one image of at least 1×1 pixels${field ? `; check ${field} in the experiment` : ''}`);
  }
  return { count: dims[0], rows: dims[1], cols: dims[2], data };
}

/** Labels: a 1-D IDX file. */
export function readIdxLabels(file: string, field?: string): { count: number; data: Uint8Array } {
  const { dims, data } = parseIdx(readDataFile(file, field), file);
  if (dims.length !== 1) {
    throw new DataError(`${file}: expected a label file with 1 dimension, got ${dims.length} (${dims.join('×')})${field ? `; check ${field} in the experiment` : ''}`);
  }
  return { count: dims[0], data };
}

/** An images file and its labels file as one Dataset. `fields` name the experiment fields for error hints. */
export function loadIdxPair(imagesFile: string, labelsFile: string, fields: { images?: string; labels?: string } = {}): Dataset {
  const images = readIdxImages(imagesFile, fields.images);
  const labels = readIdxLabels(labelsFile, fields.labels);
  if (images.count !== labels.count) {
    throw new DataError(`${imagesFile} has ${images.count} images but ${labelsFile} has ${labels.count} labels; the two files must belong together`);
  }
  return {
    count: images.count,
    features: images.rows * images.cols,
    x: images.data,
    labels: Int32Array.from(labels.data),
    imageShape: [images.rows, images.cols],
  };
}
