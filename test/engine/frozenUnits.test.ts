// Expansion and retraining run on the frozen blocks' structure (den/frozenUnits.ts): what depends
// only on the data and frozen weights is computed once per stage, and the trained blocks are
// variables of their own. Checked, for two and three hidden layers: the same trained weights as the
// stage on the whole network within float32 noise, the frozen entries bit for bit; a step neither
// multiplies by nor updates a frozen block; no tensor left behind; the cases in which it does not
// apply fall back to the whole network; a stage that would train old units is refused; and
// learnTask uses it. The activations are computed once per task: given to a stage, they train the
// same weights bit for bit; stale ones are refused, and after a split only the restored units' part
// is computed again, bit for bit a whole pass; the τ statistic's pass that computes them gives the
// same loss as meanLoss.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { FrozenActivations, frozenActivations, frozenOldUnits, updateActivations } from '../../src/engine/den/frozenUnits';
import { meanLoss } from '../../src/engine/evaluate';
import { headLoss } from '../../src/engine/methods/method';
import { learnTask } from '../../src/engine/den/learnTask';
import { Network } from '../../src/engine/network/network';
import { expandState, ownedMasks } from '../../src/engine/network/structure';
import { Rng } from '../../src/engine/random';
import { StageSource, trainStage } from '../../src/engine/training';
import type { TrainableParam } from '../../src/engine/adamProx';
import { Task } from '../../src/engine/data/tasks';
import { addHead, freshNetwork, maxRelativeDiff, smallExperiment, tasksOf, useBackend } from './helpers';

const exp = smallExperiment();
const OLD = [32, 16];
const DEEP = [32, 16, 8];

/** A network that learned task 1 (`old` units) and grew by [5, 3, 2, …] units for task 2, with task 2's head. */
function grownNetwork(tasks: Task[], old = OLD): Network {
  const net = freshNetwork(smallExperiment({ network: { hidden: old } }), tasks);
  addHead(net, tasks[0]);
  net.setState(expandState(net.toState(), 2, [5, 3, 2].slice(0, old.length), new Rng(3)));
  addHead(net, tasks[1]);
  return net;
}

/** The parameters of expansion for task 2: what the task owns, the group lasso on the new units. */
function expansionParams(net: Network, old = OLD): TrainableParam[] {
  const masks = ownedMasks(net.toState(), old);
  const params: TrainableParam[] = net.layers.flatMap((l, i) => [
    { variable: l.W, isWeight: true, mask: masks[i].W, groupColumns: Float32Array.from({ length: l.W.shape[1] }, (_, c) => (c >= old[i] ? 1 : 0)), groupThreshold: 1e-3 },
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

/**
 * `steps` of the stage from the same start on the whole network or on the frozen blocks (computing
 * their activations, or given them by `activations`); the network's weights after it.
 */
async function trainedWeights(tasks: Task[], frozen: boolean, steps: number, old = OLD, activations?: (net: Network) => FrozenActivations): Promise<Float32Array[]> {
  const net = grownNetwork(tasks, old);
  const params = expansionParams(net, old);
  const given = activations?.(net);
  const before = tf.memory().numTensors;
  const f = frozen ? frozenOldUnits(net, 2, tasks[1].train, old, params, given) : null;
  if (frozen) assert.ok(f, 'the frozen blocks apply to this stage');
  try {
    await stage(f?.params ?? params, { data: f?.data ?? tasks[1].train, forward: f?.forward ?? ((x) => net.logits(x, 2)), loss: 'sigmoid-bce-sum' }, steps);
  } finally {
    f?.finish();
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  const weights = [...net.layers.flatMap((l) => [l.W, l.b]), net.heads[1]!.W, net.heads[1]!.b].map((v) => v.dataSync().slice() as Float32Array);
  net.dispose();
  return weights;
}

describe('frozen blocks of the old units (expansion and retraining)', () => {
  before(useBackend);

  for (const old of [OLD, DEEP]) {
    it(`trains what the stage on the whole network trains, within float32 noise, without leaks (hidden ${old.join(', ')})`, async () => {
      const tasks = tasksOf(exp);
      const start = grownNetwork(tasks, old);
      const initial = start.toState();
      start.dispose();
      const whole = await trainedWeights(tasks, false, 5, old);
      const frozen = await trainedWeights(tasks, true, 5, old);
      whole.forEach((w, i) => assert.ok(maxRelativeDiff(frozen[i], w) < 1e-5, `variable ${i}: ${maxRelativeDiff(frozen[i], w)}`));
      initial.layers.forEach((layer, l) => {
        const oldRows = l === 0 ? initial.inputDim : old[l - 1];
        let changedNew = 0;
        for (let r = 0; r < layer.W.rows; r++) {
          for (let c = 0; c < layer.W.cols; c++) {
            const i = r * layer.W.cols + c;
            if (r < oldRows && c < old[l]) assert.equal(frozen[2 * l][i], layer.W.data[i], `layer ${l + 1}: a frozen weight changed`);
            else if (frozen[2 * l][i] !== layer.W.data[i]) changedNew++;
          }
        }
        assert.ok(changedNew > 0, `layer ${l + 1}: the trained blocks trained`);
        assert.deepEqual(frozen[2 * l + 1].subarray(0, old[l]), layer.b.subarray(0, old[l]), `layer ${l + 1}: the old biases are unchanged`);
      });
    });
  }

  it('a step neither multiplies by nor updates a frozen block', async () => {
    const tasks = tasksOf(exp);
    const D = tasks[1].train.features;
    const shapesOf = async (frozen: boolean) => {
      const net = grownNetwork(tasks);
      const params = expansionParams(net);
      const f = frozen ? frozenOldUnits(net, 2, tasks[1].train, OLD, params)! : null;
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
    assert.ok(whole.all.includes(`${D},37`) && whole.all.includes('37,19'), "the whole network's update runs over every layer");
    for (const shape of [`${D},37`, `${D},32`, '37,19', '32,16']) assert.ok(!frozen.all.includes(shape), `no op of the step has the shape ${shape} of a layer or its frozen block`);
  });

  it('falls back to the whole network where it does not apply, and refuses a stage that trains old units', () => {
    const tasks = tasksOf(exp);
    const net = grownNetwork(tasks);
    const params = expansionParams(net);
    assert.equal(frozenOldUnits(net, 2, tasks[1].train, [37, 16], params), null, 'a layer without new units');
    assert.equal(frozenOldUnits(net, 1, tasks[0].train, OLD, params), null, 'task 1 does not see the new units');
    const trainsAll = params.map((p) => ({ ...p, mask: undefined }));
    assert.throws(() => frozenOldUnits(net, 2, tasks[1].train, OLD, trainsAll), /trains weights among, or biases of, the 32 old units of hidden layer 1/);
    const trainsOldBias = params.map((p) => (p.variable === net.layers[1].b ? { ...p, mask: undefined } : p));
    assert.throws(() => frozenOldUnits(net, 2, tasks[1].train, OLD, trainsOldBias), /the 16 old units of hidden layer 2/);
    net.dispose();
  });

  it('activations computed once train the same weights bit for bit; stale or misshapen ones are refused, and brought up to date', async () => {
    const tasks = tasksOf(exp);
    const train = tasks[1].train;
    const computed = await trainedWeights(tasks, true, 5);
    // computed before the stage, on the network as it starts (as the τ statistic's pass does)
    const given = await trainedWeights(tasks, true, 5, OLD, (net) => frozenActivations(net, train, OLD));
    computed.forEach((w, i) => assert.deepEqual(given[i], w, `variable ${i}`));

    const net = grownNetwork(tasks);
    const params = expansionParams(net);
    const acts = frozenActivations(net, train, OLD);
    const f = frozenOldUnits(net, 2, train, OLD, params)!;
    assert.deepEqual(f.activations.values, acts.values, 'the stage computes the same activations');
    // after a stage the old units are as they were, so the activations still serve (retraining after an expansion)
    await stage(f.params, { data: f.data, forward: f.forward, loss: 'sigmoid-bce-sum' }, 3);
    f.finish();
    frozenOldUnits(net, 2, train, OLD, params, acts)!.finish();
    assert.throws(() => frozenOldUnits(net, 2, train, [32, 15], params, acts), /the activations given are of 32, 16 old units, the stage has 32, 15/);
    const unchanged = acts.values.slice();
    assert.equal(updateActivations(net, train, acts, net.toState(), net.toState()), acts);
    assert.deepEqual(acts.values, unchanged, 'nothing changed, nothing computed');
    // old units restored to other weights (what a split does): their activations are stale, and only theirs are computed again
    const before = net.toState();
    const state = net.toState();
    for (const c of [0, 7]) for (let r = 0; r < state.layers[0].W.rows; r++) state.layers[0].W.data[r * state.layers[0].W.cols + c] += 0.05;
    state.layers[0].b[3] += 0.1;
    net.setState(state);
    assert.throws(() => frozenOldUnits(net, 2, train, OLD, expansionParams(net), acts), /not the old units' current ones \(example 1/);
    const fresh = frozenActivations(net, train, OLD).values;
    assert.deepEqual(updateActivations(net, train, acts, before, state).values, fresh, 'the first layer changed: bit for bit a whole pass');
    // a unit of the second layer restored: only its input from the first layer changes
    const state2 = net.toState();
    state2.layers[1].W.data[5 * state2.layers[1].W.cols + 2] -= 0.3;
    const beforeSecond = net.toState();
    net.setState(state2);
    updateActivations(net, train, acts, beforeSecond, state2);
    assert.deepEqual(acts.values, frozenActivations(net, train, OLD).values, 'the second layer changed: bit for bit a whole pass');
    assert.notDeepEqual(acts.values, fresh);
    net.dispose();
  });

  it("learnTask: the τ statistic's pass gives meanLoss bit for bit, expansion and retraining after a split run on the frozen units", async () => {
    const tasks = tasksOf(exp);
    const net = freshNetwork(exp, tasks);
    const experiment = smallExperiment({ den: { tau: 0, sigma: 1e-3, sparseHeadSteps: 10 } });
    const checked: string[] = [];
    const emit = (e: { type: string; value?: number }) => {
      // the network is the selectively retrained one while the τ test's event is emitted
      if (e.type === 'tau-test' && net.heads[1]) {
        const expected = meanLoss(net, 2, tasks[1].train, headLoss(experiment, tasks[1].outputs));
        assert.equal(e.value, expected, 'the τ statistic');
        checked.push('tau');
      }
    };
    for (const task of tasks.slice(0, 2)) {
      addHead(net, task);
      const report = await learnTask(net, task, { experiment, emit: emit as never });
      if (task.index === 2) {
        assert.equal(report.expanded, true);
        assert.ok(report.split.some((n) => n > 0), `split: ${report.split}`);
        assert.ok(report.stages.some((s) => s.stage === 'retrain'));
        assert.ok((report.phases?.['frozen-units'] ?? 0) > 0, `phases: ${JSON.stringify(report.phases)}`);
      }
    }
    assert.deepEqual(checked, ['tau']);
    net.dispose();
  });
});
