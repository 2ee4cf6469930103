// Runs, checkpoints, continuing, branching and cancelling, through the same entry point as the CLI.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { evaluateRun } from '../../src/engine/evaluateRun';
import { ExperimentError, METHODS, defaultExperiment, experimentSchema } from '../../src/engine/experiment';
import { loadCheckpoint } from '../../src/engine/run/checkpoint';
import { RunError, RunFolder, readEvents } from '../../src/engine/run/runFolder';
import { train } from '../../src/engine/session';
import type { DenEvent, RunSummary } from '../../src/common/protocol';
import { useBackend } from './helpers';

const experiment = (patch: Record<string, unknown> = {}) => ({
  name: 'session test',
  backend: 'wasm',
  data: { source: 'mnist', limit: 800 },
  tasks: { type: 'permuted', count: 3 },
  network: { hidden: [24, 12] },
  training: { epochs: 2, batchSize: 64, learningRate: 0.01, lossEvery: 2 },
  den: { sparseHeadSteps: 10, k: 3, ...((patch.den as object) ?? {}) },
  ...Object.fromEntries(Object.entries(patch).filter(([k]) => k !== 'den')),
});

describe('training sessions and run folders', function () {
  this.timeout(120000);
  let dir: string;
  let file: string;
  before(useBackend);
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-session-'));
    file = path.join(dir, 'exp.den.json');
    fs.writeFileSync(file, '// test\n' + JSON.stringify(experiment(), null, 2));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a complete run folder after every task', async () => {
    const events: DenEvent[] = [];
    const result = await train({ experimentFile: file, tasks: 2, emit: (e) => events.push(e) });
    assert.equal(path.dirname(result.runDir), path.join(dir, 'runs'), 'new runs go to runs/ next to the experiment');
    assert.match(path.basename(result.runDir), /^session-test-\d{8}-\d{6}$/);
    const run = RunFolder.open(result.runDir);
    const summary = run.readSummary()!;
    assert.deepEqual(summary, result.summary);
    assert.equal(summary.name, 'session test');
    assert.equal(summary.method, 'den');
    assert.equal(summary.backend.name, 'wasm');
    assert.deepEqual(summary.taskNames, ['permuted-1', 'permuted-2', 'permuted-3']);
    assert.equal(summary.tasks.length, 2);
    for (const key of ['index', 'name', 'seconds', 'units', 'added', 'pruned', 'split', 'expanded', 'params', 'selectedUnits', 'tauStatistic', 'maxDrift']) {
      assert.ok(key in summary.tasks[1], `tasks[] entries have ${key}`);
    }
    // the parts of a task that are not training are timed, and with the stages they fit in the task's wall time
    assert.deepEqual(Object.keys(summary.tasks[0].phases!).sort(), ['checkpoint', 'evaluation', 'score-before']);
    for (const p of ['score-before', 'head-features', 'selection', 'tau-statistic', 'split', 'evaluation', 'checkpoint'] as const) {
      assert.ok(summary.tasks[1].phases![p]! > 0, `task 2 timed ${p}`);
    }
    for (const t of summary.tasks) {
      const parts = [...t.stages.map((s) => s.seconds), ...Object.values(t.phases!)].reduce((a, b) => a + b!, 0);
      assert.ok(parts <= t.seconds + 0.002, `task ${t.index}: parts ${parts}s within ${t.seconds}s`);
    }
    assert.deepEqual(summary.accuracy.map((r) => r.length), [1, 2]);
    assert.deepEqual(summary.auroc.map((r) => r.length), [1, 2]);
    for (const key of ['acc', 'bwt', 'fwt', 'forgetting', 'params', 'seconds'] as const) assert.ok(summary[key] !== undefined && summary[key] !== null, key);
    assert.equal(summary.acc, (summary.accuracy[1][0] + summary.accuracy[1][1]) / 2);
    assert.equal(summary.bwt, summary.accuracy[1][0] - summary.accuracy[0][0]);
    assert.equal(summary.baseline.accuracy.length, 3);
    assert.ok(summary.accuracy[1][1] > summary.baseline.accuracy[1] + 0.2, `task 2 was learned (${summary.accuracy[1][1]} vs random ${summary.baseline.accuracy[1]})`);
    // the experiment as used, with absolute paths and defaults
    const used = run.readExperiment() as { den: { tau: number } };
    assert.equal(used.den.tau, experimentSchema.properties.den.properties.tau.default);
    // checkpoints load and match the summary's units
    for (const t of [1, 2]) {
      const { model, meta } = loadCheckpoint(run.checkpointDir(t));
      const state = model.networks[0];
      assert.deepEqual(state.layers.map((l) => l.b.length), summary.tasks[t - 1].units);
      assert.equal(state.heads.length, t);
      assert.equal(meta.task, t);
      assert.ok(fs.existsSync(path.join(run.checkpointDir(t), 'experiment.json')));
    }
    // the event log has everything the live listener got, in order
    const logged = readEvents(run.eventsFile);
    assert.deepEqual(logged.map((e) => e.type), events.map((e) => e.type));
    assert.equal(logged[0].type, 'run-start');
    assert.equal(logged[logged.length - 1].type, 'run-end');
    assert.equal(events.filter((e) => e.type === 'task-end').length, 2);
    assert.ok(events.some((e) => e.type === 'loss'));
  });

  it('continues a run with the next task and refuses when every task is trained', async () => {
    const first = await train({ experimentFile: file, tasks: 1 });
    const second = await train({ experimentFile: file, runDir: first.runDir });
    assert.equal(second.runDir, first.runDir);
    assert.equal(second.summary.tasks.length, 3);
    assert.deepEqual(second.summary.accuracy.map((r) => r.length), [1, 2, 3]);
    assert.deepEqual(second.summary.accuracy[0], first.summary.accuracy[0], 'task 1 row is kept');
    await assert.rejects(train({ experimentFile: file, runDir: first.runDir }), (err: Error) => err instanceof RunError && /already trained all 3 tasks/.test(err.message));
  });

  it('retrains a task with the current hyperparameters into a new branch, leaving the run as it was', async () => {
    const run = await train({ experimentFile: file, tasks: 2 });
    const parentSummary = fs.readFileSync(path.join(run.runDir, 'summary.json'), 'utf8');
    fs.writeFileSync(file, JSON.stringify(experiment({ den: { k: 7, tau: 0 } })));
    const branch = await train({ experimentFile: file, runDir: run.runDir, retrainTask: 2 });
    assert.equal(path.dirname(branch.runDir), path.join(run.runDir, 'branches'));
    assert.match(path.basename(branch.runDir), /^task2-/);
    assert.equal(fs.readFileSync(path.join(run.runDir, 'summary.json'), 'utf8'), parentSummary, 'the parent run is unchanged');
    const s = branch.summary;
    assert.deepEqual(s.branch, { parent: run.runDir, baseTask: 1 });
    assert.equal(s.tasks.length, 2);
    assert.deepEqual(s.tasks[0], run.summary.tasks[0], 'task 1 is shared with the parent');
    assert.equal(s.tasks[1].hyper.k, 7);
    assert.equal(s.tasks[1].added[0], 7, 'the new k was used');
    const folder = RunFolder.open(branch.runDir);
    assert.equal(folder.checkpointDir(1), RunFolder.open(run.runDir).checkpointDir(1), 'task 1 comes from the parent');
    assert.equal(folder.checkpointDir(2), path.join(branch.runDir, 'tasks', 'task-002'));
    assert.deepEqual(RunFolder.open(run.runDir).branches().map((b) => b.dir), [branch.runDir]);
    // the branch continues on its own
    const more = await train({ experimentFile: file, runDir: branch.runDir });
    assert.equal(more.summary.tasks.length, 3);
  });

  it('trains into a given folder (a sweep point): a branch there records its origin; a repeat continues up to the task asked', async () => {
    const run = await train({ experimentFile: file, tasks: 2 });
    const into = path.join(dir, 'sweep', 'runs', 'p1');
    const branch = await train({ experimentFile: file, runDir: run.runDir, retrainTask: 2, into, until: 2 });
    assert.equal(branch.runDir, into);
    assert.deepEqual(branch.summary.branch, { parent: run.runDir, baseTask: 1 });
    assert.equal(RunFolder.open(into).info.parent!.dir, path.relative(into, run.runDir), 'run.json names the parent relative to the branch');
    assert.equal(RunFolder.open(into).checkpointDir(1), RunFolder.open(run.runDir).checkpointDir(1));
    assert.deepEqual(RunFolder.open(run.runDir).branches(), [], 'nothing is added to the parent run');
    const events = readEvents(RunFolder.open(into).eventsFile).length;
    const again = await train({ experimentFile: file, runDir: run.runDir, retrainTask: 2, into, until: 2 });
    assert.deepEqual(again.summary, branch.summary, 'nothing to do: the run has task 2');
    assert.equal(readEvents(RunFolder.open(into).eventsFile).length, events, 'and nothing was trained');
    const more = await train({ experimentFile: file, runDir: run.runDir, retrainTask: 2, into, until: 3 });
    assert.equal(more.summary.tasks.length, 3, 'a repeat with a later task continues the run there');
    assert.deepEqual(more.summary.accuracy[1], branch.summary.accuracy[1]);
    await assert.rejects(train({ experimentFile: file, runDir: run.runDir, retrainTask: 1, into, until: 1 }), (err: Error) => err instanceof RunError && /is a branch of .* after task 1, not a branch of .* after task 0/.test(err.message));
    await assert.rejects(train({ experimentFile: file, into, until: 1 }), (err: Error) => err instanceof RunError && /not a run of its own/.test(err.message));

    const scratch = path.join(dir, 'sweep', 'runs', 'p2');
    fs.mkdirSync(scratch, { recursive: true });
    fs.writeFileSync(path.join(scratch, 'note.txt'), 'x');
    await assert.rejects(train({ experimentFile: file, into: scratch }), (err: Error) => err instanceof RunError && /exists and is not a run folder/.test(err.message));
    fs.rmSync(path.join(scratch, 'note.txt'));
    const one = await train({ experimentFile: file, into: scratch, until: 1 });
    assert.equal(one.runDir, scratch);
    assert.equal(one.summary.branch, null);
    const rest = await train({ experimentFile: file, into: scratch, until: 3 });
    assert.equal(rest.summary.tasks.length, 3);
    assert.deepEqual(rest.summary.accuracy[0], one.summary.accuracy[0], 'task 1 was not trained again');
    await assert.rejects(train({ experimentFile: file, into: scratch, until: 4 }), (err: Error) => err instanceof RunError && /until task 4: must be between 1 and the stream's 3 tasks/.test(err.message));

    // an attempt of an older version killed before its first task left run.json only: the folder is reused
    const early = path.join(dir, 'sweep', 'runs', 'p3');
    fs.mkdirSync(early, { recursive: true });
    fs.writeFileSync(path.join(early, 'run.json'), JSON.stringify({ format: 'den-lab-run', formatVersion: 1, name: 'session test', created: new Date().toISOString(), parent: { dir: path.relative(early, run.runDir), baseTask: 1 } }));
    const reused = await train({ experimentFile: file, runDir: run.runDir, retrainTask: 2, into: early, until: 2 });
    assert.equal(reused.runDir, early);
    assert.deepEqual(reused.summary.accuracy, branch.summary.accuracy, 'the same values give the same numbers');

    // a branch can also train the run's next task (a sweep of task 3 of a run that has 2)
    const next = await train({ experimentFile: file, runDir: run.runDir, retrainTask: 3, into: path.join(dir, 'sweep', 'runs', 'p4') });
    assert.deepEqual([next.summary.tasks.length, next.summary.branch], [3, { parent: run.runDir, baseTask: 2 }]);
    await assert.rejects(train({ experimentFile: file, runDir: next.runDir, retrainTask: 4 }), (err: Error) => err instanceof RunError && /cannot retrain task 4: .* has completed tasks 1\.\.3 of 3/.test(err.message));
  });

  it('refuses to continue with different data, tasks or network, naming the field', async () => {
    const run = await train({ experimentFile: file, tasks: 1 });
    fs.writeFileSync(file, JSON.stringify(experiment({ network: { hidden: [24, 13] } })));
    await assert.rejects(train({ experimentFile: file, runDir: run.runDir }), (err: Error) => {
      assert.ok(err instanceof ExperimentError);
      assert.match(err.message, /network: the experiment has .*13.* but the run .* was trained with .*12/);
      return true;
    });
  });

  it('a cancelled task leaves the run at its last completed task, and the run continues from there', async () => {
    const abort = new AbortController();
    const result = await train({
      experimentFile: file,
      signal: abort.signal,
      emit: (e) => {
        if (e.type === 'loss' && e.task === 2 && e.stage === 'subnetwork') abort.abort();
      },
    });
    assert.equal(result.cancelled, true);
    const run = RunFolder.open(result.runDir);
    assert.equal(run.readSummary()!.tasks.length, 1);
    assert.ok(!fs.existsSync(run.ownCheckpointDir(2)), 'no checkpoint for the cancelled task');
    const events = readEvents(run.eventsFile);
    assert.deepEqual(events.find((e) => e.type === 'cancelled'), { ...events.find((e) => e.type === 'cancelled'), task: 2, lastCompletedTask: 1 });
    const resumed = await train({ experimentFile: file, runDir: result.runDir, tasks: 1 });
    assert.equal(resumed.summary.tasks.length, 2);
  });

  it('a checkpoint written by a task whose summary was never updated (a crash) is discarded and the task trained again', async () => {
    const run = await train({ experimentFile: file, tasks: 1 });
    const folder = RunFolder.open(run.runDir);
    fs.cpSync(folder.ownCheckpointDir(1), folder.ownCheckpointDir(2), { recursive: true });
    fs.mkdirSync(path.join(run.runDir, 'tasks', '.task-003.tmp-1-x'));
    const again = await train({ experimentFile: file, runDir: run.runDir, tasks: 1 });
    assert.equal(again.summary.tasks.length, 2);
    assert.equal(loadCheckpoint(folder.checkpointDir(2)).model.networks[0].heads.length, 2);
    assert.deepEqual(fs.readdirSync(path.join(run.runDir, 'tasks')).sort(), ['task-001', 'task-002']);
  });

  it('bad input fails before anything is written', async () => {
    fs.writeFileSync(file, JSON.stringify(experiment({ den: { sigma: -1 } })));
    await assert.rejects(train({ experimentFile: file }), /den\.sigma .*must be ≥ 0, got -1/);
    fs.writeFileSync(file, JSON.stringify(experiment({ data: { source: 'idx', trainImages: 'missing-images.gz', trainLabels: 'missing-labels.gz' } })));
    await assert.rejects(train({ experimentFile: file }), (err: Error) => err.name === 'DataError' && err.message.includes(path.join(dir, 'missing-images.gz')));
    assert.ok(!fs.existsSync(path.join(dir, 'runs')), 'no run folder was created');
    await assert.rejects(train({ experimentFile: file, runDir: path.join(dir, 'nope') }));
    await assert.rejects(train({ experimentFile: path.join(dir, 'none.den.json') }), /none\.den\.json: cannot read the experiment file \(ENOENT\)/);
  });

  it('summary.json rows match what the events reported', async () => {
    const events: DenEvent[] = [];
    const result = await train({ experimentFile: file, tasks: 2, emit: (e) => events.push(e) });
    const ends = events.filter((e): e is Extract<DenEvent, { type: 'task-end' }> => e.type === 'task-end');
    const s: RunSummary = result.summary;
    ends.forEach((e, i) => {
      assert.deepEqual(e.summary, s.tasks[i]);
      assert.deepEqual(e.accuracyRow, s.accuracy[i]);
    });
    // the selection event and the summary count the same weights; the summary adds what changed
    const selection = events.find((e) => e.type === 'selection') as Extract<DenEvent, { type: 'selection' }>;
    const sw = s.tasks[1].subnetworkWeights!;
    assert.deepEqual(sw.allowed, selection.weightsAllowed);
    assert.deepEqual(sw.total, [784 * 24, 24 * 12]);
    sw.changed.forEach((c, l) => assert.ok(c <= sw.allowed[l], `layer ${l + 1}: changed ≤ allowed`));
    assert.equal(s.tasks[1].selectedInputs, selection.inputsSelected);
  });

  it('records validation scores next to the test scores, and ACC/BWT over them', async () => {
    const result = await train({ experimentFile: file, tasks: 2 });
    const v = result.summary.validation!;
    assert.equal(v.accuracy.length, 2);
    assert.deepEqual(v.accuracy.map((row) => row.length), [1, 2]);
    for (const row of v.accuracy) for (const a of row) assert.ok(a !== null && a > 0 && a <= 1);
    assert.ok(Math.abs(v.acc! - (v.accuracy[1][0]! + v.accuracy[1][1]!) / 2) < 1e-12);
    assert.ok(Math.abs(v.bwt! - (v.accuracy[1][0]! - v.accuracy[0][0]!)) < 1e-12);
    // the validation part is not the test part: the rows differ somewhere
    assert.notDeepEqual(v.accuracy, result.summary.accuracy);
  });

  it('every method writes the same kind of run folder; its checkpoints reload and re-evaluate to the summary', async () => {
    fs.writeFileSync(file, JSON.stringify(experiment({ training: { epochs: 4, batchSize: 64, learningRate: 0.01, lossEvery: 2 } })));
    for (const method of METHODS) {
      const tensors = tf.memory().numTensors;
      const events: DenEvent[] = [];
      const result = await train({ experimentFile: file, tasks: 2, method, emit: (e) => events.push(e) });
      assert.equal(tf.memory().numTensors, tensors, `${method}: no tensor left behind`);
      const s = result.summary;
      assert.equal(s.method, method);
      assert.equal((RunFolder.open(result.runDir).readExperiment() as { method: string }).method, method, `${method}: the run records its method`);
      assert.equal(s.tasks.length, 2);
      assert.equal(s.networks, method === 'stl' ? 2 : 1);
      assert.ok(s.tasks.every((t) => t.stages.length > 0 && t.stages.every((st) => (st.samples ?? 0) > 0)), `${method}: stages with samples`);
      const { l2Lambda, ewcLambda } = defaultExperiment().baselines; // the schema's defaults
      assert.equal(s.tasks[1].penalty, method === 'l2' ? l2Lambda : method === 'ewc' ? ewcLambda : null);
      assert.deepEqual(events.filter((e) => e.type === 'task-end').length, 2);
      const { model, meta } = loadCheckpoint(RunFolder.open(result.runDir).checkpointDir(2));
      assert.equal(meta.method, method);
      assert.equal(model.networks.length, s.networks);
      assert.equal(model.timestamps, method !== 'den-no-timestamps');
      assert.deepEqual(Object.keys(model.aux), method === 'ewc' ? ['fisher'] : []);
      const ev = await evaluateRun(result.runDir);
      assert.ok(ev.maxDifference < 1e-6, `${method}: eval matches the summary (${ev.maxDifference})`);
      assert.ok(s.accuracy[1][1] > s.baseline.accuracy[1] + 0.05, `${method}: task 2 was learned (${s.accuracy[1][1]})`);
    }
  });

  it('a run keeps its method: continuing it with another one is refused; a branch retrains with the run\'s method', async () => {
    const run = await train({ experimentFile: file, tasks: 2, method: 'stl' });
    await assert.rejects(train({ experimentFile: file, runDir: run.runDir }), (err: Error) => err instanceof ExperimentError && /method: the experiment has "den" but the run .* was trained with "stl"/.test(err.message));
    const branch = await train({ experimentFile: file, runDir: run.runDir, retrainTask: 2, method: 'stl' });
    assert.equal(branch.summary.networks, 2);
    assert.deepEqual(branch.summary.tasks[0], run.summary.tasks[0]);
    const more = await train({ experimentFile: file, runDir: run.runDir, method: 'stl' });
    assert.equal(more.summary.tasks.length, 3);
    assert.equal(more.summary.networks, 3);
    assert.deepEqual(more.summary.units, [72, 36]);
  });
});
