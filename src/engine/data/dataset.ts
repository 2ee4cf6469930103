// The in-memory form every data source is turned into, and the one error type of the data layer.
import * as fs from 'fs';

/** Bad or missing data; the message names the file and what is wrong, and says what to do. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** A labelled set of examples with features in [0,1]. */
export interface Dataset {
  count: number;
  features: number;
  /** row-major count×features. Uint8Array values mean v/255 (raw image bytes); Float32Array values are already in [0,1]. */
  x: Float32Array | Uint8Array;
  /** Class label per example (non-negative integers). */
  labels: Int32Array;
  /** [height, width] when features are image pixels row by row. */
  imageShape?: [number, number];
}

/** The train/validation/test parts of one data configuration. */
export interface DataSplits {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
  /** One line for logs and the UI, e.g. "embedded MNIST: 7200 train / 800 validation / 2000 test". */
  description: string;
}

/** Sorted distinct labels. */
export function classesOf(ds: Dataset): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < ds.count; i++) seen.add(ds.labels[i]);
  return [...seen].sort((a, b) => a - b);
}

/** A new Dataset holding copies of the given rows, in the given order. */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const n = indices.length;
  const f = ds.features;
  // Same element type as the source, so raw image bytes stay 1 byte per value.
  const x = ds.x instanceof Uint8Array ? new Uint8Array(n * f) : new Float32Array(n * f);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const i = indices[r];
    if (!Number.isInteger(i) || i < 0 || i >= ds.count) throw new RangeError(`subset: index ${i} out of range 0..${ds.count - 1}`);
    x.set(ds.x.subarray(i * f, (i + 1) * f), r * f);
    labels[r] = ds.labels[i];
  }
  const out: Dataset = { count: n, features: f, x, labels };
  if (ds.imageShape) out.imageShape = [ds.imageShape[0], ds.imageShape[1]];
  return out;
}

/**
 * Reads a data file, turning fs errors into DataErrors that name the file and, when given,
 * the experiment field that points at it (e.g. "data.trainImages"), so the user knows what to fix.
 */
export function readDataFile(file: string, field?: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = field ? `; check ${field} in the experiment` : '';
    if (code === 'ENOENT') throw new DataError(`${file}: file not found${hint}`);
    if (code === 'EISDIR') throw new DataError(`${file}: is a directory, not a data file${hint}`);
    throw new DataError(`${file}: cannot read the file (${code ?? String(err)})${hint}`);
  }
}
