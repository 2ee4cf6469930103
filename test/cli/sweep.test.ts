// `den-lab sweep` as a user runs it: the built CLI, whose points are `den-lab train` child processes.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RunFolder, readEvents } from '../../src/engine/run/runFolder';
import type { DenEvent, RunSummary, SweepEvent, SweepFile } from '../../src/common/protocol';
import { gone, run, startJson, until, writeSweepExperiment } from './helpers';

const jsonLines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as SweepEvent);
const readSweepJson = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'sweep.json'), 'utf8')) as SweepFile;
const summaryOf = (runDir: string) => RunFolder.open(runDir).readSummary()!;
type Timed = DenEvent & { time: number };

describe('den-lab sweep', function () {
  this.timeout(300000);
  let dir: string;
  const write = (name: string, patch: Parameters<typeof writeSweepExperiment>[2] = {}) => writeSweepExperiment(dir, name, patch);

  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-sweep-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trains a 2×2 grid two points at a time, each in its own process, with the numbers of training them one by one; a re-run skips them', () => {
    const file = write('grid.den.json');
    const out = path.join(dir, 'sweeps');
    const args = ['sweep', file, '--grid', 'den.tau=0.01,1', '--grid', 'den.k=2,4', '--jobs', '2', '--out', out];
    const r = run([...args, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const events = jsonLines(r.stdout);
    const start = events[0] as Extract<SweepEvent, { type: 'sweep-start' }>;
    assert.equal(start.type, 'sweep-start');
    assert.equal(start.toRun.length, 4);
    const pids = events.filter((e) => e.type === 'point-start').map((e) => (e as Extract<SweepEvent, { type: 'point-start' }>).pid);
    assert.equal(new Set(pids).size, 4, 'every point in a process of its own');
    const end = events[events.length - 1] as Extract<SweepEvent, { type: 'sweep-end' }>;
    assert.equal(end.type, 'sweep-end');
    assert.equal(end.sweep.state, 'finished');

    const sweepDir = start.dir;
    assert.equal(path.dirname(sweepDir), out);
    assert.match(path.basename(sweepDir), /^sweep-test-sweep-[0-9a-f]{8}$/);
    const sweep = readSweepJson(sweepDir);
    assert.deepEqual(sweep, end.sweep, 'sweep.json is what the last event says');
    assert.deepEqual(sweep.grid, [
      { field: 'den.tau', values: [0.01, 1] },
      { field: 'den.k', values: [2, 4] },
    ]);
    assert.deepEqual([sweep.base, sweep.fromTask, sweep.untilTask, sweep.quality, sweep.executor], [null, 1, 2, 'validationAcc', { kind: 'local', jobs: 2 }]);
    const stl = 2 * (784 * 16 + 16 + 16 * 8 + 8 + 8 * 10 + 10); // two tasks' networks 784-16-8-10
    assert.equal(sweep.stlParams, stl);
    assert.deepEqual(
      sweep.points.map((p) => [p.id, p.values, p.status]),
      [
        ['01-tau0.01-k2', { 'den.tau': 0.01, 'den.k': 2 }, 'done'],
        ['02-tau0.01-k4', { 'den.tau': 0.01, 'den.k': 4 }, 'done'],
        ['03-tau1-k2', { 'den.tau': 1, 'den.k': 2 }, 'done'],
        ['04-tau1-k4', { 'den.tau': 1, 'den.k': 4 }, 'done'],
      ],
    );

    // Two at once: the points' own event logs overlap in time, and never more than two do.
    const spans = sweep.points.map((p) => {
      const log = readEvents(path.join(sweepDir, p.run, 'events.jsonl')) as Timed[];
      return [log.find((e) => e.type === 'run-start')!.time, log.find((e) => e.type === 'run-end')!.time];
    });
    const overlap = (a: number[], b: number[]) => a[0] < b[1] && b[0] < a[1];
    assert.ok(overlap(spans[0], spans[1]), `the first two points trained at the same time: ${JSON.stringify(spans)}`);
    for (const [t] of spans) assert.ok(spans.filter((s) => s[0] <= t && t < s[1]).length <= 2, 'at most --jobs 2 at once');

    for (const p of sweep.points) {
      const runDir = path.join(sweepDir, p.run);
      const s = summaryOf(runDir);
      assert.equal(s.branch, null);
      assert.deepEqual(s.tasks.map((t) => [t.hyper.tau, t.hyper.k]), [[p.values['den.tau'], p.values['den.k']], [p.values['den.tau'], p.values['den.k']]]);
      const res = p.result!;
      assert.deepEqual(
        [res.tasks, res.acc, res.auroc, res.bwt, res.accuracyRows, res.aurocRows, res.params, res.nonZeroParams, res.units],
        [2, s.acc, s.aurocMetrics.acc, s.bwt, s.accuracy, s.auroc, s.params.total, s.params.nonZero, s.units],
      );
      assert.equal(res.stlPercent, (100 * s.params.total) / stl);
      assert.deepEqual(res.added, [0, 1].map((l) => s.tasks[0].added[l] + s.tasks[1].added[l]));
      assert.deepEqual(res.split, [0, 1].map((l) => s.tasks[0].split[l] + s.tasks[1].split[l]));
      assert.equal(res.seconds, s.tasks[0].seconds + s.tasks[1].seconds);
      assert.deepEqual([res.validationAcc, res.validationAuroc], [s.validation!.acc, s.validation!.meanAuroc]);
      assert.ok(res.validationAcc! > 0.1, 'validation scores are there');
      // the mechanisms over tasks 2..T: task 2's τ test decided the expansion, as the point's τ says
      const expanded = s.tasks[1].expanded;
      assert.equal(expanded, s.tasks[1].tauStatistic! > Number(p.values['den.tau']));
      assert.deepEqual([res.mechanisms!.expandedTasks, res.mechanisms!.skippedTasks], expanded ? [1, 0] : [0, 1]);
      assert.ok(p.started! < p.ended!, 'start and end times');
      if (p !== sweep.points[0] && p !== sweep.points[3]) continue;
      // The same values trained alone, from a file written here, give the same numbers (the two corners of the grid).
      const alone = write(`alone-${p.id}.den.json`, { den: { tau: p.values['den.tau'], k: p.values['den.k'] } });
      const one = run(['train', alone, '--out', path.join(dir, 'alone'), '--json']);
      assert.equal(one.code, 0, one.stderr);
      const single = JSON.parse(one.stdout.trim().split('\n').pop()!).summary as RunSummary;
      assert.deepEqual([single.accuracy, single.auroc, single.params, single.units], [s.accuracy, s.auroc, s.params, s.units], `${p.id} trained alone`);
    }
    assert.notDeepEqual(sweep.points[0].result!.units, sweep.points[1].result!.units, 'the values made a difference (k)');

    // The front: no done point beats a front point on both counts, and each other point is beaten.
    const q = (id: string) => sweep.points.find((p) => p.id === id)!.result!;
    const beats = (a: string, b: string) => q(a).acc! >= q(b).acc! && q(a).params <= q(b).params && (q(a).acc! > q(b).acc! || q(a).params < q(b).params);
    assert.ok(sweep.front.length >= 1);
    for (const p of sweep.points) {
      assert.equal(p.pareto, sweep.front.includes(p.id));
      assert.equal(sweep.points.some((o) => beats(o.id, p.id)), !p.pareto, `${p.id} front membership`);
    }

    // Run again: nothing is retrained; validation scores that a summary has are copied.
    const firstLog = path.join(sweepDir, sweep.points[0].run, 'events.jsonl');
    const logLength = fs.readFileSync(firstLog, 'utf8').length;
    const summaryFile = path.join(sweepDir, sweep.points[0].run, 'summary.json');
    const written = summaryOf(path.dirname(summaryFile));
    fs.writeFileSync(summaryFile, JSON.stringify({ ...written, validation: { ...written.validation, acc: 0.625, meanAuroc: 0.75 } }));
    const again = run(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /4 done already, 0 to train, 2 at a time \(local\)/);
    assert.match(again.stdout, /^01-tau0\.01-k2 +done +0\.01 +2 +0\.\d{4}/m, 'the table');
    assert.equal(fs.readFileSync(firstLog, 'utf8').length, logLength, 'the point was not trained again');
    const resumed = readSweepJson(sweepDir);
    assert.deepEqual([resumed.points[0].result!.validationAcc, resumed.points[0].result!.validationAuroc], [0.625, 0.75], 'a re-run reads the results again from the run folders');
    assert.deepEqual(resumed.points.map((p) => p.started), sweep.points.map((p) => p.started));
  });

  it('starts every point from a run\'s checkpoint: each is a branch folder of its own that records the run, which stays untouched', () => {
    const file = write('base.den.json');
    const base = run(['train', file, '--out', path.join(dir, 'base'), '--json']);
    assert.equal(base.code, 0, base.stderr);
    const baseDir = JSON.parse(base.stdout.trim().split('\n').pop()!).runDir as string;
    const baseSummary = fs.readFileSync(path.join(baseDir, 'summary.json'), 'utf8');
    const r = run(['sweep', file, '--from', baseDir, '--task', '2', '--grid', 'den.sigma=0.001,0.5', '--grid', 'den.gamma=[0.001,0.1]', '--out', path.join(dir, 'from'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const sweep = (jsonLines(r.stdout).pop() as Extract<SweepEvent, { type: 'sweep-end' }>).sweep;
    const sweepDir = path.join(dir, 'from', fs.readdirSync(path.join(dir, 'from'))[0]);
    assert.deepEqual([sweep.base, sweep.fromTask, sweep.untilTask], [{ run: baseDir, task: 2 }, 2, 2]);
    assert.equal(fs.readFileSync(path.join(baseDir, 'summary.json'), 'utf8'), baseSummary, 'the base run is unchanged');
    assert.equal(fs.existsSync(path.join(baseDir, 'branches')), false, 'and has no branch added');
    const parent = JSON.parse(baseSummary) as RunSummary;
    for (const p of sweep.points) {
      const runDir = path.join(sweepDir, p.run);
      const s = summaryOf(runDir);
      assert.deepEqual(s.branch, { parent: baseDir, baseTask: 1 });
      assert.deepEqual(s.tasks[0], parent.tasks[0], 'task 1 comes from the base run');
      assert.deepEqual([s.tasks[1].hyper.sigma, s.tasks[1].hyper.gamma], [p.values['den.sigma'], [0.001, 0.1]]);
      assert.deepEqual(p.result!.accuracyRows, [s.accuracy[1]], 'the row this point trained');
      const ev = run(['eval', runDir]);
      assert.equal(ev.code, 0, ev.stderr);
      assert.match(ev.stdout, /\(matches\)/, 'the point opens and re-evaluates like any run');
    }
    const split = sweep.points.map((p) => p.result!.split.reduce((a, b) => a + b));
    assert.ok(split[0] > split[1], `σ = 0.001 splits more units than σ = 0.5 (${split})`);
    // The same branch trained by hand gives the same numbers.
    const alone = write('alone-sigma.den.json', { den: { sigma: 0.001, gamma: [0.001, 0.1] } });
    const one = run(['train', alone, '--from', baseDir, '--task', '2', '--json']);
    assert.equal(one.code, 0, one.stderr);
    const single = JSON.parse(one.stdout.trim().split('\n').pop()!).summary as RunSummary;
    const point = summaryOf(path.join(sweepDir, sweep.points[0].run));
    assert.deepEqual([single.accuracy, single.auroc, single.params, single.units], [point.accuracy, point.auroc, point.params, point.units]);
  });

  it('resumes after the sweep process is killed (SIGKILL): its points stop by themselves, done points are kept, a half-trained point continues', async () => {
    const file = write('kill.den.json', { training: { steps: 100 } });
    const args = ['sweep', file, '--grid', 'training.seed=1,2,3', '--jobs', '1', '--out', path.join(dir, 'kill')];
    const p = startJson<SweepEvent>(args);
    const first = (await p.waitFor((e) => e.type === 'point-end')) as Extract<SweepEvent, { type: 'point-end' }>;
    assert.equal(first.point.status, 'done');
    const second = (await p.waitFor((e) => e.type === 'point-start' && e.id !== first.point.id)) as Extract<SweepEvent, { type: 'point-start' }>;
    const sweepDir = (p.events[0] as Extract<SweepEvent, { type: 'sweep-start' }>).dir;
    const secondLog = path.join(sweepDir, 'runs', second.id, 'events.jsonl');
    await until(() => readEvents(secondLog).some((e) => e.type === 'task-end'), 60000, 'task 1 of the second point');
    p.child.kill('SIGKILL');
    assert.equal(await p.exited, null);
    await until(() => gone(second.pid!), 20000, 'the orphaned point to stop');
    assert.equal(summaryOf(path.join(sweepDir, 'runs', second.id)).tasks.length, 1, 'the second point stopped in task 2');
    assert.equal(fs.existsSync(path.join(sweepDir, 'runs', '03-seed3')), false, 'the third never started');

    const firstLog = fs.readFileSync(path.join(sweepDir, 'runs', first.point.id, 'events.jsonl'), 'utf8');
    const again = run([...args, '--json']);
    assert.equal(again.code, 0, again.stderr);
    const events = jsonLines(again.stdout);
    assert.deepEqual((events[0] as Extract<SweepEvent, { type: 'sweep-start' }>).toRun, [second.id, '03-seed3']);
    assert.equal(fs.readFileSync(path.join(sweepDir, 'runs', first.point.id, 'events.jsonl'), 'utf8'), firstLog, 'the done point was not trained again');
    const starts = readEvents(secondLog).filter((e) => e.type === 'run-start') as Extract<DenEvent, { type: 'run-start' }>[];
    assert.deepEqual(starts.map((e) => [e.fromTask, e.toTask]), [[1, 2], [2, 2]], 'the second point continued after its task 1');
    const sweep = readSweepJson(sweepDir);
    assert.deepEqual(sweep.points.map((pt) => pt.status), ['done', 'done', 'done']);
    assert.equal(sweep.state, 'finished');
  });

  it('Ctrl-C stops every point and leaves no process; the same sweep is refused while it runs; a re-run trains them; a second Ctrl-C quits at once', async () => {
    const file = write('stop.den.json', { training: { steps: 5000 } });
    const args = ['sweep', file, '--grid', 'den.k=2,4,6', '--jobs', '2', '--out', path.join(dir, 'stop')];
    const p = startJson<SweepEvent>(args);
    await until(() => p.events.filter((e) => e.type === 'point-start').length === 2, 30000, 'two points to start');
    const pids = p.events.flatMap((e) => (e.type === 'point-start' ? [e.pid!] : []));
    const sweepDir = (p.events[0] as Extract<SweepEvent, { type: 'sweep-start' }>).dir;
    await until(() => fs.existsSync(path.join(sweepDir, 'runs', '01-k2', 'events.jsonl')), 30000, 'training to begin');
    const twice = run(args);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, new RegExp(`this sweep is already running \\(process ${p.child.pid}\\)`));
    p.child.kill('SIGINT');
    assert.equal(await p.exited, 130);
    for (const pid of pids) assert.ok(gone(pid), `point process ${pid} has ended with the sweep`);
    let sweep = readSweepJson(sweepDir);
    assert.equal(sweep.state, 'cancelled');
    assert.deepEqual(sweep.points.map((pt) => pt.status), ['cancelled', 'cancelled', 'pending']);
    assert.equal(sweep.pid, null);
    const completed = (runDir: string) => (fs.existsSync(path.join(runDir, 'summary.json')) ? summaryOf(runDir).tasks.length : 0);
    assert.ok(sweep.points.every((pt) => completed(path.join(sweepDir, pt.run)) === 0), 'no task was completed');

    const q = startJson<SweepEvent>(args);
    const resumed = (await q.waitFor((e) => e.type === 'sweep-start')) as Extract<SweepEvent, { type: 'sweep-start' }>;
    assert.deepEqual(resumed.toRun, ['01-k2', '02-k4', '03-k6'], 'cancelled points run again');
    await until(() => q.events.filter((e) => e.type === 'point-start').length === 2, 30000, 'two points to start again');
    const again = q.events.flatMap((e) => (e.type === 'point-start' ? [e.pid!] : []));
    q.child.kill('SIGINT');
    q.child.kill('SIGINT');
    const t0 = Date.now();
    assert.equal(await q.exited, 130);
    assert.ok(Date.now() - t0 < 5000, 'quits at once');
    await until(() => again.every(gone), 5000, 'the killed points to be gone');
    sweep = readSweepJson(sweepDir);
    assert.deepEqual(sweep.points.map((pt) => pt.status), ['cancelled', 'cancelled', 'pending']);
  });

  it('a point whose training fails is marked failed with its one-line error, and the sweep exits with 1', () => {
    const file = write('fail.den.json');
    const base = run(['train', file, '--tasks', '1', '--out', path.join(dir, 'fail-base'), '--json']);
    assert.equal(base.code, 0, base.stderr);
    const baseDir = JSON.parse(base.stdout.trim().split('\n').pop()!).runDir as string;
    const weights = path.join(baseDir, 'tasks', 'task-001', 'weights.bin');
    fs.truncateSync(weights, 100); // the points, not the sweep, load the checkpoint
    const r = run(['sweep', file, '--from', baseDir, '--task', '2', '--grid', 'den.k=2,4', '--out', path.join(dir, 'fail')]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /den-lab: 2 of 2 points failed; their messages are in sweep\.json and their logs in .*\/logs/);
    assert.match(r.stdout, /point 01-k2: FAILED: checkpoint .*task-001: weights\.bin has 100 bytes, expected \d+ \(truncated\?\)/);
    const sweep = readSweepJson(path.join(dir, 'fail', fs.readdirSync(path.join(dir, 'fail'))[0]));
    assert.equal(sweep.state, 'finished');
    for (const p of sweep.points) {
      assert.equal(p.status, 'failed');
      assert.match(p.message!, /^checkpoint .*task-001: weights\.bin has 100 bytes/);
      assert.equal(p.result, null);
    }
    assert.deepEqual(sweep.front, []);
  });

  it('refuses bad grids, unknown fields, values out of range and too many points with status 2, before creating anything', () => {
    const file = write('bad.den.json');
    const out = path.join(dir, 'bad');
    const refuses = (extra: string[], message: RegExp) => {
      const r = run(['sweep', file, '--out', out, ...extra]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    };
    refuses(['--grid', 'den.tau:0.1'], /--grid 'den\.tau:0\.1': expected field=v1,v2/);
    refuses(['--grid', 'den.speed=1,2'], /--grid den\.speed: not a numeric field of den, training or baselines; sweepable fields: den\.tau/);
    refuses(['--grid', 'den.sigma=0.1,-2'], /--grid den\.sigma=-2: den\.sigma \[σ \(split threshold\)\]: must be ≥ 0, got -2/);
    refuses(['--grid', 'den.k=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15', '--grid', 'den.tau=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1,1.1,1.2,1.3,1.4'], /the grid has 210 points, more than --max-points 200; remove values or raise --max-points/);
    refuses(['--grid', 'den.k=1,2', '--max-points', '1'], /the grid has 2 points, more than --max-points 1/);
    refuses(['--grid', 'den.k=1', '--from', dir], /--from needs --task t/);
    refuses(['--grid', 'den.k=1', '--tasks', '3'], /--tasks 3: the points would train tasks 1\.\.3, but the stream has 2/);
    refuses(['--grid', 'den.k=1', '--backend', 'cpu'], /--backend is not an option of sweep/);
    assert.equal(fs.existsSync(out), false, 'nothing was created');
  });
});
