// Every method on small real data (embedded digits, a small network, the WASM backend): what
// each one is supposed to keep or change, checked on the model's outputs and weights.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { predict } from '../../src/engine/evaluate';
import { Experiment, METHODS, MethodName } from '../../src/engine/experiment';
import { Task } from '../../src/engine/data/tasks';
import { methodOf, TaskReport } from '../../src/engine/methods';
import { diagonalFisher } from '../../src/engine/methods/fisher';
import { headLoss } from '../../src/engine/methods/method';
import { Model, ModelState, modelParamCounts, modelUnits } from '../../src/engine/network/model';
import { paramCounts } from '../../src/engine/network/state';
import { Rng } from '../../src/engine/random';
import type { DenEvent } from '../../src/common/protocol';
import { smallExperiment, tasksOf, useBackend } from './helpers';

interface Trace {
  model: Model;
  /** The model's state after each task. */
  states: ModelState[];
  /** Task 1's test probabilities after each task. */
  task1: Float32Array[];
  reports: TaskReport[];
  events: DenEvent[];
}

/** Trains the first `count` tasks with a method, as a session does (beginTask, then learnTask). */
async function learn(name: MethodName, exp: Experiment, tasks: Task[], count = tasks.length): Promise<Trace> {
  const method = methodOf(name);
  const model = new Model(method.initialModel(exp, tasks[0].train.features));
  const trace: Trace = { model, states: [], task1: [], reports: [], events: [] };
  for (const task of tasks.slice(0, count)) {
    method.beginTask(model, task, exp);
    trace.reports.push(await method.learnTask(model, task, { experiment: exp, emit: (e) => trace.events.push(e), tasks }));
    trace.states.push(model.toState());
    trace.task1.push(predict(model, 1, tasks[0].test, headLoss(exp, tasks[0].outputs)));
  }
  return trace;
}

const identical = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
/** L2 norm of the change of the hidden weights between two states of a shared model. */
const hiddenDrift = (a: ModelState, b: ModelState) =>
  Math.sqrt(a.networks[0].layers.reduce((s, l, i) => s + l.W.data.reduce((t, v, j) => t + (v - b.networks[0].layers[i].W.data[j]) ** 2, 0), 0));
const accuracyOn = (model: Model, exp: Experiment, task: Task) => {
  const p = predict(model, task.index, task.test, headLoss(exp, task.outputs));
  let correct = 0;
  for (let i = 0; i < task.test.count; i++) {
    let best = 0;
    for (let o = 1; o < task.outputs; o++) if (p[i * task.outputs + o] > p[i * task.outputs + best]) best = o;
    if (best === task.test.targets[i]) correct++;
  }
  return correct / task.test.count;
};

describe('methods on real data', function () {
  this.timeout(120000);
  before(useBackend);
  const make = (patch: Record<string, unknown> = {}) => smallExperiment({ training: { epochs: 3, batchSize: 64, learningRate: 0.003, lossEvery: 5 }, ...patch });
  const exp = make();
  let tasks: Task[];
  before(() => (tasks = tasksOf(exp)));

  it('finetune changes old-task outputs; DEN with timestamps (σ = 0) gives them back bit-identically', async () => {
    const ft = await learn('finetune', exp, tasks, 2);
    assert.ok(maxDiff(ft.task1[0], ft.task1[1]) > 0.05, 'finetune moved task 1 outputs');
    assert.equal(ft.states[1].networks.length, 1);
    assert.deepEqual(modelUnits(ft.states[1]), [32, 16], 'finetune never grows');
    const den = await learn('den', make({ den: { sparseHeadSteps: 30, sigma: 0, tau: 0, k: 4 } }), tasks, 2);
    assert.ok(identical(den.task1[0], den.task1[1]), 'DEN left task 1 exactly as it was');
    ft.model.dispose();
    den.model.dispose();
  });

  it('l2 and ewc pull the hidden weights towards the previous task: less drift than finetune, same seed', async () => {
    const strong = make({ baselines: { l2Lambda: 1, ewcLambda: 1e4 } });
    const drift: Record<string, number> = {};
    const forgetting: Record<string, number> = {};
    for (const name of ['finetune', 'l2', 'ewc'] as const) {
      const t = await learn(name, strong, tasks, 2);
      drift[name] = hiddenDrift(t.states[0], t.states[1]);
      forgetting[name] = maxDiff(t.task1[0], t.task1[1]);
      assert.equal(t.reports[1].penalty, name === 'finetune' ? null : name === 'l2' ? 1 : 1e4);
      t.model.dispose();
    }
    assert.ok(drift.l2 < 0.5 * drift.finetune, `l2 drift ${drift.l2} vs finetune ${drift.finetune}`);
    assert.ok(drift.ewc < drift.finetune, `ewc drift ${drift.ewc} vs finetune ${drift.finetune}`);
    // with λ = 0 both are finetune, bit for bit
    const none = make({ baselines: { l2Lambda: 0, ewcLambda: 0 } });
    const [ft, l2, ewc] = [await learn('finetune', none, tasks, 2), await learn('l2', none, tasks, 2), await learn('ewc', none, tasks, 2)];
    assert.ok(identical(ft.states[1].networks[0].layers[0].W.data, l2.states[1].networks[0].layers[0].W.data));
    assert.ok(identical(ft.states[1].networks[0].layers[0].W.data, ewc.states[1].networks[0].layers[0].W.data));
    [ft, l2, ewc].forEach((t) => t.model.dispose());
  });

  it("ewc's Fisher has the layers' shapes, is non-negative, is zero for inputs that are always 0, and accumulates", async () => {
    const t = await learn('ewc', exp, tasks, 2);
    const [f1, f2] = t.states.map((s) => s.aux.fisher);
    const layers = t.states[0].networks[0].layers;
    f1.forEach((a, l) => {
      assert.equal(a.W.length, layers[l].W.data.length);
      assert.equal(a.b.length, layers[l].b.length);
      assert.ok(a.W.every((v) => v >= 0) && a.b.every((v) => v >= 0), `layer ${l + 1} Fisher ≥ 0`);
      assert.ok(a.W.some((v) => v > 0), `layer ${l + 1} Fisher is not all zero`);
    });
    // an input that is 0 in every training example of task 1 has no gradient into its weights
    const data = tasks[0].train;
    const x = new Float32Array(data.count * data.features);
    data.fill(Int32Array.from({ length: data.count }, (_, i) => i), 0, data.count, x, new Float32Array(data.count * data.outputs));
    const dead = Array.from({ length: data.features }, (_, j) => j).filter((j) => x.every((_, i) => i % data.features !== j || x[i] === 0));
    assert.ok(dead.length > 10, `some inputs are always 0 (${dead.length})`);
    const cols = layers[0].W.cols;
    for (const j of dead) for (let c = 0; c < cols; c++) assert.equal(f1[0].W[j * cols + c], 0);
    // accumulated: after task 2 it is task 1's plus task 2's own, recomputed on the checkpointed weights
    const net = new Model(t.states[1]);
    const own = diagonalFisher(net.shared, 2, tasks[1].train, headLoss(exp, tasks[1].outputs), exp.baselines.fisherSamples, new Rng(exp.training.seed).fork('fisher-2'));
    f2.forEach((a, l) => a.W.forEach((v, i) => assert.ok(Math.abs(v - (f1[l].W[i] + own[l].W[i])) <= 1e-6 * Math.max(1, v), `layer ${l + 1} entry ${i}`)));
    assert.ok(f2[0].W.some((v, i) => v > f1[0].W[i]), 'task 2 added information');
    assert.ok(t.events.some((e) => e.type === 'log' && /ewc: diagonal Fisher of task 2 from 256 examples/.test(e.message)));
    net.dispose();
    t.model.dispose();
  });

  it('stl: a network per task; training task 2 leaves task 1 bit-identical; its parameters are the sum', async () => {
    const t = await learn('stl', exp, tasks, 3);
    assert.ok(identical(t.task1[0], t.task1[1]) && identical(t.task1[0], t.task1[2]), 'task 1 never changes');
    const last = t.states[2];
    assert.equal(last.routing, 'per-task');
    assert.equal(last.networks.length, 3);
    assert.deepEqual(modelUnits(last), [96, 48], 'units are the sum over the networks');
    const single = (outputs: number) => 784 * 32 + 32 + 32 * 16 + 16 + 16 * outputs + outputs;
    assert.equal(modelParamCounts(last).total, 3 * single(10));
    assert.deepEqual(last.networks.map((n) => paramCounts(n).total), [single(10), single(10), single(10)]);
    // same seeds as every method: stl's task 1 is finetune's task 1, bit for bit
    const ft = await learn('finetune', exp, tasks, 1);
    assert.ok(identical(ft.task1[0], t.task1[0]), 'stl and finetune learn task 1 identically');
    // every task was learned (chance is 0.1)
    for (const task of tasks) assert.ok(accuracyOn(t.model, exp, task) > 0.25, `stl task ${task.index}`);
    ft.model.dispose();
    t.model.dispose();
  });

  it("joint trains every head on every task seen so far: old tasks do not collapse, unlike finetune's", async () => {
    const joint = await learn('joint', exp, tasks, 3);
    const ft = await learn('finetune', exp, tasks, 3);
    const jointOld = accuracyOn(joint.model, exp, tasks[0]);
    const ftOld = accuracyOn(ft.model, exp, tasks[0]);
    assert.ok(jointOld > 0.6, `joint keeps task 1 (${jointOld})`);
    assert.ok(jointOld > ftOld + 0.15, `joint ${jointOld} vs finetune ${ftOld} on task 1`);
    // one stage per task over all seen tasks: task 3 processes 3 batches per step
    const stages = joint.reports.map((r) => r.stages[0]);
    assert.deepEqual(stages.map((s) => s.samples / s.steps > 64 * (stages.indexOf(s) + 1) - 64), [true, true, true]);
    assert.ok(stages[2].samples > 2.5 * stages[0].samples);
    assert.ok(!identical(joint.states[1].networks[0].heads[0]!.W.data, joint.states[2].networks[0].heads[0]!.W.data), 'the old head trained too');
    assert.ok(identical(ft.states[1].networks[0].heads[0]!.W.data, ft.states[2].networks[0].heads[0]!.W.data), "finetune never trains an old head");
    joint.model.dispose();
    ft.model.dispose();
  });

  describe('progressive', () => {
    /** Trains three tasks, scoring every task seen so far after each, and each new task before it trains. */
    async function progressiveTrace(e: Experiment) {
      const method = methodOf('progressive');
      const model = new Model(method.initialModel(e, tasks[0].train.features));
      const outputs: Float32Array[][] = [];
      const before: Float32Array[] = [];
      const states: ModelState[] = [];
      const reports: TaskReport[] = [];
      const events: DenEvent[] = [];
      for (const task of tasks) {
        method.beginTask(model, task, e);
        before.push(predict(model, task.index, task.test, headLoss(e, task.outputs)));
        reports.push(await method.learnTask(model, task, { experiment: e, emit: (ev) => events.push(ev), tasks }));
        states.push(model.toState());
        outputs.push(tasks.slice(0, task.index).map((j) => predict(model, j.index, j.test, headLoss(e, j.outputs))));
      }
      return { model, outputs, before, states, reports, events };
    }
    /** Parameters of T columns of [h1, h2] units with 10-way heads on 784 inputs: own weights, laterals, biases, heads. */
    const columnsParams = (T: number, [h1, h2]: number[]) =>
      Array.from({ length: T }, (_, i) => i + 1).reduce((n, k) => n + 784 * h1 + h1 + k * h1 * h2 + h2 + k * h2 * 10 + 10, 0);

    it('adds a column per task and keeps every earlier task bit-identical; only laterals, own weights and the new head train', async () => {
      const tr = await progressiveTrace(exp);
      for (let t = 1; t < tasks.length; t++) {
        for (let j = 0; j < t; j++) assert.ok(identical(tr.outputs[t][j], tr.outputs[t - 1][j]), `task ${j + 1} after task ${t + 1}`);
      }
      const [s2, s3] = [tr.states[1].networks[0], tr.states[2].networks[0]];
      assert.equal(tr.states[2].routing, 'columns');
      assert.deepEqual(s3.layers.map((l) => Array.from(new Set(l.born))), [[1, 2, 3], [1, 2, 3]]);
      assert.deepEqual(modelUnits(tr.states[2]), [96, 48]);
      // the weights of columns 1 and 2 and their heads did not change in task 3
      const W2 = (s: typeof s2, l: number, r: number, c: number) => s.layers[l].W.data[r * s.layers[l].W.cols + c];
      for (let r = 0; r < 64; r++) for (let c = 0; c < 32; c++) assert.ok(Object.is(W2(s3, 1, r, c), W2(s2, 1, r, c)), `layer 2 [${r}, ${c}]`);
      for (let r = 0; r < 784; r += 7) for (let c = 0; c < 64; c++) assert.ok(Object.is(W2(s3, 0, r, c), W2(s2, 0, r, c)));
      assert.ok(identical(s3.heads[1]!.W.data, s2.heads[1]!.W.data), 'head 2 frozen');
      // column 3 reads columns 1 and 2 (its laterals learned something), its head reads all three columns
      let lateral = 0;
      for (let r = 0; r < 64; r++) for (let c = 32; c < 48; c++) lateral += Math.abs(W2(s3, 1, r, c));
      assert.ok(lateral > 0.1, `the laterals into column 3 trained (Σ|w| = ${lateral})`);
      assert.equal(s3.heads[2]!.W.rows, 48);
      // a column never reads a later one: the weights from column 3 into columns 1 and 2 are exactly zero
      for (let r = 64; r < 96; r++) for (let c = 0; c < 32; c++) assert.equal(W2(s3, 1, r, c), 0);
      // the report: the column's units, one training stage
      assert.deepEqual(tr.reports.map((r) => r.added), [[0, 0], [32, 16], [32, 16]]);
      assert.deepEqual(tr.reports.map((r) => r.expanded), [false, true, true]);
      assert.deepEqual(tr.reports.map((r) => r.stages.map((s) => s.stage)), [['train'], ['train'], ['train']]);
      assert.ok(tr.events.some((e) => e.type === 'log' && e.message === 'progressive: column 3 of [32, 16] units, laterals from columns 1–2'));
      // parameters: own weights, laterals and heads, not the zeros from later columns
      assert.equal(modelParamCounts(tr.states[2]).total, columnsParams(3, [32, 16]));
      assert.ok(modelParamCounts(tr.states[2]).total < paramCounts(s3).total);
      for (const task of tasks) assert.ok(accuracyOn(tr.model, exp, task) > 0.25, `task ${task.index} was learned`);
      tr.model.dispose();
    });

    it("starts every column as STL's network for the task: task 1 is STL's bit for bit, later tasks equal before training", async () => {
      const tr = await progressiveTrace(exp);
      const s = await learn('stl', exp, tasks, 1);
      assert.ok(identical(tr.outputs[0][0], s.task1[0]), "task 1 is stl's task 1");
      // before training, task t's outputs are those of the initial network with the task's fresh head (laterals at 0)
      const stl = methodOf('stl');
      for (const task of tasks.slice(1)) {
        stl.beginTask(s.model, task, exp);
        const fresh = predict(s.model, task.index, task.test, headLoss(exp, task.outputs));
        assert.ok(maxDiff(tr.before[task.index - 1], fresh) < 1e-6, `task ${task.index} before training: ${maxDiff(tr.before[task.index - 1], fresh)}`);
      }
      tr.model.dispose();
      s.model.dispose();
    });

    it('baselines.progressiveWidth scales every column', async () => {
      const half = make({ baselines: { progressiveWidth: 0.5 } });
      const tr = await progressiveTrace(half);
      assert.deepEqual(modelUnits(tr.states[2]), [48, 24]);
      assert.equal(modelParamCounts(tr.states[2]).total, columnsParams(3, [16, 8]));
      for (let t = 1; t < tasks.length; t++) assert.ok(identical(tr.outputs[t][0], tr.outputs[0][0]));
      tr.model.dispose();
    });
  });

  describe('ablations of DEN', () => {
    it('den-no-timestamps: growth for task 2 changes task 1 outputs (den does not, same settings)', async () => {
      // σ = 0 restores every drifted unit for task 1, so only the growth can reach it
      const grow = make({ den: { sparseHeadSteps: 30, tau: 0, sigma: 0, k: 6 } });
      const timed = await learn('den', grow, tasks, 2);
      const untimed = await learn('den-no-timestamps', grow, tasks, 2);
      assert.ok(identical(untimed.task1[0], timed.task1[0]), 'the same task 1');
      assert.deepEqual(modelUnits(untimed.states[1]), modelUnits(timed.states[1]), 'the same growth');
      assert.ok(identical(timed.task1[0], timed.task1[1]), 'den: task 1 unchanged');
      assert.ok(maxDiff(untimed.task1[0], untimed.task1[1]) > 1e-4, 'no timestamps: task 1 sees the new units');
      assert.equal(untimed.states[1].timestamps, false);
      // the head of task 1 keeps its own width
      assert.equal(untimed.states[1].networks[0].heads[0]!.W.rows, 16);
      timed.model.dispose();
      untimed.model.dispose();
    });

    it('den-constant: expands by exactly k on every task, prunes nothing, even with a huge γ and τ', async () => {
      const t = await learn('den-constant', make({ den: { sparseHeadSteps: 30, tau: 1e9, gamma: 10, sigma: 1e9, k: 5 } }), tasks, 3);
      assert.deepEqual(t.states.map(modelUnits), [[32, 16], [37, 21], [42, 26]]);
      for (const r of t.reports.slice(1)) {
        assert.equal(r.expanded, true);
        assert.deepEqual(r.added, [5, 5]);
        assert.deepEqual(r.pruned, [0, 0]);
      }
      // the same settings zero every new unit's group in den: each is pruned, or kept because its
      // constant output feeds an old unit
      const den = await learn('den', make({ den: { sparseHeadSteps: 30, tau: 0, gamma: 10, sigma: 1e9, k: 5 } }), tasks, 2);
      const expansion = den.events.find((e) => e.type === 'expansion') as Extract<DenEvent, { type: 'expansion' }>;
      assert.deepEqual(den.reports[1].pruned.map((p, l) => p + expansion.deadKept![l]), [5, 5]);
      assert.equal(den.reports[1].pruned[1], 5, 'the top layer\'s dead units feed only the task\'s head: all removed');
      t.model.dispose();
      den.model.dispose();
    });

    it('den-no-split: splits nothing where den splits every drifted unit', async () => {
      const split = make({ den: { sparseHeadSteps: 30, tau: 1e9, sigma: 0 } });
      const den = await learn('den', split, tasks, 2);
      const none = await learn('den-no-split', split, tasks, 2);
      assert.ok(den.reports[1].split[0] > 0, 'den splits');
      assert.deepEqual(none.reports[1].split, [0, 0]);
      assert.deepEqual(modelUnits(none.states[1]), [32, 16]);
      const event = none.events.find((e) => e.type === 'split') as Extract<DenEvent, { type: 'split' }>;
      assert.match(event.skipped!, /den-no-split/);
      assert.ok(maxDiff(none.task1[0], none.task1[1]) > 0, 'without split, task 1 drifts');
      den.model.dispose();
      none.model.dispose();
    });
  });

  it('every method keeps the tensor count at its own variables over three tasks', async () => {
    for (const name of METHODS) {
      const before = tf.memory().numTensors;
      const t = await learn(name, exp, tasks, 3);
      const variables = t.model.networks.reduce((n, net) => n + 2 * net.layers.length + 2 * net.heads.filter(Boolean).length, 0);
      assert.equal(tf.memory().numTensors - before, variables, `${name}: only the model's variables are alive`);
      t.model.dispose();
      assert.equal(tf.memory().numTensors, before, `${name}: nothing left after dispose`);
    }
  });
});
