// Evaluation runs over a data part in chunks of 1,000 examples (src/engine/evaluate.ts), through
// chunk buffers that every call shares: the results must be those of the whole part at once, and
// must not depend on what was evaluated before. Scoring every task so far shares the first layer's
// product between tasks with the same inputs (one-vs-rest) and must give each task's scores alone.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { featureData, meanLoss, rankingScores, scoreTask, scoreTasks, tasksRankingScores } from '../../src/engine/evaluate';
import { headLoss } from '../../src/engine/methods/method';
import { Model, sharedModel } from '../../src/engine/network/model';
import { expandState } from '../../src/engine/network/structure';
import { Rng } from '../../src/engine/random';
import type { TaskData } from '../../src/engine/data/tasks';
import { dataLoss } from '../../src/engine/training';
import { addHead, freshNetwork, smallExperiment, tasksOf, useBackend } from './helpers';

/** The whole part as one batch: x (count × features) and y (count × outputs). */
function wholePart(data: TaskData): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(data.count * data.features);
  const y = new Float32Array(data.count * data.outputs);
  data.fill(Int32Array.from({ length: data.count }, (_, i) => i), 0, data.count, x, y);
  return { x, y };
}

describe('evaluation in chunks', () => {
  // 2,500 digits: a training part of 1,800 examples, two chunks (a full and a partial one)
  const exp = smallExperiment({ data: { source: 'mnist', limit: 2500 } });
  let tasks: ReturnType<typeof tasksOf>;
  before(async () => {
    await useBackend();
    tasks = tasksOf(exp);
    assert.ok(tasks[0].train.count > 1000 && tasks[0].train.count < 2000, `${tasks[0].train.count} training examples`);
  });

  it('gives bit for bit the logits, features and targets of the whole part at once, whatever was evaluated before', () => {
    const net = freshNetwork(exp, tasks);
    addHead(net, tasks[0]);
    addHead(net, tasks[1]);
    try {
      const train = tasks[1].train;
      const { x, y } = wholePart(train);
      const whole = tf.tidy(() => {
        const xs = tf.tensor2d(x, [train.count, train.features]);
        return { logits: net.logits(xs, 2).dataSync().slice(), features: net.features(xs, 2).dataSync().slice() };
      });
      const features = featureData(net, 2, train);
      // a narrower part in between: the shared chunk buffers must not carry anything over
      const narrow = rankingScores({ logits: (h, t) => net.headLogits(h, t) }, 2, features, 'sigmoid-bce');
      assert.deepEqual(rankingScores(net, 2, train, 'sigmoid-bce'), whole.logits);
      assert.deepEqual(narrow, whole.logits, 'the head on the feature rows');
      const rows = wholePart(features);
      assert.deepEqual(rows.x, whole.features);
      assert.deepEqual(rows.y, y, 'the feature rows keep their targets');
      assert.deepEqual(features.targets, train.targets);
    } finally {
      net.dispose();
    }
  });

  it('mean loss: the chunks weighted by their examples, within float32 noise of the whole part', () => {
    const net = freshNetwork(exp, tasks);
    addHead(net, tasks[0]);
    try {
      const train = tasks[0].train;
      const { x, y } = wholePart(train);
      const whole = tf.tidy(() => dataLoss('sigmoid-bce', train.outputs, tf.tensor2d(y, [train.count, train.outputs]), net.logits(tf.tensor2d(x, [train.count, train.features]), 1)).dataSync()[0]);
      const chunked = meanLoss(net, 1, train, 'sigmoid-bce');
      assert.ok(Math.abs(chunked - whole) <= 1e-6 * whole, `${chunked} against ${whole}`);
    } finally {
      net.dispose();
    }
  });
});

describe('scoring every task so far (scoreTasks)', () => {
  before(useBackend);

  /** A shared model after three tasks of `exp`: tasks 2 and 3 each added units, so each task sees its own number of them. */
  function grownModel(exp: ReturnType<typeof smallExperiment>, tasks: ReturnType<typeof tasksOf>): Model {
    const net = freshNetwork(exp, tasks);
    addHead(net, tasks[0]);
    for (const [t, added] of [[2, [6, 3]], [3, [4, 2]]]) {
      net.setState(expandState(net.toState(), t as number, added as number[], new Rng(t as number)));
      addHead(net, tasks[(t as number) - 1]);
    }
    const model = new Model(sharedModel(net.toState()));
    net.dispose();
    return model;
  }

  const parts = (tasks: ReturnType<typeof tasksOf>, exp: ReturnType<typeof smallExperiment>) =>
    tasks.slice(0, 3).map((j) => ({ task: j.index, data: j.test, loss: headLoss(exp, j.outputs) }));

  /** The first hidden layer's matrix products (inputs × units) in `fn`. */
  async function firstLayerProducts(fn: () => void, features: number): Promise<number> {
    const profile = await tf.profile(() => {
      fn();
      return [];
    });
    return profile.kernels.filter((k) => /^(_FusedMatMul|BatchMatMul)$/.test(k.name) && k.inputShapes[1]?.at(-2) === features).length;
  }

  it('one-vs-rest: the scores of each task alone bit for bit, with one first-layer product per chunk for all tasks', async () => {
    const exp = smallExperiment({ tasks: { type: 'one-vs-rest', classes: [0, 1, 2] } });
    const tasks = tasksOf(exp);
    const model = grownModel(exp, tasks);
    try {
      assert.deepEqual(tasks.slice(0, 3).map((j) => model.shared.visibleSizes(j.index)[0]), [32, 38, 42], 'each task sees its own units');
      const together = tasksRankingScores(model, parts(tasks, exp));
      parts(tasks, exp).forEach((p, i) => assert.deepEqual(together[i], rankingScores(model, p.task, p.data, p.loss), `task ${p.task}`));
      assert.deepEqual(
        scoreTasks(model, parts(tasks, exp)),
        parts(tasks, exp).map((p) => scoreTask(model, p.task, p.data, p.loss)),
      );
      const chunks = Math.ceil(tasks[0].test.count / 1000);
      assert.equal(await firstLayerProducts(() => scoreTasks(model, parts(tasks, exp)), tasks[0].test.features), chunks, 'shared by the tasks');
    } finally {
      model.dispose();
    }
  });

  it('permuted: every task on its own inputs, the same scores', async () => {
    const exp = smallExperiment();
    const tasks = tasksOf(exp);
    const model = grownModel(exp, tasks);
    try {
      const together = tasksRankingScores(model, parts(tasks, exp));
      parts(tasks, exp).forEach((p, i) => assert.deepEqual(together[i], rankingScores(model, p.task, p.data, p.loss), `task ${p.task}`));
      const chunks = Math.ceil(tasks[0].test.count / 1000);
      assert.equal(await firstLayerProducts(() => scoreTasks(model, parts(tasks, exp)), tasks[0].test.features), 3 * chunks, 'one per task');
    } finally {
      model.dispose();
    }
  });
});
