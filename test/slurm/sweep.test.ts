// `den-lab sweep --executor slurm` against a real one-node Slurm cluster (test/slurm/run.sh starts it
// and exports SLURM_CONF, which den-lab and the Slurm commands below inherit).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readEvents, RunFolder } from '../../src/engine/run/runFolder';
import { SweepEventSchema } from '../../src/common/protocol';
import type { DenEvent, SlurmExecutorRecord, SweepEvent, SweepFile, SweepPoint } from '../../src/common/protocol';
import { check } from '../../src/common/protocolGuards';
import { cli, root, run, startJson, until, writeSweepExperiment } from '../cli/helpers';

type Timed = DenEvent & { time: number };

/** The JSON lines den-lab printed, each exactly what the protocol's schema declares (what an editor would check). */
const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => {
      const raw = JSON.parse(line);
      const checked = check(SweepEventSchema, raw);
      assert.ok(checked.ok, checked.ok ? '' : checked.problem);
      assert.deepEqual(checked.value, raw, 'no field the schema does not declare');
      return raw as SweepEvent;
    });
const readSweepJson = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'sweep.json'), 'utf8')) as SweepFile;
const slurmRecord = (s: SweepFile) => s.executor as SlurmExecutorRecord;

/** The array's tasks as squeue shows them (its own format, not den-lab's parser): task id → state. */
function squeue(jobId: string): Map<number, string> {
  const r = spawnSync('squeue', ['--noheader', '--array', '--states=all', `--jobs=${jobId}`, '--format=%K %T'], { encoding: 'utf8' });
  return new Map(r.stdout.trim().split('\n').filter(Boolean).map((l) => [Number(l.split(' ')[0]), l.split(' ')[1]] as [number, string]));
}

function slurm(command: string, ...args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${command} ${args.join(' ')}: ${r.stderr}`);
}

/** `den-lab sweep --status <dir> --json`: the one sweep-status event. */
function status(dir: string): Extract<SweepEvent, { type: 'sweep-status' }> {
  const r = run(['sweep', '--status', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = jsonLines(r.stdout);
  assert.equal(events.length, 1);
  assert.equal(events[0].type, 'sweep-status');
  return events[0] as Extract<SweepEvent, { type: 'sweep-status' }>;
}

/** What a point's training gave: every number of its result but the time it took. */
const numbers = (p: SweepPoint) => {
  const { seconds: _s, ...rest } = p.result!;
  return { id: p.id, ...rest };
};

/** Processes whose working folder is inside `dir` (den-lab train runs in the sweep folder). */
function processesIn(dir: string): number[] {
  return fs.readdirSync('/proc').filter((f) => /^\d+$/.test(f)).flatMap((pid) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/cwd`).startsWith(dir) ? [Number(pid)] : [];
    } catch {
      return [];
    }
  });
}

describe('den-lab sweep --executor slurm (a real one-node cluster)', function () {
  this.timeout(600000);
  let dir: string;
  const write = (name: string, patch: Parameters<typeof writeSweepExperiment>[2] = {}) => writeSweepExperiment(dir, name, patch);
  const grid = ['--grid', 'den.tau=0.01,1', '--grid', 'den.k=2,4'];
  /** The 2×2 grid trained by the local executor: what every Slurm run of it must give. */
  let local: SweepFile;

  before(function () {
    if (!process.env.SLURM_CONF) this.skip(); // run through npm run test:slurm
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-slurm-sweep-'));
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('trains a 2×2 grid as a job array, two tasks at a time, with the numbers of the local executor; --status reports the same', () => {
    const file = write('grid.den.json');
    const l = run(['sweep', file, ...grid, '--jobs', '2', '--out', path.join(dir, 'local'), '--json']);
    assert.equal(l.code, 0, l.stderr);
    local = (jsonLines(l.stdout).pop() as Extract<SweepEvent, { type: 'sweep-end' }>).sweep;
    assert.deepEqual(local.points.map((p) => p.status), ['done', 'done', 'done', 'done']);

    const r = run(['sweep', file, ...grid, '--executor', 'slurm', '--jobs', '2', '--slurm-time', '00:10:00', '--slurm-poll', '1', '--out', path.join(dir, 'slurm'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const events = jsonLines(r.stdout);
    const start = events[0] as Extract<SweepEvent, { type: 'sweep-start' }>;
    const sweepDir = start.dir;
    const sweep = readSweepJson(sweepDir);
    assert.deepEqual(sweep, (events[events.length - 1] as Extract<SweepEvent, { type: 'sweep-end' }>).sweep, 'sweep.json is what the last event says');
    assert.deepEqual([sweep.state, sweep.pid, sweep.host], ['finished', null, null]);
    const rec = slurmRecord(sweep);
    assert.match(rec.jobId!, /^\d+$/);
    assert.deepEqual(rec, {
      kind: 'slurm',
      jobs: 2,
      jobId: rec.jobId,
      tasks: local.points.map((p) => p.id),
      submitted: rec.submitted,
      script: 'slurm/job.sh',
      node: process.execPath,
      cli,
      partition: null,
      time: '00:10:00',
      cpus: 1,
      extra: [],
      poll: 1,
    });
    assert.deepEqual(start.sweep.executor, rec, 'the job id is known when the sweep starts');

    // Every point ran as its array task, on the node, and gave the local executor's numbers.
    assert.deepEqual(sweep.points.map(numbers), local.points.map(numbers), 'the same numbers as the local executor');
    assert.deepEqual(sweep.front, local.front);
    const starts = events.filter((e) => e.type === 'point-start') as Extract<SweepEvent, { type: 'point-start' }>[];
    assert.deepEqual(starts.map((e) => [e.id, e.job, e.pid]).sort(), sweep.points.map((p, i) => [p.id, `${rec.jobId}_${i}`, null]));
    const node = process.env.DEN_SLURM_NODE!;
    sweep.points.forEach((p, i) => {
      assert.equal(p.status, 'done');
      assert.equal(p.job, `${rec.jobId}_${i}`);
      const log = fs.readFileSync(path.join(sweepDir, p.log), 'utf8');
      assert.match(log, new RegExp(`^# \\S+Z in ${sweepDir} \\(Slurm job ${rec.jobId}_${i} on ${node}, restart 0\\)\\n\\$ den-lab train points/${p.id}\\.den\\.json --into runs/${p.id} --until 2\\n`, 'm'));
      assert.match(log, /^# exit 0$/m);
      assert.ok(fs.existsSync(path.join(sweepDir, 'slurm', `${rec.jobId}_${i}.out`)), "Slurm's own output file of the task");
      assert.equal(squeue(rec.jobId!).get(i), 'COMPLETED');
    });
    const spans = sweep.points.map((p) => {
      const log = readEvents(path.join(sweepDir, p.run, 'events.jsonl')) as Timed[];
      return [log.find((e) => e.type === 'run-start')!.time, log.find((e) => e.type === 'run-end')!.time];
    });
    for (const [t] of spans) assert.ok(spans.filter((s) => s[0] <= t && t < s[1]).length <= 2, 'at most --jobs 2 tasks at once');
    const script = fs.readFileSync(path.join(sweepDir, 'slurm', 'job.sh'), 'utf8');
    assert.ok(script.includes(`node=${process.execPath}\n`) && script.includes(`cli=${cli}\n`), 'the script names the node and den-lab it runs');

    const s = status(sweepDir);
    assert.equal(s.follower, null);
    assert.deepEqual(s.sweep, sweep, '--status of an ended sweep is its sweep.json');
  });

  it('--detach returns at once; --status --wait follows the array to its end; a scancelled point shows as cancelled, the others finish; a re-run trains only that point', async () => {
    const file = write('grid.den.json');
    const args = ['sweep', file, ...grid, '--executor', 'slurm', '--jobs', '2', '--slurm-poll', '1', '--out', path.join(dir, 'detached')];
    // Submitted held: the test lets tasks 0-2 run and keeps task 3 in the queue until the follower has
    // been looked at, so that the array cannot end before (however slowly this machine runs).
    const d = run([...args, '--slurm-extra=--hold', '--detach', '--json']);
    assert.equal(d.code, 0, d.stderr);
    const events = jsonLines(d.stdout);
    assert.deepEqual(events.map((e) => e.type), ['sweep-start'], 'submitted and returned');
    const sweepDir = (events[0] as Extract<SweepEvent, { type: 'sweep-start' }>).dir;
    const detached = readSweepJson(sweepDir);
    assert.deepEqual([detached.state, detached.pid, detached.host], ['running', null, null], 'nobody follows it');
    const jobId = slurmRecord(detached).jobId!;
    assert.deepEqual([...squeue(jobId).values()], ['PENDING', 'PENDING', 'PENDING', 'PENDING'], 'the array is in the queue, held');
    slurm('scontrol', 'release', [0, 1, 2].map((i) => `${jobId}_${i}`).join(','));

    // scancel a point that trains (its run has begun), not one whose script is still starting.
    await until(() => squeue(jobId).get(0) === 'RUNNING' && fs.existsSync(path.join(sweepDir, local.points[0].run, 'events.jsonl')), 60000, 'array task 0 to train');
    slurm('scancel', `${jobId}_0`);
    const early = status(sweepDir);
    assert.deepEqual([early.sweep.state, early.follower], ['running', null]);

    // A process follows the detached array to its end, as the sweep command would (e.g. VS Code after a reload).
    const w = startJson<SweepEvent>(['sweep', '--status', sweepDir, '--wait']);
    await w.waitFor((e) => e.type === 'point-start' || e.type === 'point-end');
    await until(() => readSweepJson(sweepDir).pid === w.child.pid, 60000, 'the follower to take the sweep');
    const during = status(sweepDir);
    assert.deepEqual([during.follower, during.sweep.pid], [w.child.pid, w.child.pid], 'sweep.json names the follower');
    const twice = run(['sweep', '--status', sweepDir, '--wait']);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, new RegExp(`process ${w.child.pid} follows this sweep already`));
    slurm('scontrol', 'release', `${jobId}_3`);
    assert.equal(await w.exited, 130, 'a point was cancelled');
    const end = w.events[w.events.length - 1] as Extract<SweepEvent, { type: 'sweep-end' }>;
    assert.equal(end.type, 'sweep-end');
    assert.ok(w.events.some((e) => e.type === 'point-end' && e.point.id === local.points[0].id && e.point.status === 'cancelled'));

    const s = status(sweepDir);
    assert.deepEqual(s.sweep, end.sweep, '--status reports what the follower ended with');
    assert.equal(s.sweep.state, 'cancelled', 'a point was cancelled');
    assert.deepEqual(s.sweep.points.map((p) => p.status), ['cancelled', 'done', 'done', 'done']);
    assert.match(s.sweep.points[0].message!, new RegExp(`^Slurm job ${jobId}_0 CANCELLED`));
    assert.deepEqual(s.sweep.points.slice(1).map(numbers), local.points.slice(1).map(numbers), 'the numbers of the local executor');

    const again = run([...args, '--json']);
    assert.equal(again.code, 0, again.stderr);
    const rerun = jsonLines(again.stdout);
    assert.deepEqual((rerun[0] as Extract<SweepEvent, { type: 'sweep-start' }>).toRun, [local.points[0].id], 'only the cancelled point');
    const sweep = readSweepJson(sweepDir);
    assert.equal(sweep.state, 'finished');
    assert.deepEqual(sweep.points.map(numbers), local.points.map(numbers));
    const secondJob = slurmRecord(sweep).jobId!;
    assert.notEqual(secondJob, jobId, 'a new array');
    assert.deepEqual(slurmRecord(sweep).tasks, [local.points[0].id]);
    assert.equal(sweep.points[0].job, `${secondJob}_0`);
    const log = fs.readFileSync(path.join(sweepDir, sweep.points[0].log), 'utf8');
    assert.equal(log.match(/^\$ den-lab train /gm)?.length, 2, 'two attempts in the point\'s log');
  });

  it('--cancel stops a running array, detached or followed by its sweep process, as Ctrl-C of that process does, and leaves no process', async () => {
    const file = write('long.den.json', { training: { steps: 5000 } });
    const args = ['sweep', file, '--grid', 'den.k=2,4,6', '--executor', 'slurm', '--jobs', '2', '--slurm-poll', '1', '--out', path.join(dir, 'cancel')];
    const d = run([...args, '--detach', '--json']);
    assert.equal(d.code, 0, d.stderr);
    const sweepDir = (jsonLines(d.stdout)[0] as Extract<SweepEvent, { type: 'sweep-start' }>).dir;
    const jobId = slurmRecord(readSweepJson(sweepDir)).jobId!;
    await until(() => ['01-k2', '02-k4'].every((id) => fs.existsSync(path.join(sweepDir, 'runs', id, 'events.jsonl'))), 60000, 'two points to train');
    const c = run(['sweep', '--cancel', sweepDir, '--json']);
    assert.equal(c.code, 0, c.stderr);
    let sweep = readSweepJson(sweepDir);
    assert.equal(sweep.state, 'cancelled');
    assert.deepEqual(sweep.points.map((p) => p.status), ['cancelled', 'cancelled', 'pending'], 'the waiting task never ran');
    assert.deepEqual([...squeue(jobId).values()].filter((state) => state === 'PENDING' || state === 'RUNNING'), [], 'nothing of the array is left in the queue');
    await until(() => processesIn(sweepDir).length === 0, 20000, 'no process left in the sweep folder');
    const completed = (run: string) => (fs.existsSync(path.join(sweepDir, run, 'summary.json')) ? RunFolder.open(path.join(sweepDir, run)).readSummary()!.tasks.length : 0);
    assert.ok(sweep.points.every((p) => completed(p.run) === 0), 'no task was completed');

    // The same, with the sweep command following its array: it ends with the array, cancelled.
    const p = startJson<SweepEvent>(args);
    await until(() => p.events.filter((e) => e.type === 'point-start').length === 2, 60000, 'two points to start again');
    const c2 = run(['sweep', '--cancel', sweepDir]);
    assert.equal(c2.code, 0, c2.stderr);
    assert.equal(await p.exited, 130);
    sweep = readSweepJson(sweepDir);
    assert.equal(sweep.state, 'cancelled');
    assert.deepEqual(sweep.points.map((pt) => pt.status), ['cancelled', 'cancelled', 'pending']);
    await until(() => processesIn(sweepDir).length === 0, 20000, 'no process left in the sweep folder');

    // Ctrl-C of the sweep command cancels its array too.
    const q = startJson<SweepEvent>(args);
    await until(() => q.events.filter((e) => e.type === 'point-start').length === 2, 60000, 'two points to start again');
    const array = slurmRecord(readSweepJson(sweepDir)).jobId!;
    q.child.kill('SIGINT');
    assert.equal(await q.exited, 130);
    assert.deepEqual(readSweepJson(sweepDir).points.map((pt) => pt.status), ['cancelled', 'cancelled', 'pending']);
    assert.deepEqual([...squeue(array).values()].filter((state) => state === 'PENDING' || state === 'RUNNING'), [], 'nothing of the array is left in the queue');
    await until(() => processesIn(sweepDir).length === 0, 20000, 'no process left in the sweep folder');
  });

  it('a requeued point (scontrol requeue, as on preemption) waits in the queue, runs again and continues after its last completed task', async () => {
    const file = write('requeue.den.json', { training: { steps: 400 } });
    const child = spawn(process.execPath, [cli, 'sweep', file, '--grid', 'den.k=3', '--executor', 'slurm', '--slurm-poll', '1', '--out', path.join(dir, 'requeue')], { cwd: root });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stdout += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => /^sweep folder: /m.test(stdout), 60000, 'the sweep to start');
    const sweepDir = /^sweep folder: (.*)$/m.exec(stdout)![1];
    const events = path.join(sweepDir, 'runs', '01-k3', 'events.jsonl');
    await until(() => fs.existsSync(events) && readEvents(events).some((e) => e.type === 'task-end'), 120000, 'task 1 of the point');
    const jobId = slurmRecord(readSweepJson(sweepDir)).jobId!;
    slurm('scontrol', 'requeue', `${jobId}_0`);
    assert.equal(await exited, 0, stdout);
    assert.match(stdout, new RegExp(`point 01-k3: started \\(Slurm job ${jobId}_0\\)[^]*point 01-k3: requeued by Slurm \\(restart 1\\), waiting in the queue[^]*point 01-k3: started \\(Slurm job ${jobId}_0\\)[^]*point 01-k3: done`));
    const runs = readEvents(events).filter((e) => e.type === 'run-start') as Extract<DenEvent, { type: 'run-start' }>[];
    assert.deepEqual(runs.map((e) => [e.fromTask, e.toTask]), [[1, 2], [2, 2]], 'the second run continued with task 2');
    const log = fs.readFileSync(path.join(sweepDir, 'logs', '01-k3.log'), 'utf8');
    assert.match(log, new RegExp(`Slurm job ${jobId}_0 on \\S+, restart 0\\)[^]*# SIGTERM from Slurm[^]*Slurm job ${jobId}_0 on \\S+, restart 1\\)`));
    const sweep = readSweepJson(sweepDir);
    assert.deepEqual([sweep.state, sweep.points[0].status, sweep.points[0].result!.tasks], ['finished', 'done', 2]);
  });

  it('a point that fails on its node is reported with its Slurm state and the tail of its log; a partition that does not exist is refused before anything runs', () => {
    const file = write('fail.den.json');
    const base = run(['train', file, '--tasks', '1', '--out', path.join(dir, 'fail-base'), '--json']);
    assert.equal(base.code, 0, base.stderr);
    const baseDir = JSON.parse(base.stdout.trim().split('\n').pop()!).runDir as string;
    fs.truncateSync(path.join(baseDir, 'tasks', 'task-001', 'weights.bin'), 100);
    const r = run(['sweep', file, '--from', baseDir, '--task', '2', '--grid', 'den.k=2', '--executor', 'slurm', '--slurm-poll', '1', '--out', path.join(dir, 'fail')]);
    assert.equal(r.code, 1, r.stderr);
    // den-lab train exits with 2 on a bad checkpoint (bad input), the job script with it, and Slurm calls that FAILED.
    assert.match(r.stdout, /point 01-k2: FAILED: Slurm job \d+_0 FAILED \(exit 2\): checkpoint .*task-001: weights\.bin has 100 bytes, expected \d+ \(truncated\?\)/);
    assert.match(r.stdout, /^ {4}logs\/01-k2\.log, last lines:\n {4}\| \$ den-lab train points\/01-k2\.den\.json .*\n {4}\| den-lab: checkpoint .*truncated\?\)\n {4}\| # exit 2$/m, 'the tail of its log');
    assert.match(r.stderr, /den-lab: 1 of 1 points failed/);

    const out = path.join(dir, 'nope');
    const bad = run(['sweep', file, '--grid', 'den.k=2', '--executor', 'slurm', '--slurm-partition', 'nope', '--out', out]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /^den-lab: sbatch refused the job array: sbatch: error: invalid partition specified: nope; .* \(its script: .*\/slurm\/job\.sh\)$/m);
    const sweepDir = path.join(out, fs.readdirSync(out)[0]);
    assert.equal(fs.existsSync(path.join(sweepDir, 'sweep.json')), false, 'no sweep.json: nothing was submitted');
  });
});
