// "DEN Lab: Sweep Thresholds…" and the Sweep tab's host side without VS Code: the fields and values the
// quick pick offers and checks, the command line it runs, its progress line, the adopt edit of the
// experiment file, the sweep index, and the sweep process itself (the CLI as the extension runs it:
// dist/trainer.js given arguments; real child processes: run, resume, cancel with no point left, bad input).
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { applyEdits } from 'jsonc-parser';
import { defaultExperiment, parseExperimentText, validateExperiment } from '../../src/engine/experiment';
import { adoptEdits, spanEdit } from '../../src/common/dashboard/adoptEdit';
import { readSweeps, sweepLabel, sweepOf, sweepStatusText } from '../../src/common/sweepIndex';
import { SweepProcess } from '../../src/common/sweepProcess';
import { applySweepEvent, initialProgress, parseFieldValues, progressText, suggestValues, sweepCancelArgs, sweepCliArgs, sweepDirOf, sweepFieldChoices } from '../../src/common/sweepSetup';
import type { SweepEvent, SweepFile, SweepPoint } from '../../src/common/protocol';
import { gone, writeSweepExperiment } from '../cli/helpers';

/** What the extension runs for a sweep (src/extension/sweepCommands.ts): the trainer bundle is the CLI when given arguments. */
const cli = path.resolve(__dirname, '../../dist/trainer.js');

const EXPERIMENT = `// thresholds under test
{
  "name": "adopt",
  "data": { "source": "mnist", "limit": 600 },
  "tasks": { "type": "permuted", "count": 2 },
  "den": {
    "tau": 0.01,   // expand often
    "sigma": 0.02, // split
    "k": 4
  },
  "training": { "epochs": 1, "learningRate": 0.01 }
}
`;

describe('sweep command: fields, values, command line, progress', () => {
  const exp = validateExperiment(parseExperimentText(EXPERIMENT, 'adopt.den.json'), 'adopt.den.json');

  it('offers DEN’s thresholds first, τ and k picked, with the file’s values and the schema’s ranges', () => {
    const choices = sweepFieldChoices(exp);
    assert.deepEqual(choices.slice(0, 6).map((c) => c.field), ['den.tau', 'den.sigma', 'den.k', 'den.mu', 'den.gamma', 'den.lambda']);
    assert.deepEqual(choices.filter((c) => c.picked).map((c) => c.field), ['den.tau', 'den.k']);
    const by = (f: string) => choices.find((c) => c.field === f)!;
    assert.equal(by('den.tau').current, 0.01);
    assert.equal(by('den.k').current, 4);
    assert.equal(by('den.mu').current, defaultExperiment().den.mu, 'a field the file omits: its default');
    assert.equal(by('den.k').range, 'an integer ≥ 0 and ≤ 4096');
    assert.equal(by('training.learningRate').range, '> 0 and ≤ 10');
    assert.equal(by('den.tau').range, '≥ 0');
    assert.equal(by('den.tau').title, 'τ (expansion threshold)');
    assert.ok(choices.some((c) => c.field === 'baselines.ewcLambda') && choices.some((c) => c.field === 'training.steps'));
  });

  it('suggests half, the value and double inside the range, and every suggestion passes the engine’s check', () => {
    assert.equal(suggestValues('den.tau', 0.01), '0.005, 0.01, 0.02');
    assert.equal(suggestValues('den.k', 5), '3, 5, 10', 'integers rounded');
    assert.equal(suggestValues('den.k', 4096), '2048, 4096', 'no value above the maximum');
    assert.equal(suggestValues('den.mu', 0.6), '0.3, 0.6');
    assert.equal(suggestValues('den.zeroEps', 0), '0');
    assert.equal(suggestValues('den.gamma', [0.001, 0.01]), '[0.0005,0.005], [0.001,0.01], [0.002,0.02]');
    assert.equal(suggestValues('den.retrainEpochs', null), 'null');
    for (const c of sweepFieldChoices(exp)) {
      const r = parseFieldValues(exp, c.field, suggestValues(c.field, c.current));
      assert.ok('axis' in r, `${c.field}: ${'error' in r ? r.error : ''}`);
    }
  });

  it('parses typed values with the engine’s grid parser and says what is wrong, naming the field and its range', () => {
    assert.deepEqual(parseFieldValues(exp, 'den.tau', '0.01, 0.2'), { axis: { field: 'den.tau', values: [0.01, 0.2] } });
    assert.deepEqual(parseFieldValues(exp, 'den.gamma', '0.001,[0.001;0.01]'), { axis: { field: 'den.gamma', values: [0.001, [0.001, 0.01]] } });
    const error = (field: string, text: string) => {
      const r = parseFieldValues(exp, field, text);
      assert.ok('error' in r, `${field}=${text} was accepted`);
      return r.error;
    };
    assert.match(error('den.sigma', '0.1,-2'), /den\.sigma.*must be ≥ 0, got -2/);
    assert.match(error('den.tau', '0.1,abc'), /'abc' is not a number/);
    assert.match(error('den.tau', '0.1,0.1'), /0\.1 is listed twice/);
    assert.match(error('den.k', '2.5'), /den\.k.*integer/);
    assert.match(error('den.tau', ''), /empty value/);
    assert.match(error('den.tau', '[0.1,0.2]'), /takes one number/);
  });

  it('builds the den-lab sweep command line: grid, start, tasks, executor, JSON events', () => {
    const axes = [
      { field: 'den.tau', values: [0.01, 0.2] },
      { field: 'den.gamma', values: [0.001, [0.001, 0.01]] },
    ];
    assert.deepEqual(sweepCliArgs({ experimentFile: '/w/a.den.json', axes, from: { runDir: '/w/runs/a-1', task: 2 }, executor: 'local' }), [
      'sweep', '/w/a.den.json', '--grid', 'den.tau=0.01,0.2', '--grid', 'den.gamma=0.001,[0.001,0.01]', '--from', '/w/runs/a-1', '--task', '2', '--json',
    ]);
    assert.deepEqual(sweepCliArgs({ experimentFile: 'a.den.json', axes: axes.slice(0, 1), tasks: 1, executor: 'slurm' }), ['sweep', 'a.den.json', '--grid', 'den.tau=0.01,0.2', '--tasks', '1', '--executor', 'slurm', '--json']);
  });

  it('says “point k of N” from the sweep’s events, counting resumed points, parallel and failed ones', () => {
    const point = (id: string, status: SweepPoint['status']) => ({ id, status }) as SweepPoint;
    const sweep = { points: ['a', 'b', 'c', 'd'].map((id) => point(id, 'pending')) } as SweepFile;
    let p = initialProgress();
    assert.equal(progressText(p), 'planning the sweep…');
    const events: SweepEvent[] = [
      { type: 'sweep-start', dir: '/s', sweep, toRun: ['b', 'c', 'd'] },
      { type: 'point-start', id: 'b', time: '', pid: 1, job: null },
      { type: 'point-start', id: 'c', time: '', pid: 2, job: null },
    ];
    for (const e of events) p = applySweepEvent(p, e);
    assert.equal(p.dir, '/s');
    assert.equal(progressText(p), 'point 2 of 4 (2 running)');
    p = applySweepEvent(p, { type: 'point-end', point: point('b', 'failed') });
    assert.equal(progressText(p), 'point 3 of 4 (1 failed)');
    p = applySweepEvent(p, { type: 'point-end', point: point('c', 'done') });
    p = applySweepEvent(p, { type: 'point-start', id: 'd', time: '', pid: 3, job: null });
    assert.equal(progressText(p), 'point 4 of 4 (1 failed)');
    p = applySweepEvent(p, { type: 'point-end', point: point('d', 'done') });
    assert.equal(progressText(p), 'all 4 points ended, 1 failed');
  });
});

describe('adopt a sweep point into the experiment file', () => {
  const apply = (text: string, r: ReturnType<typeof adoptEdits>) => applyEdits(text, r.edits);
  const parsed = (text: string) => validateExperiment(parseExperimentText(text, 'x'), 'x');

  it('changes only the numbers that differ, where they stand: comments and spacing stay', () => {
    const r = adoptEdits(EXPERIMENT, 'adopt.den.json', { 'den.tau': 0.5, 'den.k': 4, 'training.learningRate': 0.01 });
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.changed, ['den.tau']);
    assert.equal(r.edits.length, 1);
    assert.deepEqual(r.edits[0], { offset: EXPERIMENT.indexOf('0.01,   //'), length: 4, content: '0.5' });
    assert.equal(r.text, EXPERIMENT.replace('"tau": 0.01,', '"tau": 0.5,'));
    assert.equal(apply(EXPERIMENT, r), r.text);
  });

  it('edits several numbers with one edit each, none overlapping', () => {
    const r = adoptEdits(EXPERIMENT, 'adopt.den.json', { 'den.sigma': 0.1, 'den.k': 25, 'training.epochs': 3 });
    assert.equal(r.edits.length, 3);
    assert.equal(r.text, EXPERIMENT.replace('"sigma": 0.02,', '"sigma": 0.1,').replace('"k": 4', '"k": 25').replace('"epochs": 1', '"epochs": 3'));
    assert.equal(apply(EXPERIMENT, r), r.text);
  });

  it('inserts fields the file omits (their defaults) and keeps the rest of the file', () => {
    const r = adoptEdits(EXPERIMENT, 'adopt.den.json', { 'den.tau': 0.2, 'den.gamma': [0.001, 0.01], 'den.lambda': 2, 'baselines.l2Lambda': 0.5 });
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.changed, ['den.tau', 'den.gamma', 'den.lambda', 'baselines.l2Lambda']);
    assert.equal(r.edits.length, 1, 'insertions: one edit of the span that changed');
    assert.equal(apply(EXPERIMENT, r), r.text);
    const exp = parsed(r.text);
    assert.equal(exp.den.tau, 0.2);
    assert.deepEqual(exp.den.gamma, [0.001, 0.01]);
    assert.equal(exp.den.lambda, 2);
    assert.equal(exp.baselines.l2Lambda, 0.5);
    assert.equal(exp.den.sigma, 0.02);
    for (const kept of ['// thresholds under test', '// expand often', '// split', '"limit": 600']) assert.ok(r.text.includes(kept), kept);
  });

  it('does nothing when the file has the values already, and refuses invalid values or a broken file', () => {
    const same = adoptEdits(EXPERIMENT, 'adopt.den.json', { 'den.tau': 0.01, 'den.k': 4, 'den.mu': defaultExperiment().den.mu });
    assert.deepEqual(same.edits, []);
    assert.deepEqual(same.changed, []);
    assert.equal(same.text, EXPERIMENT);
    const bad = adoptEdits(EXPERIMENT, 'adopt.den.json', { 'den.tau': -1 });
    assert.deepEqual(bad.edits, []);
    assert.match(bad.problems[0], /den\.tau.*must be ≥ 0/);
    const broken = adoptEdits(EXPERIMENT.replace('"k": 4', '"k": "four"'), 'adopt.den.json', { 'den.tau': 0.5 });
    assert.deepEqual(broken.edits, []);
    assert.match(broken.problems[0], /^adopt\.den\.json has errors; fix them first: .*den\.k/);
  });

  it('spanEdit is the smallest single edit between two texts', () => {
    assert.deepEqual(spanEdit('abcXdef', 'abcYYdef'), { offset: 3, length: 1, content: 'YY' });
    assert.deepEqual(spanEdit('same', 'same'), { offset: 4, length: 0, content: '' });
    assert.deepEqual(spanEdit('aa', 'aaa'), { offset: 2, length: 0, content: 'a' });
  });
});

describe('sweep process: den-lab sweep run by the extension host', function () {
  this.timeout(300000);
  let dir: string;
  const logs: string[] = [];
  const proc = () => new SweepProcess({ cli, cwd: dir, log: (level, m) => logs.push(`${level} ${m}`), cancelGraceMs: 20000 });

  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-sweepui-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs a 2-point sweep through the CLI, streams its events, and a second run resumes it', async () => {
    const file = writeSweepExperiment(dir, 'two.den.json');
    const args = sweepCliArgs({ experimentFile: file, axes: [{ field: 'den.k', values: [2, 4] }], tasks: 1, executor: 'local' });
    const events: SweepEvent[] = [];
    const outcome = await proc().run(args, (e) => events.push(e));
    assert.equal(outcome.code, 0, logs.join('\n'));
    assert.equal(outcome.cancelled, false);
    assert.deepEqual(events.map((e) => e.type).sort(), ['point-end', 'point-end', 'point-start', 'point-start', 'sweep-end', 'sweep-start']);
    assert.equal(events[0].type, 'sweep-start');
    assert.equal(events.at(-1)!.type, 'sweep-end');
    assert.equal(events.filter((e) => e.type === 'point-end').length, 2);
    assert.equal(outcome.sweep!.state, 'finished');
    assert.ok(outcome.sweep!.points.every((p) => p.status === 'done' && p.result !== null));

    // the index reads the folder as the tree and the Sweep tab do
    const [entry] = readSweeps([outcome.dir!]);
    assert.equal(entry.problem, null);
    assert.deepEqual(entry.sweep, outcome.sweep);
    assert.equal(sweepLabel(entry), 'sweep-test · den.k · 2 points');
    assert.equal(sweepStatusText(entry.sweep!), '2/2 done · finished');
    assert.equal(sweepOf([entry], path.join(outcome.dir!, 'runs', '01-k2')), entry);
    assert.equal(sweepOf([entry], dir), undefined);

    const again: SweepEvent[] = [];
    const second = await proc().run(args, (e) => again.push(e));
    assert.equal(second.code, 0);
    assert.equal(second.dir, outcome.dir, 'the same folder');
    const start = again[0] as Extract<SweepEvent, { type: 'sweep-start' }>;
    assert.deepEqual(start.toRun, [], 'nothing is trained again');
    let p = initialProgress();
    for (const e of again) p = applySweepEvent(p, e);
    assert.equal(progressText(p), 'all 2 points ended');
  });

  it('cancel stops every point: exit 130, points cancelled, no process left', async () => {
    const file = writeSweepExperiment(dir, 'long.den.json', { training: { steps: 100000 } });
    const args = sweepCliArgs({ experimentFile: file, axes: [{ field: 'den.k', values: [2, 4, 6] }], tasks: 1, executor: 'local' });
    const sweep = proc();
    const pids: number[] = [];
    let cancelled = false;
    const outcome = await sweep.run([...args.slice(0, -1), '--jobs', '2', '--json'], (e) => {
      if (e.type === 'point-start' && e.pid !== null) pids.push(e.pid);
      if (pids.length === 2 && !cancelled) {
        cancelled = true;
        setTimeout(() => sweep.cancel(), 1500); // both points are training
      }
    });
    assert.equal(outcome.code, 130, logs.slice(-5).join('\n'));
    assert.equal(outcome.cancelled, true);
    assert.equal(outcome.sweep!.state, 'cancelled');
    assert.deepEqual(outcome.sweep!.points.map((p) => p.status).sort(), ['cancelled', 'cancelled', 'pending']);
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.ok(gone(pid), `point process ${pid} is gone`);
    assert.equal(sweep.pid, undefined);
  });

  it('Cancel Sweep: den-lab sweep --cancel stops a sweep that another process runs, and reports the cancelled sweep.json; again, it says so', async () => {
    const file = writeSweepExperiment(dir, 'cancel.den.json', { training: { steps: 100000 } });
    const args = sweepCliArgs({ experimentFile: file, axes: [{ field: 'den.k', values: [2, 4, 6] }], tasks: 1, executor: 'local' });
    let started: () => void;
    const twoRunning = new Promise<void>((resolve) => (started = resolve));
    let dirOfSweep = '';
    let points = 0;
    const running = proc().run([...args.slice(0, -1), '--jobs', '2', '--json'], (e) => {
      if (e.type === 'sweep-start') dirOfSweep = e.dir;
      if (e.type === 'point-start' && ++points === 2) started();
    });
    await twoRunning;
    const cancel = await proc().run(sweepCancelArgs(sweepDirOf({ sweep: { dir: dirOfSweep } })!), () => {});
    assert.equal(cancel.code, 0, logs.slice(-5).join('\n'));
    assert.deepEqual([cancel.sweep!.state, cancel.sweep!.pid], ['cancelled', null]);
    assert.deepEqual(cancel.sweep!.points.map((p) => p.status), ['cancelled', 'cancelled', 'pending']);
    const outcome = await running;
    assert.deepEqual([outcome.code, outcome.cancelled, outcome.sweep!.state], [130, true, 'cancelled'], 'the sweep process ended cancelled');
    const again = await proc().run(sweepCancelArgs(dirOfSweep), () => {});
    assert.deepEqual([again.code, again.sweep!.state], [0, 'cancelled'], 'nothing left to cancel');
  });

  it('the sweep a command is given: a command link or a Runs tree node', () => {
    assert.equal(sweepDirOf({ sweepDir: '/a' }), '/a');
    assert.equal(sweepDirOf({ kind: 'sweep', sweep: { dir: '/b', sweep: undefined, id: 'x', problem: null } }), '/b');
    assert.equal(sweepDirOf(undefined), undefined);
    assert.equal(sweepDirOf({ kind: 'sweeps' }), undefined);
    assert.deepEqual(sweepCancelArgs('/a'), ['sweep', '--cancel', '/a', '--json']);
  });

  it('bad input: exit 2 and the CLI’s one-line error, before anything trains', async () => {
    const file = writeSweepExperiment(dir, 'bad.den.json');
    const outcome = await proc().run(['sweep', file, '--grid', 'den.sigma=-2', '--json'], () => assert.fail('no event'));
    assert.equal(outcome.code, 2);
    assert.equal(outcome.sweep, null);
    assert.match(outcome.error!, /--grid den\.sigma=-2: den\.sigma .*must be ≥ 0, got -2/);
  });
});
