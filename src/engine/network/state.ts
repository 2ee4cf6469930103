// The network as plain data: hidden layers with a creation timestamp and a lineage per unit, one
// head per task.
// DEN's structural steps (selection, expansion, pruning, split) and checkpoints work on this form;
// training works on TF.js variables built from it (see network.ts).

/** A row-major matrix: rows × cols. For a layer, rows = units below (inputs), cols = units of the layer. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export interface HiddenLayer {
  W: Matrix;
  b: Float32Array;
  /** The task at which each unit was created (1 = the initial units). Non-decreasing: units are kept in creation order. */
  born: Int32Array;
  /**
   * Lineage: for a split copy, the index (in this layer, 0-based) of the unit it copies, which may
   * itself be a copy; NOT_A_COPY for every other unit; COPY_UNKNOWN for a unit born after task 1
   * that was loaded from a checkpoint written before lineage was recorded (format 2).
   * Indices are stable once a task completes: a task only appends units and only removes its own.
   */
  copyOf: Int32Array;
}

export const NOT_A_COPY = -1;
export const COPY_UNKNOWN = -2;

/** Lineage of `n` units that are not copies. */
export function notCopies(n: number): Int32Array {
  return new Int32Array(n).fill(NOT_A_COPY);
}

export interface Head {
  /** Rows = top-layer units visible to this head's task; cols = outputs. */
  W: Matrix;
  b: Float32Array;
}

export interface NetworkState {
  inputDim: number;
  layers: HiddenLayer[];
  /** heads[j] belongs to task j + 1; undefined until that task starts. */
  heads: (Head | undefined)[];
}

export function matrix(rows: number, cols: number, data?: Float32Array): Matrix {
  const d = data ?? new Float32Array(rows * cols);
  if (d.length !== rows * cols) throw new Error(`matrix data has ${d.length} values, expected ${rows}×${cols}`);
  return { rows, cols, data: d };
}

export function cloneMatrix(m: Matrix): Matrix {
  return { rows: m.rows, cols: m.cols, data: m.data.slice() };
}

export function cloneState(s: NetworkState): NetworkState {
  return {
    inputDim: s.inputDim,
    layers: s.layers.map((l) => ({ W: cloneMatrix(l.W), b: l.b.slice(), born: l.born.slice(), copyOf: l.copyOf.slice() })),
    heads: s.heads.map((h) => (h ? { W: cloneMatrix(h.W), b: h.b.slice() } : undefined)),
  };
}

/** Units per hidden layer. */
export function layerSizes(s: NetworkState): number[] {
  return s.layers.map((l) => l.b.length);
}

/** Units per hidden layer that task `task` may use (timestamped inference: those born at or before it). */
export function visibleSizes(s: NetworkState, task: number): number[] {
  return s.layers.map((l) => {
    let n = 0;
    while (n < l.born.length && l.born[n] <= task) n++;
    return n;
  });
}

/** Number of tasks that have a head. */
export function headCount(s: NetworkState): number {
  return s.heads.filter(Boolean).length;
}

/** Parameters of the model: hidden weights and biases plus every head at its own width. */
export function paramCounts(s: NetworkState): { total: number; nonZero: number } {
  let total = 0;
  let nonZero = 0;
  const count = (a: Float32Array) => {
    total += a.length;
    for (let i = 0; i < a.length; i++) if (a[i] !== 0) nonZero++;
  };
  for (const l of s.layers) {
    count(l.W.data);
    count(l.b);
  }
  for (const h of s.heads) {
    if (!h) continue;
    count(h.W.data);
    count(h.b);
  }
  return { total, nonZero };
}

/** Checks every shape and timestamp; throws an Error naming the first inconsistency. */
export function checkState(s: NetworkState): void {
  if (!(s.inputDim > 0)) throw new Error(`inputDim must be positive, got ${s.inputDim}`);
  if (s.layers.length === 0) throw new Error('the network has no hidden layer');
  let below = s.inputDim;
  s.layers.forEach((l, i) => {
    const n = l.b.length;
    if (l.W.rows !== below || l.W.cols !== n) throw new Error(`layer ${i + 1}: weights are ${l.W.rows}×${l.W.cols}, expected ${below}×${n}`);
    if (l.W.data.length !== l.W.rows * l.W.cols) throw new Error(`layer ${i + 1}: weight data length ${l.W.data.length} does not match ${l.W.rows}×${l.W.cols}`);
    if (l.born.length !== n) throw new Error(`layer ${i + 1}: ${l.born.length} timestamps for ${n} units`);
    for (let u = 1; u < n; u++) {
      if (l.born[u] < l.born[u - 1]) throw new Error(`layer ${i + 1}: unit timestamps are not in creation order at unit ${u}`);
    }
    if (n > 0 && l.born[0] < 1) throw new Error(`layer ${i + 1}: timestamps must be ≥ 1`);
    if (l.copyOf.length !== n) throw new Error(`layer ${i + 1}: lineage of ${l.copyOf.length} units for ${n} units`);
    for (let u = 0; u < n; u++) {
      const o = l.copyOf[u];
      if (o === NOT_A_COPY || (o === COPY_UNKNOWN && l.born[u] > 1)) continue;
      // a copy is born after its original, which must exist
      if (!(o >= 0 && o < n && l.born[o] < l.born[u])) throw new Error(`layer ${i + 1}: unit ${u + 1} is recorded as a copy of ${o >= 0 ? `unit ${o + 1}` : o}, which is not an earlier unit of the layer`);
    }
    below = n;
  });
  s.heads.forEach((h, j) => {
    if (!h) return;
    const visible = visibleSizes(s, j + 1);
    const top = visible[visible.length - 1];
    if (h.W.rows !== top) throw new Error(`head of task ${j + 1}: has ${h.W.rows} rows but task ${j + 1} sees ${top} top-layer units`);
    if (h.W.cols !== h.b.length || h.W.cols < 1) throw new Error(`head of task ${j + 1}: ${h.W.cols} outputs but ${h.b.length} biases`);
    if (h.W.data.length !== h.W.rows * h.W.cols) throw new Error(`head of task ${j + 1}: weight data length does not match its shape`);
  });
}
