// Expansion and retraining feed the activations of the first layer's old units with every batch
// and train the new units' columns as a variable of their own (den/frozenUnits.ts). Checked: the
// same trained weights as the stage on the whole network, bit for bit; a step neither multiplies by
// nor updates the old units' block of the first layer; no tensor left behind; the cases in which
// nothing is gained fall back to the whole network; a stage that would train old units is refused;
// and learnTask uses it.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { frozenFirstUnits } from '../../src/engine/den/frozenUnits';
import { learnTask } from '../../src/engine/den/learnTask';
import { Network } from '../../src/engine/network/network';
import { expandState, ownedMasks } from '../../src/engine/network/structure';
import { Rng } from '../../src/engine/random';
import { StageSource, trainStage } from '../../src/engine/training';
import type { TrainableParam } from '../../src/engine/adamProx';
import { Task } from '../../src/engine/data/tasks';
import { addHead, freshNetwork, smallExperiment, tasksOf, useBackend } from './helpers';

const exp = smallExperiment();
const OLD = [32, 16];

/** A network that learned task 1 ([32, 16] units) and grew by [5, 3] units for task 2, with task 2's head. */
function grownNetwork(tasks: Task[]): Network {
  const net = freshNetwork(exp, tasks);
  addHead(net, tasks[0]);
  net.setState(expandState(net.toState(), 2, [5, 3], new Rng(3)));
  addHead(net, tasks[1]);
  return net;
}

/** The parameters of expansion for task 2: what the task owns, the group lasso on the new units. */
function expansionParams(net: Network): TrainableParam[] {
  const masks = ownedMasks(net.toState(), OLD);
  const params: TrainableParam[] = net.layers.flatMap((l, i) => [
    { variable: l.W, isWeight: true, mask: masks[i].W, groupColumns: Float32Array.from({ length: l.W.shape[1] }, (_, c) => (c >= OLD[i] ? 1 : 0)), groupThreshold: 1e-3 },
    { variable: l.b, isWeight: false, mask: masks[i].b },
  ]);
  params.push({ variable: net.heads[1]!.W, isWeight: true }, { variable: net.heads[1]!.b, isWeight: false });
  return params;
}

/** Trains `steps` steps of an expansion-like stage of task 2. */
function stage(params: TrainableParam[], source: StageSource, steps: number) {
  return trainStage({
    task: 2,
    stage: 'expansion',
    sources: [source],
    params,
    steps,
    batchSize: 64,
    learningRate: 1e-3,
    lrDecay: 1,
    weightDecay: 1e-4,
    decoupledWeightDecay: false,
    lambda: 0,
    mu: 1e-5,
    proximal: 'adam',
    lossEvery: 10,
    rng: new Rng(5),
    emit: () => undefined,
    stepOffset: 0,
  });
}

/** The stage from the same start on the whole network or with the frozen units; the network's weights after it. */
async function trainedWeights(tasks: Task[], frozen: boolean): Promise<Float32Array[]> {
  const net = grownNetwork(tasks);
  const params = expansionParams(net);
  const before = tf.memory().numTensors;
  const f = frozen ? frozenFirstUnits(net, 2, tasks[1].train, 32, params) : null;
  if (frozen) assert.ok(f, 'the frozen units apply to this stage');
  try {
    await stage(f?.params ?? params, { data: f?.data ?? tasks[1].train, forward: f?.forward ?? ((x) => net.logits(x, 2)), loss: 'sigmoid-bce-sum' }, 40);
  } finally {
    f?.finish();
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  const weights = [...net.layers.flatMap((l) => [l.W, l.b]), net.heads[1]!.W, net.heads[1]!.b].map((v) => v.dataSync().slice() as Float32Array);
  net.dispose();
  return weights;
}

describe('frozen first-layer units (expansion and retraining)', () => {
  before(useBackend);

  it('trains the same weights as the stage on the whole network, bit for bit, without leaks', async () => {
    const tasks = tasksOf(exp);
    const whole = await trainedWeights(tasks, false);
    const frozen = await trainedWeights(tasks, true);
    const start = grownNetwork(tasks);
    const initial = start.layers[0].W.dataSync();
    assert.ok(whole[0].some((v, i) => i % 37 >= 32 && v !== initial[i]), "the new units' columns trained");
    assert.ok(whole[0].every((v, i) => i % 37 >= 32 || v === initial[i]), "the old units' columns did not");
    start.dispose();
    whole.forEach((w, i) => assert.deepEqual(frozen[i], w, `variable ${i}`));
  });

  it("a step neither multiplies by nor updates the old units' block of the first layer", async () => {
    const tasks = tasksOf(exp);
    const D = tasks[1].train.features;
    const shapesOf = async (frozen: boolean) => {
      const net = grownNetwork(tasks);
      const params = expansionParams(net);
      const f = frozen ? frozenFirstUnits(net, 2, tasks[1].train, 32, params)! : null;
      const profile = await tf.profile(async () => {
        await stage(f?.params ?? params, { data: f?.data ?? tasks[1].train, forward: f?.forward ?? ((x) => net.logits(x, 2)), loss: 'sigmoid-bce-sum' }, 1);
        return [];
      });
      f?.finish();
      net.dispose();
      return {
        matmuls: profile.kernels.filter((k) => /MatMul/.test(k.name)).map((k) => k.inputShapes.slice(0, 2).map(String).join(' × ')),
        all: profile.kernels.flatMap((k) => [...k.inputShapes, ...k.outputShapes].map(String)),
      };
    };
    // one profile at a time: the profiler records every kernel that runs while it is open
    const whole = await shapesOf(false);
    const frozen = await shapesOf(true);
    // forward x·W and backward xᵀ·δ of the first layer, over its units 0..units−1 or its 5 new ones
    const firstLayer = (units: number) => [`64,${D} × ${D},${units}`, `64,${D} × 64,${units}`];
    for (const m of firstLayer(37)) assert.ok(whole.matmuls.includes(m), `the whole network's step has ${m}; the check can see it`);
    for (const m of [...firstLayer(37), ...firstLayer(32)]) assert.ok(!frozen.matmuls.includes(m), `no matmul over the old units' weights: ${frozen.matmuls.join('; ')}`);
    for (const m of firstLayer(5)) assert.ok(frozen.matmuls.includes(m), `the new units of the first layer are computed and trained (${m})`);
    assert.ok(whole.all.includes(`${D},37`), "the whole network's update runs over the first layer");
    assert.ok(!frozen.all.includes(`${D},37`) && !frozen.all.includes(`${D},32`), "no op of the step touches the old units' block");
  });

  it('falls back to the whole network where nothing is gained, and refuses a stage that trains old units', () => {
    const tasks = tasksOf(exp);
    const net = grownNetwork(tasks);
    const params = expansionParams(net);
    assert.equal(frozenFirstUnits(net, 2, tasks[1].train, 0, params), null, 'no old units');
    assert.equal(frozenFirstUnits(net, 2, tasks[1].train, 37, params), null, 'no new units');
    assert.equal(frozenFirstUnits(net, 1, tasks[0].train, 32, params), null, 'task 1 does not see the new units of the first layer');
    const trainsAll = params.map((p) => ({ ...p, mask: undefined }));
    assert.throws(() => frozenFirstUnits(net, 2, tasks[1].train, 32, trainsAll), /trains entries of the first layer's first 32 units/);
    net.dispose();
  });

  it('learnTask runs expansion and retraining on the frozen units (timed as a phase)', async () => {
    const tasks = tasksOf(exp);
    const net = freshNetwork(exp, tasks);
    const ctx = { experiment: smallExperiment({ den: { tau: 0, sparseHeadSteps: 10 } }), emit: () => undefined };
    for (const task of tasks.slice(0, 2)) {
      addHead(net, task);
      const report = await learnTask(net, task, ctx);
      if (task.index === 2) {
        assert.equal(report.expanded, true);
        assert.ok((report.phases?.['frozen-units'] ?? 0) > 0, `phases: ${JSON.stringify(report.phases)}`);
      }
    }
    net.dispose();
  });
});
