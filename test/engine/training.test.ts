import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { CancelledError, NanLossError, StageSpec, trainStage } from '../../src/engine/training';
import { Rng } from '../../src/engine/random';
import type { TaskData } from '../../src/engine/data/tasks';
import type { DenEvent } from '../../src/common/protocol';
import { useBackend } from './helpers';

/** A linearly separable toy task: 8 features, 2 classes. Feature 7 is always 0, so weights from it get no data gradient. */
function toyData(count = 64): TaskData {
  const rng = new Rng(3);
  const x = Float32Array.from({ length: count * 8 }, (_, i) => (i % 8 === 7 ? 0 : rng.next()));
  const targets = Int32Array.from({ length: count }, (_, i) => (x[i * 8] + x[i * 8 + 1] > 1 ? 1 : 0));
  return {
    count,
    features: 8,
    outputs: 2,
    targets,
    fill(indices, start, end, xb, yb) {
      yb.fill(0, 0, (end - start) * 2);
      for (let r = 0; r < end - start; r++) {
        const e = indices[start + r];
        xb.set(x.subarray(e * 8, e * 8 + 8), r * 8);
        yb[r * 2 + targets[e]] = 1;
      }
    },
  };
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function setup(values?: Float32Array) {
  const rng = new Rng(5);
  const W = tf.variable(tf.tensor2d(values ?? Float32Array.from({ length: 16 }, () => rng.uniform(-0.5, 0.5)), [8, 2]));
  const b = tf.variable(tf.zeros([2]));
  return { W, b };
}

function spec(W: tf.Variable, b: tf.Variable, over: Partial<StageSpec> = {}): StageSpec {
  return {
    task: 1,
    stage: 'task1',
    sources: [{ data: toyData(), forward: (x) => tf.add(tf.matMul(x, W as tf.Tensor2D), b), loss: 'softmax-ce' }],
    params: [
      { variable: W, isWeight: true },
      { variable: b, isWeight: false },
    ],
    steps: 20,
    batchSize: 16,
    learningRate: 0.05,
    lrDecay: 1,
    weightDecay: 0,
    decoupledWeightDecay: false,
    lambda: 0,
    mu: 0,
    proximal: 'per-step',
    lossEvery: 5,
    rng: new Rng(1),
    emit: () => {},
    stepOffset: 0,
    ...over,
  };
}

describe('training stage', () => {
  before(useBackend);

  it('lowers the loss and reports it every lossEvery steps, with task-wide step numbers', async () => {
    const { W, b } = setup();
    const events: DenEvent[] = [];
    const result = await trainStage(spec(W, b, { steps: 40, stepOffset: 100, emit: (e) => events.push(e) }));
    const losses = events.filter((e) => e.type === 'loss') as Extract<DenEvent, { type: 'loss' }>[];
    assert.deepEqual(losses.map((e) => e.step), [105, 110, 115, 120, 125, 130, 135, 140]);
    assert.ok(losses[losses.length - 1].loss < losses[0].loss, 'loss decreases');
    assert.equal(result.loss, losses[losses.length - 1].loss);
    assert.equal(events[0].type, 'stage-start');
    assert.equal(events[events.length - 1].type, 'stage-end');
    tf.dispose([W, b]);
  });

  for (const decoupledWeightDecay of [false, true]) it(`leaves masked-out entries bit-identical, even with ${decoupledWeightDecay ? 'decoupled' : 'coupled'} weight decay, drift penalty and L1`, async () => {
    const { W, b } = setup();
    const before = W.dataSync().slice();
    const mask = Float32Array.from({ length: 16 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const anchor = Float32Array.from(before, (v) => v + 0.3);
    await trainStage(
      spec(W, b, {
        params: [
          { variable: W, isWeight: true, mask, anchor },
          { variable: b, isWeight: false, mask: new Float32Array([0, 1]) },
        ],
        weightDecay: 0.01,
        decoupledWeightDecay,
        lambda: 0.5,
        mu: 0.001,
      }),
    );
    const after = W.dataSync();
    for (let i = 0; i < 16; i++) {
      if (mask[i]) assert.notEqual(after[i], before[i], `trainable entry ${i} moved`);
      else assert.ok(Object.is(after[i], before[i]), `frozen entry ${i} is bit-identical`);
    }
    assert.equal(b.dataSync()[0], 0, 'frozen bias unchanged');
    assert.notEqual(b.dataSync()[1], 0, 'trainable bias moved');
    tf.dispose([W, b]);
  });

  it('gives exact zeros with the L1 proximal step', async () => {
    const { W, b } = setup();
    await trainStage(spec(W, b, { mu: 0.05, steps: 10 }));
    const w = Array.from(W.dataSync());
    const zeros = w.filter((v) => v === 0).length;
    assert.ok(zeros >= 8, `most weights are exactly 0 (got ${zeros} of 16)`);
    assert.equal(b.dataSync().some((v) => v !== 0), true, 'biases get no L1');
    tf.dispose([W, b]);
  });

  it('lr-scaled proximal steps shrink by lr·μ and lr·γ per step, per-step ones by μ and γ', async () => {
    // a weight from the always-zero feature 7 gets no data gradient: with lr·μ = 0.5·0.01 it loses
    // exactly 0.005 per step (Adam's step on a zero gradient is zero)
    const start = Float32Array.from({ length: 16 }, () => 0.25);
    const scaled = setup(start.slice());
    await trainStage(spec(scaled.W, scaled.b, { learningRate: 0.5, mu: 0.01, proximal: 'lr-scaled', steps: 4 }));
    assert.ok(Math.abs(scaled.W.dataSync()[14] - (0.25 - 4 * 0.005)) < 1e-6, `lr-scaled: ${scaled.W.dataSync()[14]}`);
    const perStep = setup(start.slice());
    await trainStage(spec(perStep.W, perStep.b, { learningRate: 0.5, mu: 0.01, proximal: 'per-step', steps: 4 }));
    assert.ok(Math.abs(perStep.W.dataSync()[14] - (0.25 - 4 * 0.01)) < 1e-6, `per-step: ${perStep.W.dataSync()[14]}`);
    // the learning-rate decay per epoch (4 steps of 16 = one epoch of 64) scales the threshold too
    const decayed = setup(start.slice());
    await trainStage(spec(decayed.W, decayed.b, { learningRate: 0.5, lrDecay: 0.5, mu: 0.01, proximal: 'lr-scaled', steps: 8 }));
    assert.ok(Math.abs(decayed.W.dataSync()[14] - (0.25 - 4 * 0.005 - 4 * 0.0025)) < 1e-6, `decayed: ${decayed.W.dataSync()[14]}`);
    // a group (column 1) whose only trainable entry is the gradient-free row 7: the group threshold
    // lr·γ (the caller scales γ by √fan-in) shrinks its norm by 0.5·0.02 = 0.01 per step
    const group = setup(start.slice());
    const mask = Float32Array.from({ length: 16 }, (_, i) => (i === 15 ? 1 : 0));
    await trainStage(spec(group.W, group.b, { learningRate: 0.5, proximal: 'lr-scaled', steps: 3, params: [{ variable: group.W, isWeight: true, mask, groupColumns: Float32Array.of(0, 1), groupThreshold: 0.02 }, { variable: group.b, isWeight: false }] }));
    const g = group.W.dataSync();
    const norm = Math.hypot(...Array.from({ length: 8 }, (_, r) => g[r * 2 + 1]));
    assert.ok(Math.abs(norm - (Math.sqrt(8) * 0.25 - 0.03)) < 1e-5, `group norm ${norm}`);
    tf.dispose([scaled.W, scaled.b, perStep.W, perStep.b, decayed.W, decayed.b, group.W, group.b]);
  });

  it('coupled weight decay moves a weight the data does not use by about lr per step; decoupled by lr·wd·w', async () => {
    const start = Float32Array.from({ length: 16 }, () => 0.25);
    const coupled = setup(start.slice());
    await trainStage(spec(coupled.W, coupled.b, { learningRate: 0.01, weightDecay: 1e-4, steps: 5 }));
    // Adam normalises the tiny gradient wd·w: each step is ≈ lr, so 5 steps take ≈ 0.05
    const c = 0.25 - coupled.W.dataSync()[14];
    assert.ok(c > 0.045 && c < 0.0505, `coupled: moved ${c}`);
    const decoupled = setup(start.slice());
    await trainStage(spec(decoupled.W, decoupled.b, { learningRate: 0.01, weightDecay: 1e-4, decoupledWeightDecay: true, steps: 5 }));
    const d = decoupled.W.dataSync()[14];
    assert.ok(Math.abs(d - 0.25 * (1 - 0.01 * 1e-4) ** 5) < 1e-7, `decoupled: ${d}`);
    tf.dispose([coupled.W, coupled.b, decoupled.W, decoupled.b]);
  });

  it('zeroes whole groups with the group-lasso step and leaves other columns alone', async () => {
    const { W, b } = setup();
    const before = W.dataSync().slice();
    await trainStage(
      spec(W, b, {
        params: [
          { variable: W, isWeight: true, groupColumns: new Float32Array([0, 1]), groupThreshold: 10, mask: Float32Array.from({ length: 16 }, (_, i) => (i % 2 === 1 ? 1 : 0)) },
          { variable: b, isWeight: false },
        ],
        steps: 3,
      }),
    );
    const after = W.dataSync();
    for (let r = 0; r < 8; r++) {
      assert.ok(after[r * 2 + 1] === 0, `column 1 (a group) is exactly zero (±0) at row ${r}`);
      assert.ok(Object.is(after[r * 2], before[r * 2]), `column 0 (frozen, not a group) unchanged at row ${r}`);
    }
    tf.dispose([W, b]);
  });

  it('a per-entry penalty weight of 0 is no penalty (bit-identical), a large one holds its entries at the anchor', async () => {
    const anchor = new Float32Array(16).fill(0.25);
    const plain = setup();
    await trainStage(spec(plain.W, plain.b));
    const zero = setup();
    await trainStage(spec(zero.W, zero.b, { lambda: 5, params: [{ variable: zero.W, isWeight: true, anchor, anchorWeight: new Float32Array(16) }, { variable: zero.b, isWeight: false }] }));
    assert.deepEqual(bits(zero.W.dataSync() as Float32Array), bits(plain.W.dataSync() as Float32Array), 'weight 0 everywhere changes nothing');
    const held = setup(new Float32Array(16).fill(0.25));
    const weight = Float32Array.from({ length: 16 }, (_, i) => (i < 8 ? 1e4 : 0));
    await trainStage(spec(held.W, held.b, { steps: 40, lambda: 1, params: [{ variable: held.W, isWeight: true, anchor, anchorWeight: weight }, { variable: held.b, isWeight: false }] }));
    const w = held.W.dataSync();
    const drift = (from: number, to: number) => Math.max(...Array.from(w.slice(from, to), (v) => Math.abs(v - 0.25)));
    assert.ok(drift(0, 8) < 0.5 * drift(8, 16), `heavily weighted entries stay near the anchor (${drift(0, 8)} vs ${drift(8, 16)})`);
    tf.dispose([plain.W, plain.b, zero.W, zero.b, held.W, held.b]);
  });

  it('several sources: each step averages one mini-batch of every source, and counts their samples', async () => {
    // full batches, so the order inside an epoch does not matter: [A, A] must train like [A]
    const one = setup();
    const single = await trainStage(spec(one.W, one.b, { batchSize: 64, steps: 10 }));
    const two = setup();
    const source = { data: toyData(), forward: (x: tf.Tensor2D) => tf.add(tf.matMul(x, two.W as tf.Tensor2D), two.b) as tf.Tensor2D, loss: 'softmax-ce' as const };
    const double = await trainStage(spec(two.W, two.b, { batchSize: 64, steps: 10, sources: [source, { ...source }] }));
    assert.equal(single.samples, 640);
    assert.equal(double.samples, 1280);
    const a = one.W.dataSync();
    const b = two.W.dataSync();
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-5, `entry ${i}: ${v} vs ${b[i]}`));
    assert.ok(Math.abs(single.loss! - double.loss!) < 1e-5);
    // sources of different sizes: an epoch is a pass over the largest; the smaller one cycles
    const three = setup();
    const small = { data: toyData(16), forward: (x: tf.Tensor2D) => tf.add(tf.matMul(x, three.W as tf.Tensor2D), three.b) as tf.Tensor2D, loss: 'softmax-ce' as const };
    const mixed = await trainStage(spec(three.W, three.b, { batchSize: 16, steps: 8, sources: [{ ...small, data: toyData(64) }, small] }));
    assert.equal(mixed.samples, 8 * 16 + 8 * 16);
    tf.dispose([one.W, one.b, two.W, two.b, three.W, three.b]);
  });

  it('stops with a clear error when the loss becomes NaN, and leaks no tensors', async () => {
    const { W, b } = setup(new Float32Array(16).fill(NaN));
    const count = tf.memory().numTensors;
    await assert.rejects(trainStage(spec(W, b, { learningRate: 0.5 })), (err: Error) => {
      assert.ok(err instanceof NanLossError);
      assert.match(err.message, /NaN at task 1, stage 'task1', step 5/);
      assert.match(err.message, /training\.learningRate \(now 0\.5\)/);
      return true;
    });
    assert.equal(tf.memory().numTensors, count);
    tf.dispose([W, b]);
  });

  it('stops at the next step when cancelled', async () => {
    const { W, b } = setup();
    const abort = new AbortController();
    let losses = 0;
    const count = tf.memory().numTensors;
    await assert.rejects(
      trainStage(
        spec(W, b, {
          steps: 1000,
          lossEvery: 1,
          signal: abort.signal,
          emit: (e) => {
            if (e.type === 'loss' && ++losses === 3) abort.abort();
          },
        }),
      ),
      CancelledError,
    );
    assert.equal(losses, 3, 'no step ran after the cancel request');
    assert.equal(tf.memory().numTensors, count);
    tf.dispose([W, b]);
  });
});
