// A checkpoint is the network after a completed task, in a folder of two files:
//   network.json  the structure (format, version, input size, unit timestamps, heads) and a
//                 TF.js-style weights manifest (name, shape, dtype of each array, in order),
//                 with the byte length and SHA-256 of weights.bin;
//   weights.bin   the arrays, little-endian float32 (timestamps int32), concatenated.
// The folder is written atomically; loading checks everything before building anything, so a
// truncated or corrupt checkpoint is rejected with a clear error and never half-loaded.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeDirAtomic, writeFileAtomic, writeJsonAtomic } from '../atomicFile';
import { Head, HiddenLayer, NetworkState, checkState, matrix } from '../network/state';

export const CHECKPOINT_FORMAT = 'den-lab-network';
export const CHECKPOINT_VERSION = 1;

/** A checkpoint that cannot be loaded; the message names the folder and the problem. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

interface NetworkJson {
  format: string;
  formatVersion: number;
  inputDim: number;
  hiddenLayers: number;
  /** Tasks that have a head (1..tasks). */
  tasks: number;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  weightsBytes: number;
  weightsSha256: string;
  /** Anything the caller wants to keep with the network (task index, method, ...). */
  meta?: Record<string, unknown>;
}

function arraysOf(state: NetworkState): { spec: WeightSpec; data: Float32Array | Int32Array }[] {
  const out: { spec: WeightSpec; data: Float32Array | Int32Array }[] = [];
  state.layers.forEach((l, i) => {
    out.push({ spec: { name: `layer${i + 1}/W`, shape: [l.W.rows, l.W.cols], dtype: 'float32' }, data: l.W.data });
    out.push({ spec: { name: `layer${i + 1}/b`, shape: [l.b.length], dtype: 'float32' }, data: l.b });
    out.push({ spec: { name: `layer${i + 1}/born`, shape: [l.born.length], dtype: 'int32' }, data: l.born });
  });
  state.heads.forEach((h, j) => {
    if (!h) throw new Error(`task ${j + 1} has no head; a checkpoint needs a head for every task`);
    out.push({ spec: { name: `head${j + 1}/W`, shape: [h.W.rows, h.W.cols], dtype: 'float32' }, data: h.W.data });
    out.push({ spec: { name: `head${j + 1}/b`, shape: [h.b.length], dtype: 'float32' }, data: h.b });
  });
  return out;
}

/** Writes the network to the folder `dir` (which must not exist yet), atomically. */
export function saveCheckpoint(dir: string, state: NetworkState, meta: Record<string, unknown> = {}, extraFiles: Record<string, string> = {}): void {
  checkState(state);
  const arrays = arraysOf(state);
  const bytes = Buffer.concat(arrays.map((a) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)));
  const json: NetworkJson = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_VERSION,
    inputDim: state.inputDim,
    hiddenLayers: state.layers.length,
    tasks: state.heads.length,
    weightsManifest: [{ paths: ['weights.bin'], weights: arrays.map((a) => a.spec) }],
    weightsBytes: bytes.length,
    weightsSha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    meta,
  };
  writeDirAtomic(dir, (tmp) => {
    writeFileAtomic(path.join(tmp, 'weights.bin'), bytes);
    writeJsonAtomic(path.join(tmp, 'network.json'), json);
    for (const [name, text] of Object.entries(extraFiles)) writeFileAtomic(path.join(tmp, name), text);
  });
}

function fail(dir: string, problem: string): never {
  throw new CheckpointError(`checkpoint ${dir}: ${problem}`);
}

/** Loads and fully checks a checkpoint folder. */
export function loadCheckpoint(dir: string): { state: NetworkState; meta: Record<string, unknown> } {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'network.json'), 'utf8');
  } catch {
    fail(dir, 'network.json is missing; the task did not complete or the folder was damaged');
  }
  let json: NetworkJson;
  try {
    json = JSON.parse(text) as NetworkJson;
  } catch {
    fail(dir, 'network.json is not valid JSON (truncated or corrupt)');
  }
  if (json.format !== CHECKPOINT_FORMAT) fail(dir, `network.json is not a DEN Lab network (format ${JSON.stringify(json.format)})`);
  if (json.formatVersion !== CHECKPOINT_VERSION) {
    fail(dir, `format version ${json.formatVersion} is not supported (this DEN Lab reads version ${CHECKPOINT_VERSION})${json.formatVersion > CHECKPOINT_VERSION ? '; update DEN Lab' : ''}`);
  }
  const specs = json.weightsManifest?.[0]?.weights;
  if (!Array.isArray(specs)) fail(dir, 'network.json has no weights manifest');
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(dir, 'weights.bin'));
  } catch {
    fail(dir, 'weights.bin is missing');
  }
  if (bytes.length !== json.weightsBytes) fail(dir, `weights.bin has ${bytes.length} bytes, expected ${json.weightsBytes} (truncated?)`);
  const sha = crypto.createHash('sha256').update(bytes).digest('hex');
  if (sha !== json.weightsSha256) fail(dir, 'weights.bin does not match its SHA-256 checksum (corrupt)');

  const arrays = new Map<string, Float32Array | Int32Array>();
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const end = offset + count * 4;
    if (!Number.isInteger(count) || count < 0 || end > bytes.length) fail(dir, `weight ${spec.name} does not fit in weights.bin`);
    const copy = new Uint8Array(bytes.subarray(offset, end)); // aligned copy
    arrays.set(spec.name, spec.dtype === 'int32' ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer));
    offset = end;
  }
  if (offset !== bytes.length) fail(dir, `weights.bin has ${bytes.length - offset} bytes that no weight describes`);
  const get = <T extends Float32Array | Int32Array>(name: string, ctor: new (...args: never[]) => T): T => {
    const a = arrays.get(name);
    if (!(a instanceof ctor)) fail(dir, `weight ${name} is missing or has the wrong type`);
    return a as T;
  };
  const shapeOf = (name: string): number[] => specs.find((s) => s.name === name)?.shape ?? fail(dir, `weight ${name} is missing`);

  let state: NetworkState;
  try {
    const layers: HiddenLayer[] = [];
    for (let i = 1; i <= json.hiddenLayers; i++) {
      const [rows, cols] = shapeOf(`layer${i}/W`);
      layers.push({ W: matrix(rows, cols, get(`layer${i}/W`, Float32Array)), b: get(`layer${i}/b`, Float32Array), born: get(`layer${i}/born`, Int32Array) });
    }
    const heads: Head[] = [];
    for (let j = 1; j <= json.tasks; j++) {
      const [rows, cols] = shapeOf(`head${j}/W`);
      heads.push({ W: matrix(rows, cols, get(`head${j}/W`, Float32Array)), b: get(`head${j}/b`, Float32Array) });
    }
    state = { inputDim: json.inputDim, layers, heads };
    checkState(state);
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    fail(dir, `inconsistent network: ${(err as Error).message}`);
  }
  return { state, meta: json.meta ?? {} };
}
