// EWC's diagonal Fisher information of a task, estimated as the empirical Fisher: the mean over
// N training examples of the squared per-example gradient of the log-likelihood
//   F = (1/N) Σ_i (∂ log p(y_i | x_i; θ) / ∂θ)²,
// for every weight and bias of the hidden layers. log p is the softmax cross-entropy of a 10-way
// head, or the summed Bernoulli log-likelihood of sigmoid outputs (the BCE × outputs). Cost: N
// forward and backward passes of one example each (no update), i.e. about N/batchSize training
// steps' worth of arithmetic, but dispatched one example at a time.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { LossKind } from '../experiment';
import type { TaskData } from '../data/tasks';
import type { LayerArrays } from '../network/model';
import type { Network } from '../network/network';
import { Rng, permutation } from '../random';
import { dataLoss } from '../training';

export function diagonalFisher(net: Network, task: number, data: TaskData, loss: LossKind, samples: number, rng: Rng): LayerArrays[] {
  const n = Math.min(samples, data.count);
  const order = permutation(data.count, rng);
  const vars = net.layers.flatMap((l) => [l.W, l.b]);
  const x = new Float32Array(data.features);
  const y = new Float32Array(data.outputs);
  // log-likelihood scale: softmax CE is −log p, summed BCE is too; the reference code's BCE is averaged over outputs
  const scale = loss === 'sigmoid-bce' && data.outputs > 1 ? data.outputs : 1;
  let sums: tf.Tensor[] = vars.map((v) => tf.zeros(v.shape));
  try {
    for (let i = 0; i < n; i++) {
      data.fill(order, i, i + 1, x, y);
      const next = tf.tidy(() => {
        const xs = tf.tensor2d(x, [1, data.features]);
        const ys = tf.tensor2d(y, [1, data.outputs]);
        const { grads } = tf.variableGrads(() => tf.mul(dataLoss(loss, data.outputs, ys, net.logits(xs, task)), scale) as tf.Scalar, vars);
        return sums.map((s, k) => tf.add(s, tf.square(grads[vars[k].name])));
      });
      tf.dispose(sums);
      sums = next;
    }
    const mean = sums.map((s) => Float32Array.from(s.dataSync() as Float32Array, (v) => v / Math.max(1, n)));
    return net.layers.map((_, l) => ({ W: mean[2 * l], b: mean[2 * l + 1] }));
  } finally {
    tf.dispose(sums);
  }
}
