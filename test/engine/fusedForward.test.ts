// The forward pass runs matmul, bias and ReLU as one fused kernel. Checked against the unfused
// formulation (matMul, add, relu) written out here: the same logits and the same gradients for
// every variable within float32 noise, on a network whose later task sees more units than an
// earlier one (the sliced weights of timestamped inference), and no tensor left behind.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { dataLoss } from '../../src/engine/training';
import { Network } from '../../src/engine/network/network';
import { expandState } from '../../src/engine/network/structure';
import { visibleSizes } from '../../src/engine/network/state';
import { Rng } from '../../src/engine/random';
import { addHead, freshNetwork, maxRelativeDiff, smallExperiment, tasksOf, useBackend } from './helpers';

/** The unfused reference: relu(x·W + b) per layer on the units the task sees, then the head. */
function unfusedLogits(net: Network, x: tf.Tensor2D, task: number): tf.Tensor2D {
  const state = net.toState();
  const visible = visibleSizes(state, task);
  let h: tf.Tensor2D = x;
  let below = state.inputDim;
  net.layers.forEach((l, i) => {
    const W = tf.slice(l.W, [0, 0], [below, visible[i]]);
    const b = tf.slice(l.b, 0, visible[i]);
    h = tf.relu(tf.add(tf.matMul(h, W), b)) as tf.Tensor2D;
    below = visible[i];
  });
  const head = net.heads[task - 1]!;
  return tf.add(tf.matMul(h, head.W), head.b);
}

describe('fused forward pass', () => {
  before(useBackend);

  it('gives the logits and gradients of the unfused formulation within float32 noise, for an old and a grown task, without leaks', () => {
    const exp = smallExperiment();
    const tasks = tasksOf(exp);
    const net = freshNetwork(exp, tasks);
    addHead(net, tasks[0]);
    // task 2 grows every layer: task 1 must see only its own units (sliced weights), task 2 all of them
    net.setState(expandState(net.toState(), 2, [5, 3], new Rng(3)));
    addHead(net, tasks[1]);
    const x = tf.randomUniform([40, tasks[0].train.features], 0, 1, 'float32', 11) as tf.Tensor2D;
    const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: 40 }, (_, i) => i % 10), 'int32'), 10), 'float32')) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    for (const task of [1, 2]) {
      const vars = [...net.layers.flatMap((l) => [l.W, l.b]), net.heads[task - 1]!.W, net.heads[task - 1]!.b];
      const run = (forward: () => tf.Tensor2D) =>
        tf.tidy(() => {
          const logits = forward();
          const { grads } = tf.variableGrads(() => dataLoss('sigmoid-bce-sum', 10, y, forward()), vars);
          return { logits: logits.dataSync().slice(), grads: vars.map((v) => grads[v.name].dataSync().slice()) };
        });
      const fused = run(() => net.logits(x, task));
      const reference = run(() => unfusedLogits(net, x, task));
      assert.ok(maxRelativeDiff(fused.logits, reference.logits) < 1e-5, `task ${task} logits`);
      fused.grads.forEach((g, i) => assert.ok(maxRelativeDiff(g, reference.grads[i]) < 1e-4, `task ${task} gradient of ${vars[i].name}: ${maxRelativeDiff(g, reference.grads[i])}`));
      if (task === 1) {
        // the units task 1 does not see get no gradient
        const cols = net.layers[0].W.shape[1];
        const seen = visibleSizes(net.toState(), 1)[0];
        assert.ok(seen < cols);
        assert.ok(fused.grads[0].every((v, i) => i % cols < seen || v === 0), 'no gradient for units born later');
        assert.ok(fused.grads[0].some((v) => v !== 0));
      }
    }
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    tf.dispose([x, y]);
    net.dispose();
  });
});
