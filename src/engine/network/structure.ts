// DEN's structural steps as pure functions over NetworkState (no TF.js): breadth-first selection
// of the subnetwork a new task touches, expansion by k units, removal of units whose incoming
// group is zero, drift of old units, and split/duplication. Each returns a new state.
import { Rng, glorotUniform } from '../random';
import { Head, HiddenLayer, Matrix, NetworkState, cloneState, matrix, notCopies } from './state';

const isNonZero = (v: number, eps: number) => Math.abs(v) > eps;

/** The units (per hidden layer) and inputs that selective retraining may change. */
export interface Selection {
  inputs: Uint8Array;
  units: Uint8Array[];
}

/**
 * Breadth-first selection (Alg. 2): the top-layer units with a non-zero weight to any output of the
 * task's head, then, layer by layer downwards, every unit with a non-zero weight into a selected
 * unit above. Inputs likewise, unless `allInputs` (the reference code selects every input).
 */
export function selectSubnetwork(s: NetworkState, task: number, zeroEps: number, allInputs: boolean): Selection {
  const head = s.heads[task - 1];
  if (!head) throw new Error(`task ${task} has no head to select from`);
  const L = s.layers.length;
  const units: Uint8Array[] = s.layers.map((l) => new Uint8Array(l.b.length));
  const top = units[L - 1];
  for (let i = 0; i < head.W.rows; i++) {
    for (let o = 0; o < head.W.cols; o++) {
      if (isNonZero(head.W.data[i * head.W.cols + o], zeroEps)) {
        top[i] = 1;
        break;
      }
    }
  }
  const inputs = new Uint8Array(s.inputDim);
  for (let l = L - 1; l >= 0; l--) {
    const W = s.layers[l].W;
    const below = l > 0 ? units[l - 1] : inputs;
    const above = units[l];
    if (l === 0 && allInputs) {
      below.fill(1);
      break;
    }
    for (let r = 0; r < W.rows; r++) {
      const row = r * W.cols;
      for (let c = 0; c < W.cols; c++) {
        if (above[c] && isNonZero(W.data[row + c], zeroEps)) {
          below[r] = 1;
          break;
        }
      }
    }
  }
  return { inputs, units };
}

/**
 * Trainable-entry masks (1 = trains) for selective retraining: the weights among selected units,
 * or, with `nonZeroOnly`, only those that are non-zero (|w| > zeroEps): the connections the
 * sparse network has, so that retraining does not fill in the zeros L1 made.
 */
export function selectionMasks(s: NetworkState, sel: Selection, nonZeroOnly = false, zeroEps = 0): { W: Float32Array; b: Float32Array }[] {
  return s.layers.map((layer, l) => {
    const below = l > 0 ? sel.units[l - 1] : sel.inputs;
    const above = sel.units[l];
    const W = new Float32Array(layer.W.rows * layer.W.cols);
    for (let r = 0; r < layer.W.rows; r++) {
      if (!below[r]) continue;
      for (let c = 0; c < layer.W.cols; c++) {
        const i = r * layer.W.cols + c;
        if (above[c] && (!nonZeroOnly || isNonZero(layer.W.data[i], zeroEps))) W[i] = 1;
      }
    }
    return { W, b: Float32Array.from(above) };
  });
}

/**
 * Masks of what the current task owns: every weight that no earlier task can see, i.e. all entries
 * outside the [old units below] × [old units] block, and the biases of new units. `oldSizes` are
 * the hidden sizes when the task started.
 */
export function ownedMasks(s: NetworkState, oldSizes: number[]): { W: Float32Array; b: Float32Array }[] {
  return s.layers.map((layer, l) => {
    const oldRows = l > 0 ? oldSizes[l - 1] : s.inputDim;
    const oldCols = oldSizes[l];
    const W = new Float32Array(layer.W.rows * layer.W.cols).fill(1);
    for (let r = 0; r < oldRows; r++) W.fill(0, r * layer.W.cols, r * layer.W.cols + oldCols);
    const b = new Float32Array(layer.b.length);
    b.fill(1, oldCols);
    return { W, b };
  });
}

/** Copies a matrix into a larger/smaller one, mapping rows and columns through index lists (-1 = leave zero). */
function remap(src: Matrix, rowFrom: Int32Array, colFrom: Int32Array): Matrix {
  const out = matrix(rowFrom.length, colFrom.length);
  for (let r = 0; r < rowFrom.length; r++) {
    const sr = rowFrom[r];
    if (sr < 0) continue;
    for (let c = 0; c < colFrom.length; c++) {
      const sc = colFrom[c];
      if (sc >= 0) out.data[r * out.cols + c] = src.data[sr * src.cols + sc];
    }
  }
  return out;
}

const range = (n: number, extra = 0): Int32Array => {
  const a = new Int32Array(n + extra).fill(-1);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
};

/**
 * Adds k[l] units to every hidden layer for task `task` (Alg. 3). Every weight of a new unit is
 * Glorot-initialised: its incoming weights from all units below (old and new), and its outgoing
 * weights into every unit above (old ones included) and into the task's head, as in the reference
 * code. A unit that starts with zero outgoing weights would get no gradient at first, and the group
 * lasso, which judges a unit by its gradient, would remove it at once. Earlier tasks never see the
 * new units (timestamps), so only this task's outputs change.
 */
export function expandState(s: NetworkState, task: number, k: number[], rng: Rng): NetworkState {
  const out = cloneState(s);
  let rowsBefore = s.inputDim;
  let rowsAfter = s.inputDim;
  out.layers = s.layers.map((layer, l) => {
    const n = layer.b.length;
    const grown = remap(layer.W, range(rowsBefore, rowsAfter - rowsBefore), range(n, k[l]));
    const init = glorotUniform(rowsAfter * (n + k[l]), rowsAfter, n + k[l], rng);
    // new columns (incoming weights of the new units) and new rows (outgoing weights of the new units below)
    for (let r = 0; r < rowsAfter; r++) {
      for (let c = 0; c < n + k[l]; c++) if (r >= rowsBefore || c >= n) grown.data[r * grown.cols + c] = init[r * (n + k[l]) + c];
    }
    const b = new Float32Array(n + k[l]);
    b.set(layer.b);
    const born = new Int32Array(n + k[l]).fill(task);
    born.set(layer.born);
    const copyOf = notCopies(n + k[l]);
    copyOf.set(layer.copyOf);
    rowsBefore = n;
    rowsAfter = n + k[l];
    return { W: grown, b, born, copyOf };
  });
  const head = s.heads[task - 1];
  if (head) {
    const W = remap(head.W, range(head.W.rows, rowsAfter - head.W.rows), range(head.W.cols));
    const init = glorotUniform(W.data.length, rowsAfter, W.cols, rng);
    for (let i = head.W.data.length; i < W.data.length; i++) W.data[i] = init[i];
    out.heads[task - 1] = { W, b: head.b.slice() };
  }
  return out;
}

/** What pruning did: the removed units per layer, and the dead units it had to keep. */
export interface PruneResult {
  state: NetworkState;
  removed: number[][];
  /**
   * New units with all-zero incoming weights that were kept, per layer: their constant output
   * relu(b) > 0 reaches a unit that earlier tasks share, whose bias cannot absorb it.
   */
  keptConstant: number[][];
}

/**
 * Removes units of this task whose incoming weights are all zero (|w| ≤ zeroEps): the group lasso
 * made them useless. Only units born at `task` among indices ≥ oldSizes[l] are candidates. Layers
 * are judged bottom-up, after the rows of removed units below are gone, so a unit fed only by
 * removed units is removed too. A removed unit still outputs the constant relu(b); that constant
 * is folded into the biases of the units above that this task owns (its new units, its head), so
 * no output of the task changes. A unit whose constant also reaches an old (shared) unit is kept.
 */
export function pruneDeadUnits(s: NetworkState, task: number, oldSizes: number[], zeroEps: number): PruneResult {
  const out = cloneState(s);
  const L = s.layers.length;
  const removed: number[][] = [];
  const keptConstant: number[][] = [];
  const headOf = out.heads[task - 1];
  for (let l = 0; l < L; l++) {
    const layer = out.layers[l];
    const { W } = layer;
    const above = l + 1 < L ? out.layers[l + 1] : null;
    const dead: number[] = [];
    const kept: number[] = [];
    for (let c = oldSizes[l]; c < layer.b.length; c++) {
      if (layer.born[c] !== task) continue;
      let zero = true;
      for (let r = 0; r < W.rows && zero; r++) if (isNonZero(W.data[r * W.cols + c], zeroEps)) zero = false;
      if (!zero) continue;
      const constant = Math.max(0, layer.b[c]);
      // where the constant goes: the next layer's units (old ones are shared) or this task's head
      const next = above ? above.W : headOf?.W;
      const sharedReader = above !== null && constant > 0 && Array.from({ length: oldSizes[l + 1] }, (_, j) => next!.data[c * next!.cols + j]).some((w) => w !== 0);
      if (sharedReader) {
        kept.push(c);
        continue;
      }
      if (constant > 0 && next) {
        const bias = above ? above.b : headOf!.b;
        for (let j = 0; j < next.cols; j++) bias[j] += constant * next.data[c * next.cols + j];
      }
      dead.push(c);
    }
    removed.push(dead);
    keptConstant.push(kept);
    if (!dead.length) continue;
    const drop = new Set(dead);
    const keep = Int32Array.from([...Array(layer.b.length).keys()].filter((i) => !drop.has(i)));
    // only this task's own units go, after every older one, so no surviving index changes
    out.layers[l] = {
      W: remap(W, range(W.rows), keep),
      b: Float32Array.from(keep, (i) => layer.b[i]),
      born: Int32Array.from(keep, (i) => layer.born[i]),
      copyOf: Int32Array.from(keep, (i) => layer.copyOf[i]),
    };
    if (above) out.layers[l + 1] = { ...above, W: remap(above.W, keep, range(above.W.cols)) };
    else if (headOf) out.heads[task - 1] = { W: remap(headOf.W, keep, range(headOf.W.cols)), b: headOf.b };
  }
  return { state: out, removed, keptConstant };
}

/**
 * Semantic drift of every old unit: ρ_i = ‖w_i − w_i(t−1)‖₂ over its incoming weights from old
 * units (the rows that existed at the previous task), and its bias when `withBias`, per hidden layer.
 */
export function unitDrift(s: NetworkState, previous: NetworkState, withBias: boolean): number[][] {
  return previous.layers.map((prev, l) => {
    const cur = s.layers[l].W;
    const rho: number[] = [];
    for (let c = 0; c < prev.W.cols; c++) {
      const db = s.layers[l].b[c] - prev.b[c];
      let sum = withBias ? db * db : 0;
      for (let r = 0; r < prev.W.rows; r++) {
        const d = cur.data[r * cur.cols + c] - prev.W.data[r * prev.W.cols + c];
        sum += d * d;
      }
      rho.push(Math.sqrt(sum));
    }
    return rho;
  });
}

/** Units to split per layer: those with ρ > σ, the largest first, at most `maxPerLayer` (null = all). */
export function chooseSplits(drift: number[][], sigma: number, maxPerLayer: number | null): number[][] {
  return drift.map((rho) => {
    const over = rho.map((r, i) => [r, i] as const).filter(([r]) => r > sigma);
    over.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    const kept = maxPerLayer === null ? over : over.slice(0, maxPerLayer);
    return kept.map(([, i]) => i).sort((a, b) => a - b);
  });
}

/**
 * Split/duplication (Alg. 4). For every unit i in split[l]: the original gets back its weights and
 * bias of the previous task (so old tasks see exactly what they learned), and a copy, born at
 * `task`, takes its current (drifted) incoming weights and bias. Everything the current task
 * reads from a split unit is re-routed to the copy: weights into this task's new units and into
 * its head move from the original's row to the copy's row. Weights from a copy into old units
 * start at zero (old tasks cannot see copies; the retraining learns them). The copy's lineage
 * records the original's index.
 */
export function splitState(s: NetworkState, previous: NetworkState, task: number, split: number[][]): NetworkState {
  const out = cloneState(s);
  const L = s.layers.length;
  // For each layer: position of each split unit's copy, -1 if not split.
  const copyOfPos = s.layers.map((layer, l) => {
    const pos = new Int32Array(layer.b.length).fill(-1);
    split[l].forEach((u, i) => (pos[u] = layer.b.length + i));
    return pos;
  });
  /** Re-routes one column of task-owned weights from split units below to their copies. */
  const reroute = (col: (r: number) => number, rows: number, below: Int32Array | null, out: Float32Array, stride: number, c: number) => {
    for (let r = 0; r < rows; r++) {
      const v = col(r);
      const copy = below ? below[r] : -1;
      if (copy >= 0) out[copy * stride + c] = v;
      else out[r * stride + c] = v;
    }
  };
  out.layers = s.layers.map((layer, l): HiddenLayer => {
    const W = layer.W;
    const prev = previous.layers[l];
    const below = l > 0 ? copyOfPos[l - 1] : null;
    const rowsNew = W.rows + (l > 0 ? split[l - 1].length : 0);
    const n = layer.b.length;
    const colsNew = n + split[l].length;
    const next = matrix(rowsNew, colsNew);
    const b = new Float32Array(colsNew);
    const born = new Int32Array(colsNew).fill(task);
    born.set(layer.born);
    const copyOf = notCopies(colsNew);
    copyOf.set(layer.copyOf);
    split[l].forEach((u) => (copyOf[copyOfPos[l][u]] = u));
    const oldCols = prev.b.length;
    const isSplit = new Uint8Array(n);
    split[l].forEach((u) => (isSplit[u] = 1));
    for (let c = 0; c < n; c++) {
      const cur = (r: number) => W.data[r * W.cols + c];
      if (isSplit[c]) {
        // original: restored to the previous task's weights; copy: the drifted column, re-routed
        for (let r = 0; r < prev.W.rows; r++) next.data[r * colsNew + c] = prev.W.data[r * prev.W.cols + c];
        b[c] = prev.b[c];
        reroute(cur, W.rows, below, next.data, colsNew, copyOfPos[l][c]);
        b[copyOfPos[l][c]] = layer.b[c];
      } else if (c < oldCols) {
        // a shared old unit: unchanged; it does not read the copies below
        for (let r = 0; r < W.rows; r++) next.data[r * colsNew + c] = cur(r);
        b[c] = layer.b[c];
      } else {
        // a unit this task added: reads the copies instead of the originals
        reroute(cur, W.rows, below, next.data, colsNew, c);
        b[c] = layer.b[c];
      }
    }
    return { W: next, b, born, copyOf };
  });
  const head = s.heads[task - 1];
  if (head) {
    const rowsNew = head.W.rows + split[L - 1].length;
    const W = matrix(rowsNew, head.W.cols);
    for (let o = 0; o < head.W.cols; o++) reroute((r) => head.W.data[r * head.W.cols + o], head.W.rows, copyOfPos[L - 1], W.data, head.W.cols, o);
    out.heads[task - 1] = { W, b: head.b.slice() } satisfies Head;
  }
  return out;
}
