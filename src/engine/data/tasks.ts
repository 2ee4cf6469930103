// Task streams: how one data set becomes a sequence of tasks. A task never copies the features:
// it keeps the shared Dataset, the rows it uses and a per-task transform (pixel permutation or
// rotation table), and fill() builds mini-batches on the fly (materialized() copies them for a
// training stage that reads them several times).
import { TaskStreamConfig } from '../experiment';
import { Rng, permutation } from '../random';
import { DataError, DataSplits, Dataset } from './dataset';

export interface TaskData {
  count: number;
  features: number;
  /** 1 for a binary task, else the number of classes of the head. */
  outputs: number;
  /** Target of each example: the output index (0..outputs-1), or 0/1 for binary tasks. */
  targets: Int32Array;
  /** Writes examples indices[start..end) into x (row-major, features each, values in [0,1]) and their targets into y (one-hot rows of `outputs` values, or a single 0/1 per row when outputs === 1). */
  fill(indices: ArrayLike<number>, start: number, end: number, x: Float32Array, y: Float32Array): void;
  /** What materialized() returns for this data, when it knows a smaller form than float rows. */
  materialize?(): TaskData;
  /** The data set whose rows these examples are, in order and untransformed (example e is its row e), where that holds: parts with the same `inputs` fill the same inputs (one-vs-rest's tasks). */
  inputs?: object;
}

export interface Task {
  /** 1-based. */
  index: number;
  name: string;
  outputs: number;
  train: TaskData;
  validation: TaskData;
  test: TaskData;
}

/** Raw image bytes v (Uint8 data) mean v/255. */
const BYTE_SCALE = 1 / 255;

/** Throws a RangeError if fill(indices, start, end, x, y) asks for rows or room that `data` does not have. */
function checkFill(data: Pick<TaskData, 'count' | 'features' | 'outputs'>, indices: ArrayLike<number>, start: number, end: number, x: Float32Array, y: Float32Array): void {
  const n = end - start;
  if (start < 0 || end > indices.length || n < 0) throw new RangeError(`fill: range ${start}..${end} outside 0..${indices.length}`);
  if (x.length < n * data.features || y.length < n * data.outputs) {
    throw new RangeError(`fill: buffers too small for ${n} rows (x needs ${n * data.features}, y needs ${n * data.outputs})`);
  }
  for (let r = start; r < end; r++) {
    const e = indices[r];
    if (!(e >= 0 && e < data.count)) throw new RangeError(`fill: example ${e} out of range 0..${data.count - 1}`);
  }
}

/** Writes the targets of examples indices[start..end) into y: one-hot rows, or one 0/1 per row when outputs === 1. */
function fillTargets(targets: Int32Array, outputs: number, indices: ArrayLike<number>, start: number, end: number, y: Float32Array): void {
  y.fill(0, 0, (end - start) * outputs);
  for (let r = 0; r < end - start; r++) {
    const e = indices[start + r];
    if (outputs === 1) y[r] = targets[e];
    else y[r * outputs + targets[e]] = 1;
  }
}

/**
 * Examples whose inputs are rows of `x` already in memory, in order: example e is row rows[e]
 * (row e when rows is null). fill() copies rows; raw image bytes are converted by the typed-array
 * copy and then scaled by 1/255: the same floats as v/255 one by one.
 */
export function storedRows(x: Float32Array | Uint8Array, features: number, rows: Int32Array | null, targets: Int32Array, outputs: number): TaskData {
  const data: TaskData = {
    count: targets.length,
    features,
    outputs,
    targets,
    fill(indices, start, end, xb, yb) {
      checkFill(data, indices, start, end, xb, yb);
      for (let r = 0; r < end - start; r++) {
        const row = rows ? rows[indices[start + r]] : indices[start + r];
        xb.set(x.subarray(row * features, (row + 1) * features), r * features);
      }
      if (x instanceof Uint8Array) for (let j = 0; j < (end - start) * features; j++) xb[j] *= BYTE_SCALE;
      fillTargets(targets, outputs, indices, start, end, yb);
    },
    materialize: () => data,
  };
  return data;
}

/**
 * The same examples, transformed once into memory: a stage that passes over permuted or rotated
 * data several times then copies rows instead of transforming every pixel of every batch again.
 * fill() gives exactly the floats of `data`. Permuted pixels keep the source's element type (raw
 * image bytes stay bytes: 5.6 MB for 7,200 MNIST digits instead of 22.6 MB of floats); rows that
 * are already in memory are not copied; anything else becomes float rows.
 */
export function materialized(data: TaskData): TaskData {
  if (data.materialize) return data.materialize();
  const x = new Float32Array(data.count * data.features);
  data.fill(Int32Array.from({ length: data.count }, (_, i) => i), 0, data.count, x, new Float32Array(data.count * data.outputs));
  return storedRows(x, data.features, null, data.targets, data.outputs);
}

/** How a task turns a source row into its input row. */
type Transform =
  | { kind: 'identity' }
  | { kind: 'permute'; perm: Int32Array }
  /** Bilinear sampling: output pixel p = Σk weights[4p+k] · source[src[4p+k]]. */
  | { kind: 'sample'; src: Int32Array; weights: Float32Array };

/**
 * A TaskData over the rows `rows` of ds (all rows when null) with the given targets.
 * Validation and test parts get the same transform as training, so a task means the same input space.
 */
function makeTaskData(ds: Dataset, rows: Int32Array | null, targets: Int32Array, outputs: number, transform: Transform): TaskData {
  if (transform.kind === 'identity') {
    const data = storedRows(ds.x, ds.features, rows, targets, outputs);
    if (!rows) data.inputs = ds;
    return data;
  }
  const f = ds.features;
  const src = ds.x;
  const scale = src instanceof Uint8Array ? BYTE_SCALE : 1;
  const data: TaskData = {
    count: targets.length,
    features: f,
    outputs,
    targets,
    fill(indices, start, end, x, y) {
      checkFill(data, indices, start, end, x, y);
      for (let r = 0; r < end - start; r++) {
        const e = indices[start + r];
        const base = (rows ? rows[e] : e) * f;
        const o = r * f;
        if (transform.kind === 'permute') {
          const perm = transform.perm;
          for (let j = 0; j < f; j++) x[o + j] = src[base + perm[j]] * scale;
        } else {
          const s = transform.src;
          const w = transform.weights;
          for (let j = 0, k = 0; j < f; j++, k += 4) {
            x[o + j] = (w[k] * src[base + s[k]] + w[k + 1] * src[base + s[k + 1]] + w[k + 2] * src[base + s[k + 2]] + w[k + 3] * src[base + s[k + 3]]) * scale;
          }
        }
      }
      fillTargets(targets, outputs, indices, start, end, y);
    },
  };
  // permuted pixels are materialized in the source's element type; sampled ones become floats (materialized())
  if (transform.kind === 'permute') data.materialize = () => storedRows(permutedRows(ds, rows, targets.length, transform.perm), f, null, targets, outputs);
  return data;
}

/** The rows `rows` of ds (the first `count` when null) with their features in the order of perm, in the source's element type. */
function permutedRows(ds: Dataset, rows: Int32Array | null, count: number, perm: Int32Array): Float32Array | Uint8Array {
  const f = ds.features;
  const src = ds.x;
  const x = src instanceof Uint8Array ? new Uint8Array(count * f) : new Float32Array(count * f);
  for (let e = 0; e < count; e++) {
    const base = (rows ? rows[e] : e) * f;
    for (let j = 0, o = e * f; j < f; j++) x[o + j] = src[base + perm[j]];
  }
  return x;
}

/**
 * The sampling table of a rotation by `degrees` counter-clockwise about the image centre:
 * each output pixel reads the source at the inversely rotated position, bilinearly, with
 * zeros outside the image.
 */
export function rotationTable(height: number, width: number, degrees: number): { src: Int32Array; weights: Float32Array } {
  const n = height * width;
  const src = new Int32Array(4 * n);
  const weights = new Float32Array(4 * n);
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const cy = (height - 1) / 2;
  const cx = (width - 1) / 2;
  // cos(90°) is 6e-17, not 0: snap near-integer positions so right angles are exact pixel moves.
  const snap = (v: number): number => (Math.abs(v - Math.round(v)) < 1e-9 ? Math.round(v) : v);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      // Image rows grow downwards, so use y = cy - r to rotate in the usual (y-up) sense.
      const dx = c - cx;
      const dy = cy - r;
      const sx = snap(cx + dx * cos + dy * sin);
      const sy = snap(cy - (-dx * sin + dy * cos));
      const r0 = Math.floor(sy);
      const c0 = Math.floor(sx);
      const fr = sy - r0;
      const fc = sx - c0;
      const k = 4 * (r * width + c);
      const corners: [number, number, number][] = [
        [r0, c0, (1 - fr) * (1 - fc)],
        [r0, c0 + 1, (1 - fr) * fc],
        [r0 + 1, c0, fr * (1 - fc)],
        [r0 + 1, c0 + 1, fr * fc],
      ];
      corners.forEach(([rr, cc, w], q) => {
        const inside = rr >= 0 && rr < height && cc >= 0 && cc < width && w > 0;
        src[k + q] = inside ? rr * width + cc : 0;
        weights[k + q] = inside ? w : 0;
      });
    }
  }
  return { src, weights };
}

function allClasses(splits: DataSplits): number[] {
  const seen = new Set<number>();
  for (const ds of [splits.train, splits.validation, splits.test]) for (let i = 0; i < ds.count; i++) seen.add(ds.labels[i]);
  return [...seen].sort((a, b) => a - b);
}

/** Rows of ds whose label is in `group`, and each row's position of its label in the group. */
function selectGroup(ds: Dataset, group: number[]): { rows: Int32Array; targets: Int32Array } {
  const position = new Map(group.map((c, i) => [c, i]));
  const rows: number[] = [];
  const targets: number[] = [];
  for (let i = 0; i < ds.count; i++) {
    const p = position.get(ds.labels[i]);
    if (p !== undefined) {
      rows.push(i);
      targets.push(p);
    }
  }
  return { rows: Int32Array.from(rows), targets: Int32Array.from(targets) };
}

function countLabel(ds: Dataset, c: number): number {
  let n = 0;
  for (let i = 0; i < ds.count; i++) if (ds.labels[i] === c) n++;
  return n;
}

/** The pixel order of permuted task `task`: its input j reads source feature perm[j]. */
export function taskPermutation(features: number, seed: number, task: number): Int32Array {
  return permutation(features, new Rng(seed).fork('permutation-' + task));
}

/** Builds the tasks of a stream over the splits; `seed` is the data seed (permutations derive from it). */
export function buildTasks(stream: TaskStreamConfig, splits: DataSplits, seed: number): Task[] {
  const parts = ['train', 'validation', 'test'] as const;
  const classes = allClasses(splits);
  // Multi-class heads have one output per class present in the data; labels map to output indices
  // (the identity for labels 0..K-1 such as MNIST).
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const classTargets = (ds: Dataset): Int32Array => Int32Array.from(ds.labels, (l) => classIndex.get(l)!);
  const allClassTask = (index: number, name: string, transform: Transform): Task => {
    const task = { index, name, outputs: classes.length } as Task;
    for (const p of parts) task[p] = makeTaskData(splits[p], null, classTargets(splits[p]), classes.length, transform);
    return task;
  };

  switch (stream.type) {
    case 'permuted':
      return Array.from({ length: stream.count }, (_, k) => {
        const i = k + 1;
        const perm = taskPermutation(splits.train.features, seed, i);
        return allClassTask(i, `permuted-${i}`, { kind: 'permute', perm });
      });

    case 'rotated': {
      const shape = splits.train.imageShape;
      if (!shape || shape[0] * shape[1] !== splits.train.features) {
        throw new DataError('rotated tasks need image data: the features must be the pixels of an image; for CSV data set data.imageShape to [height, width]');
      }
      return stream.angles.map((angle, k) => allClassTask(k + 1, `rotated-${angle}`, { kind: 'sample', ...rotationTable(shape[0], shape[1], angle) }));
    }

    case 'split':
      return stream.groups.map((group, k) => {
        const name = `split-${group.join('-')}`;
        for (const c of group) {
          if (countLabel(splits.train, c) === 0) {
            throw new DataError(`tasks.groups[${k}] (${name}): class ${c} has no training examples; the data has classes ${classes.join(', ')}`);
          }
        }
        const task = { index: k + 1, name, outputs: group.length } as Task;
        for (const p of parts) {
          const { rows, targets } = selectGroup(splits[p], group);
          task[p] = makeTaskData(splits[p], rows, targets, group.length, { kind: 'identity' });
        }
        return task;
      });

    case 'one-vs-rest': {
      const chosen = stream.classes ?? classes;
      return chosen.map((c, k) => {
        const name = `class-${c}-vs-rest`;
        if (countLabel(splits.train, c) === 0) {
          throw new DataError(`tasks.classes[${k}] (${name}): class ${c} has no training examples; the data has classes ${classes.join(', ')}`);
        }
        const task = { index: k + 1, name, outputs: 1 } as Task;
        for (const p of parts) {
          task[p] = makeTaskData(splits[p], null, Int32Array.from(splits[p].labels, (l) => (l === c ? 1 : 0)), 1, { kind: 'identity' });
        }
        return task;
      });
    }
  }
}
