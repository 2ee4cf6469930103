// Expansion and the final retraining of a task train only what the task owns. In the first hidden
// layer that is the new units' columns: the old units keep their incoming weights and biases, and
// their inputs are the data, so their activations are a fixed function of each example for the
// whole stage. They are computed once per stage and fed to every step beside its mini-batch, and the
// new units' columns train as a variable of their own, written back when the stage ends. A step then
// neither multiplies by the old units' weights (forward or backward) nor updates their frozen
// entries, which is most of a step's work once the network has grown; every trained entry gets the
// same arithmetic as in the whole first layer.
import * as tf from '@tensorflow/tfjs-core';
import type { TrainableParam } from '../adamProx';
import { TaskData, rowData } from '../data/tasks';
import { forChunks } from '../evaluate';
import type { Network } from '../network/network';
import { variableOf } from '../tensors';
import { MAX_CACHED_BYTES } from '../training';

/** A stage over the first layer's frozen units: its data, forward pass and parameters. */
export interface FrozenUnitsStage {
  /** Rows of [input | activations of the frozen units]. */
  data: TaskData;
  forward: (rows: tf.Tensor2D) => tf.Tensor2D;
  /** The stage's parameters, the first layer's weights and biases replaced by the new units' columns. */
  params: TrainableParam[];
  /** Writes the trained columns back into the first layer and releases them. Call once, also when the stage fails. */
  finish(): void;
}

/** Columns from..cols−1 of a row-major rows × cols array. */
function columnsFrom(a: Float32Array, rows: number, cols: number, from: number): Float32Array {
  const out = new Float32Array(rows * (cols - from));
  for (let r = 0; r < rows; r++) out.set(a.subarray(r * cols + from, (r + 1) * cols), r * (cols - from));
  return out;
}

/**
 * The stage of `task` with the first `oldUnits` units of the first hidden layer frozen, for
 * `params` (which must leave every entry of those units' columns frozen). Null when nothing is
 * gained or it does not fit: no old or no new units, a task that does not see the whole first
 * layer, or rows beyond the batch cache's bound; the stage then runs on the whole network.
 */
export function frozenFirstUnits(net: Network, task: number, data: TaskData, oldUnits: number, params: TrainableParam[]): FrozenUnitsStage | null {
  const layer = net.layers[0];
  const [inputs, units] = layer.W.shape;
  const width = inputs + oldUnits;
  if (oldUnits === 0 || oldUnits >= units || net.visibleSizes(task)[0] !== units || data.count * width * 4 > MAX_CACHED_BYTES) return null;
  const wParam = params.find((p) => p.variable === layer.W);
  const bParam = params.find((p) => p.variable === layer.b);
  if (!wParam || !bParam) throw new Error('frozenFirstUnits: the stage must train the first layer');
  const frozenEntries = (mask: Float32Array | undefined, rows: number, cols: number) =>
    mask !== undefined && Array.from({ length: rows }, (_, r) => mask.subarray(r * cols, r * cols + oldUnits)).every((m) => m.every((v) => v === 0));
  if (!frozenEntries(wParam.mask, inputs, units) || !frozenEntries(bParam.mask, 1, units)) {
    throw new Error(`frozenFirstUnits: the stage trains entries of the first layer's first ${oldUnits} units`);
  }

  const rows = new Float32Array(data.count * width);
  const targets = new Float32Array(data.count * data.outputs);
  forChunks(data, (xs, ys, start, n) => {
    const x = xs.dataSync() as Float32Array;
    const first = net.firstLayerUnits(xs, oldUnits).dataSync() as Float32Array;
    for (let r = 0; r < n; r++) {
      const row = (start + r) * width;
      rows.set(x.subarray(r * inputs, (r + 1) * inputs), row);
      rows.set(first.subarray(r * oldUnits, (r + 1) * oldUnits), row + inputs);
    }
    targets.set(ys.dataSync() as Float32Array, start * data.outputs);
  });

  const fresh = units - oldUnits;
  const W = variableOf(tf.slice(layer.W, [0, oldUnits], [inputs, fresh]));
  const b = variableOf(tf.slice(layer.b, oldUnits, fresh));
  const ofW = (a: Float32Array | undefined) => a && columnsFrom(a, inputs, units, oldUnits);
  const ofB = (a: Float32Array | undefined) => a?.slice(oldUnits);
  const blockParams = params.map((p): TrainableParam => {
    if (p === wParam) return { ...p, variable: W, mask: ofW(p.mask), anchor: ofW(p.anchor), anchorWeight: ofW(p.anchorWeight), groupColumns: ofB(p.groupColumns) };
    if (p === bParam) return { ...p, variable: b, mask: ofB(p.mask), anchor: ofB(p.anchor), anchorWeight: ofB(p.anchorWeight) };
    return p;
  });
  let finished = false;
  return {
    data: rowData({ count: data.count, features: width, outputs: data.outputs, targets: data.targets }, rows, targets),
    forward: (batch) =>
      tf.tidy(() => {
        const n = batch.shape[0];
        const frozen = tf.slice(batch, [0, inputs], [n, oldUnits]);
        const rest = tf.fused.matMul({ a: tf.slice(batch, [0, 0], [n, inputs]), b: W, bias: b, activation: 'relu' }) as tf.Tensor2D;
        return net.logitsFromFirstLayer(tf.concat([frozen, rest], 1), task);
      }),
    params: blockParams,
    finish() {
      if (finished) return;
      finished = true;
      // the variables may have been replaced since (they are not when the stage ran to its end)
      if (net.layers[0] === layer) {
        tf.tidy(() => {
          layer.W.assign(tf.concat([tf.slice(layer.W, [0, 0], [inputs, oldUnits]), W], 1));
          layer.b.assign(tf.concat([tf.slice(layer.b, 0, oldUnits), b]));
        });
      }
      tf.dispose([W, b]);
    },
  };
}
