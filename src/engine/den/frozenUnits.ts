// Expansion and the final retraining of a task train only what the task owns: in every hidden
// layer, the weights from the old units below into the old units (the old block) and the old
// units' biases stay frozen; the new units' columns and the new units' rows into old units train.
// This module runs such a stage on that block structure:
// - the trained blocks are variables of their own (written back when the stage ends), so a step
//   neither multiplies by the frozen blocks in the backward pass nor updates their entries;
// - what depends only on the data and frozen weights is computed once per stage and fed with every
//   mini-batch: the activations of the first layer's old units, and the second layer's old units'
//   input from them (their pre-activation from the old block);
// - deeper layers multiply their old units' input by the frozen block as a constant.
// Once the network has grown, the frozen blocks are most of the weights, so this is most of a
// step's work. The floats differ from the stage on the whole network only in the order in which an
// old unit's input is summed (frozen part first, then the new units' part).
// The activations stay valid while the old units' weights do, so a task computes them once, in the
// τ statistic's pass over the training part (before expansion every unit is old); for the final
// retraining after a split, only the restored units' part is computed again.
import * as tf from '@tensorflow/tfjs-core';
import type { TrainableParam } from '../adamProx';
import type { TaskData } from '../data/tasks';
import { forChunks } from '../evaluate';
import type { Network } from '../network/network';
import type { NetworkState } from '../network/state';
import { variableOf } from '../tensors';
import { MAX_CACHED_BYTES } from '../training';

/**
 * What depends only on the data and the old units' weights, per example: the activations of the
 * first layer's old units and (with a second layer) the second layer's old units' input from them.
 */
export interface FrozenActivations {
  /** The old units per hidden layer they were computed for. */
  oldSizes: number[];
  /** Values per example: oldSizes[0] activations, then oldSizes[1] inputs. */
  width: number;
  values: Float32Array;
}

const cachedWidthOf = (oldSizes: number[]): number => oldSizes[0] + (oldSizes.length > 1 ? oldSizes[1] : 0);

/** Whether the activations of `oldSizes` on `data` fit the batch cache's bound. */
export function activationsFit(data: TaskData, oldSizes: number[]): boolean {
  return data.count * cachedWidthOf(oldSizes) * 4 <= MAX_CACHED_BYTES;
}

/** The second layer's old units' input from the first layer's old units' activations h1 (no bias). */
const oldSecondLayerInput = (net: Network, h1: tf.Tensor2D, oldSizes: number[]): tf.Tensor2D =>
  tf.matMul(h1, tf.slice(net.layers[1].W, [0, 0], [oldSizes[0], oldSizes[1]]));

/**
 * The frozen activations of `oldSizes` on `data` (the network's first oldSizes units of each
 * layer). `alsoWith(h1, ys, n)` is called for every chunk with the first layer's old units'
 * activations, so that a pass that needs them anyway (the τ statistic's) computes them once.
 */
export function frozenActivations(
  net: Network,
  data: TaskData,
  oldSizes: number[],
  alsoWith?: (h1: tf.Tensor2D, ys: tf.Tensor2D, n: number) => void,
): FrozenActivations {
  const width = cachedWidthOf(oldSizes);
  const values = new Float32Array(data.count * width);
  forChunks(data, (xs, ys, start, n) => {
    const h1 = net.firstLayerUnits(xs, oldSizes[0]);
    const parts = oldSizes.length > 1 ? [h1, oldSecondLayerInput(net, h1, oldSizes)] : [h1];
    values.set(tf.concat(parts, 1).dataSync() as Float32Array, start * width);
    alsoWith?.(h1, ys, n);
  });
  return { oldSizes: oldSizes.slice(), width, values };
}

/** Old units of the first layer (column < old) whose incoming weights or bias differ between two states. */
function changedFirstLayerUnits(before: NetworkState, after: NetworkState, old: number): number[] {
  const [a, b] = [before.layers[0], after.layers[0]];
  const changed: number[] = [];
  for (let c = 0; c < old; c++) {
    let differs = a.b[c] !== b.b[c];
    for (let r = 0; r < a.W.rows && !differs; r++) differs = a.W.data[r * a.W.cols + c] !== b.W.data[r * b.W.cols + c];
    if (differs) changed.push(c);
  }
  return changed;
}

/** Whether the second layer's old block (old rows × old columns) differs between two states. */
function secondLayerOldBlockChanged(before: NetworkState, after: NetworkState, oldSizes: number[]): boolean {
  const [a, b] = [before.layers[1].W, after.layers[1].W];
  for (let r = 0; r < oldSizes[0]; r++) {
    for (let c = 0; c < oldSizes[1]; c++) if (a.data[r * a.cols + c] !== b.data[r * b.cols + c]) return true;
  }
  return false;
}

/**
 * Brings the activations up to date, in place, after some old units' weights changed from `before`
 * to `after`, the network's current state (a split restores drifted units to their old weights):
 * only the first layer's changed units are computed again (a column of a matrix product does not
 * depend on the others, so they are the floats a whole pass gives), then the second layer's input
 * from the first layer. Returns them.
 */
export function updateActivations(net: Network, data: TaskData, activations: FrozenActivations, before: NetworkState, after: NetworkState): FrozenActivations {
  const { oldSizes, width, values } = activations;
  const changed = changedFirstLayerUnits(before, after, oldSizes[0]);
  const second = oldSizes.length > 1 && (changed.length > 0 || secondLayerOldBlockChanged(before, after, oldSizes));
  if (!changed.length && !second) return activations;
  const first = after.layers[0];
  const W = new Float32Array(first.W.rows * changed.length);
  for (let r = 0; r < first.W.rows; r++) changed.forEach((c, j) => (W[r * changed.length + j] = first.W.data[r * first.W.cols + c]));
  const bias = Float32Array.from(changed, (c) => first.b[c]);
  let h1Rows = new Float32Array(0);
  forChunks(data, (xs, _ys, start, n) => {
    if (changed.length) {
      const h = tf.fused.matMul({ a: xs, b: tf.tensor2d(W, [first.W.rows, changed.length]), bias: tf.tensor1d(bias), activation: 'relu' }).dataSync() as Float32Array;
      for (let r = 0; r < n; r++) changed.forEach((c, j) => (values[(start + r) * width + c] = h[r * changed.length + j]));
    }
    if (!second) return;
    if (h1Rows.length < n * oldSizes[0]) h1Rows = new Float32Array(n * oldSizes[0]);
    for (let r = 0; r < n; r++) h1Rows.set(values.subarray((start + r) * width, (start + r) * width + oldSizes[0]), r * oldSizes[0]);
    const h1 = tf.tensor2d(h1Rows.subarray(0, n * oldSizes[0]), [n, oldSizes[0]]);
    const m2 = oldSecondLayerInput(net, h1, oldSizes).dataSync() as Float32Array;
    for (let r = 0; r < n; r++) values.set(m2.subarray(r * oldSizes[1], (r + 1) * oldSizes[1]), (start + r) * width + oldSizes[0]);
  });
  return activations;
}

/**
 * Throws if `activations` are not those of the network's current old units: a few examples are
 * computed again (stale ones, e.g. from before a split restored units, differ by far more than the
 * float32 noise of a smaller matrix product).
 */
function checkCurrent(net: Network, data: TaskData, activations: FrozenActivations): void {
  const fresh = frozenActivations(net, { ...data, count: Math.min(8, data.count) }, activations.oldSizes).values;
  for (let i = 0; i < fresh.length; i++) {
    const v = activations.values[i];
    if (!(Math.abs(fresh[i] - v) <= 1e-4 * (1 + Math.abs(v)))) {
      throw new Error(`frozenOldUnits: the activations given are not the old units' current ones (example ${Math.floor(i / activations.width) + 1}: ${v} computed again as ${fresh[i]})`);
    }
  }
}

/** A stage over the frozen blocks: its data, forward pass and parameters. */
export interface FrozenUnitsStage {
  /** Rows of [input | activations of the first layer's old units | the second layer's old units' frozen input] (the last two computed once). */
  data: TaskData;
  forward: (rows: tf.Tensor2D) => tf.Tensor2D;
  /** The stage's parameters, every hidden layer's weights and biases replaced by its trained blocks. */
  params: TrainableParam[];
  /** Writes the trained blocks back into the network and releases them: the stage's writeBack, and again (a no-op then) when it fails. */
  finish: () => void;
  /** The frozen activations the stage used (given or computed), for a later stage while the old units' weights stay as they are. */
  activations: FrozenActivations;
}

/** Rows r0..r1−1 × columns c0..c1−1 of a row-major array with `cols` columns. */
function block(a: Float32Array, cols: number, r0: number, r1: number, c0: number, c1: number): Float32Array {
  const out = new Float32Array((r1 - r0) * (c1 - c0));
  for (let r = r0; r < r1; r++) out.set(a.subarray(r * cols + c0, r * cols + c1), (r - r0) * (c1 - c0));
  return out;
}

/** One hidden layer in block form: rows (units below) and columns (its units) split into old and new. */
interface LayerBlocks {
  rows: number;
  oldRows: number;
  cols: number;
  oldCols: number;
  /** Frozen: old rows × old columns, and the old columns' biases. */
  frozenW: tf.Tensor2D;
  frozenB: tf.Tensor1D;
  /** Trained: every row × new columns (the new units' incoming weights), their biases, and new rows × old columns (null in the first layer). */
  A: tf.Variable<tf.Rank.R2>;
  bNew: tf.Variable<tf.Rank.R1>;
  B: tf.Variable<tf.Rank.R2> | null;
}

/**
 * The stage of `task` with the units that existed when the task started (`oldSizes`) frozen, for
 * `params` (which must leave every weight among old units and every old unit's bias frozen). Null
 * when it does not apply: a layer without new units, a task that does not see every unit, or
 * computed activations beyond the batch cache's bound; the stage then runs on the whole network.
 * `activations`, when given, must be those of `oldSizes` on `data` with the network's current old
 * units (frozenActivations); otherwise the stage computes them.
 */
export function frozenOldUnits(
  net: Network,
  task: number,
  data: TaskData,
  oldSizes: number[],
  params: TrainableParam[],
  activations?: FrozenActivations | null,
): FrozenUnitsStage | null {
  const sizes = net.sizes();
  const L = sizes.length;
  const inputs = data.features;
  const cachedWidth = cachedWidthOf(oldSizes);
  const width = inputs + cachedWidth;
  if (oldSizes.some((o, l) => o === 0 || o >= sizes[l]) || net.visibleSizes(task).some((v, l) => v !== sizes[l]) || !activationsFit(data, oldSizes)) {
    return null;
  }
  if (activations && (activations.values.length !== data.count * cachedWidth || activations.oldSizes.some((o, l) => o !== oldSizes[l]))) {
    throw new Error(`frozenOldUnits: the activations given are of ${activations.oldSizes.join(', ')} old units, the stage has ${oldSizes.join(', ')}`);
  }
  if (activations) checkCurrent(net, data, activations);
  const paramOf = (v: tf.Variable) => {
    const p = params.find((q) => q.variable === v);
    if (!p) throw new Error('frozenOldUnits: the stage must train every hidden layer');
    return p;
  };
  const zeros = (a: Float32Array | undefined) => a !== undefined && a.every((v) => v === 0);
  net.layers.forEach((layer, l) => {
    const w = paramOf(layer.W).mask;
    const b = paramOf(layer.b).mask;
    if (!w || !zeros(block(w, sizes[l], 0, l === 0 ? inputs : oldSizes[l - 1], 0, oldSizes[l])) || !zeros(b?.subarray(0, oldSizes[l]))) {
      throw new Error(`frozenOldUnits: the stage trains weights among, or biases of, the ${oldSizes[l]} old units of hidden layer ${l + 1}`);
    }
  });

  // What depends only on the data and frozen weights (given, or computed once per stage); the inputs are filled per batch as before.
  const frozenActs = activations ?? frozenActivations(net, data, oldSizes);
  const cached = frozenActs.values;
  let inputRows = new Float32Array(0);
  const stageData: TaskData = {
    count: data.count,
    features: width,
    outputs: data.outputs,
    targets: data.targets,
    // the inputs are filled per batch, not cached as well, to keep memory down
    materialize: () => stageData,
    fill(indices, start, end, x, y) {
      const n = end - start;
      if (inputRows.length < n * inputs) inputRows = new Float32Array(n * inputs);
      data.fill(indices, start, end, inputRows, y);
      for (let r = 0; r < n; r++) {
        const e = indices[start + r];
        x.set(inputRows.subarray(r * inputs, (r + 1) * inputs), r * width);
        x.set(cached.subarray(e * cachedWidth, (e + 1) * cachedWidth), r * width + inputs);
      }
    },
  };

  const layers: LayerBlocks[] = net.layers.map((layer, l) => {
    const rowsBelow = l === 0 ? inputs : sizes[l - 1];
    const oldRows = l === 0 ? inputs : oldSizes[l - 1];
    const [cols, oldCols] = [sizes[l], oldSizes[l]];
    return {
      rows: rowsBelow,
      oldRows,
      cols,
      oldCols,
      frozenW: tf.slice(layer.W, [0, 0], [oldRows, oldCols]),
      frozenB: tf.slice(layer.b, 0, oldCols),
      A: variableOf(tf.slice(layer.W, [0, oldCols], [rowsBelow, cols - oldCols])),
      bNew: variableOf(tf.slice(layer.b, oldCols, cols - oldCols)),
      B: l === 0 ? null : variableOf(tf.slice(layer.W, [oldRows, 0], [rowsBelow - oldRows, oldCols])),
    };
  });

  const blockParams = params.flatMap((p): TrainableParam[] => {
    const l = net.layers.findIndex((layer) => layer.W === p.variable || layer.b === p.variable);
    if (l < 0) return [p];
    const { rows: r, oldRows: or, cols: c, oldCols: oc, A, bNew, B } = layers[l];
    if (p.variable === net.layers[l].b) {
      const ofB = (a: Float32Array | undefined) => a?.slice(oc);
      return [{ ...p, variable: bNew, mask: ofB(p.mask), anchor: ofB(p.anchor), anchorWeight: ofB(p.anchorWeight) }];
    }
    const of = (a: Float32Array | undefined, r0: number, c0: number, c1: number) => a && block(a, c, r0, r, c0, c1);
    const a: TrainableParam = { ...p, variable: A, mask: of(p.mask, 0, oc, c), anchor: of(p.anchor, 0, oc, c), anchorWeight: of(p.anchorWeight, 0, oc, c), groupColumns: p.groupColumns?.slice(oc) };
    if (!B) return [a];
    // the new units' rows into old units: no unit's whole group, so no group lasso
    return [a, { ...p, variable: B, mask: of(p.mask, or, 0, oc), anchor: of(p.anchor, or, 0, oc), anchorWeight: of(p.anchorWeight, or, 0, oc), groupColumns: undefined, groupThreshold: undefined }];
  });

  const forward = (batch: tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => {
      const n = batch.shape[0];
      const x = tf.slice(batch, [0, 0], [n, inputs]);
      let hOld = tf.slice(batch, [0, inputs], [n, oldSizes[0]]);
      let hNew = tf.fused.matMul({ a: x, b: layers[0].A, bias: layers[0].bNew, activation: 'relu' }) as tf.Tensor2D;
      for (let l = 1; l < L; l++) {
        const { frozenW, frozenB, A, bNew, B } = layers[l];
        const h = tf.concat([hOld, hNew], 1);
        // the old units' input: from the old units below through the frozen block (computed once for the second layer), then from the new ones
        const fromOld = l === 1 ? tf.slice(batch, [0, inputs + oldSizes[0]], [n, oldSizes[1]]) : tf.matMul(hOld, frozenW);
        hOld = tf.relu(tf.add(fromOld, tf.fused.matMul({ a: hNew, b: B!, bias: frozenB }))) as tf.Tensor2D;
        hNew = tf.fused.matMul({ a: h, b: A, bias: bNew, activation: 'relu' }) as tf.Tensor2D;
      }
      return net.headLogits(tf.concat([hOld, hNew], 1), task);
    });

  let finished = false;
  const before = net.layers;
  return {
    activations: frozenActs,
    data: stageData,
    forward,
    params: blockParams,
    finish: () => {
      if (finished) return;
      finished = true;
      // the network's variables are replaced only by a structural change, which no stage makes
      if (net.layers === before) {
        tf.tidy(() =>
          layers.forEach(({ oldRows, frozenW, frozenB, A, bNew, B }, l) => {
            const top = tf.concat([frozenW, tf.slice(A, [0, 0], [oldRows, A.shape[1]])], 1);
            net.layers[l].W.assign(B ? tf.concat([top, tf.concat([B, tf.slice(A, [oldRows, 0], [A.shape[0] - oldRows, A.shape[1]])], 1)], 0) : top);
            net.layers[l].b.assign(tf.concat([frozenB, bNew]));
          }),
        );
      }
      tf.dispose(layers.flatMap((b) => [b.frozenW, b.frozenB, b.A, b.bNew, ...(b.B ? [b.B] : [])]));
    },
  };
}
