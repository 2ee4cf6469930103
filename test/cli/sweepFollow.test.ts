// What runs without a Slurm cluster: the job script that `--executor slurm` writes, run by bash as a
// node would run it; --status and --cancel of local sweeps; the new options' bad input.
// (npm run test:slurm runs the Slurm executor against a real cluster.)
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readEvents, RunFolder } from '../../src/engine/run/runFolder';
import type { SlurmExecutorRecord, SweepEvent, SweepFile } from '../../src/common/protocol';
import { cli, root, run, startJson, until, writeSweepExperiment } from './helpers';

const readSweepJson = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'sweep.json'), 'utf8')) as SweepFile;
/** den-lab with a PATH where no Slurm command is. */
const withoutSlurm = (args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('den-lab sweep: the Slurm job script, --status and --cancel (no cluster)', function () {
  this.timeout(300000);
  let dir: string;
  const write = (name: string, steps = 40) => writeSweepExperiment(dir, name, { training: { steps } });
  /** The sweep folder of a Slurm sweep whose submission failed (no sbatch here): it has the job script, and no sweep.json. */
  const slurmFolder = (file: string, out: string) => {
    const r = withoutSlurm(['sweep', file, '--grid', 'den.k=2', '--executor', 'slurm', '--out', out]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^den-lab: --executor slurm: sbatch is not on the PATH; run the sweep on a Slurm login node/);
    const sweepDir = path.join(out, fs.readdirSync(out)[0]);
    assert.equal(fs.existsSync(path.join(sweepDir, 'sweep.json')), false, 'no sweep.json: nothing runs');
    return sweepDir;
  };
  /** Runs the job script as Slurm would run array task `task` (its own process group, like a job). */
  const runTask = (script: string, task: string) =>
    spawn('bash', [script], { cwd: os.tmpdir(), env: { ...process.env, SLURM_ARRAY_JOB_ID: '77', SLURM_ARRAY_TASK_ID: task }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = (child: ReturnType<typeof runTask>) => {
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    return new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  };

  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-follow-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("the job script trains its task's point in the sweep folder, as the point's command line says, logging like a local point", async () => {
    const sweepDir = slurmFolder(write('script.den.json'), path.join(dir, 'script'));
    const script = path.join(sweepDir, 'slurm', 'job.sh');
    const text = fs.readFileSync(script, 'utf8');
    assert.match(text, /^# {3}sbatch --parsable --array=0-0 --job-name=den-lab-sweep-test-sweep-[0-9a-f]{8} --chdir=\S+ --output=\S+\/slurm\/%A_%a\.out --open-mode=append --requeue --cpus-per-task=1 \S+\/slurm\/job\.sh$/m);
    const r = await exited(runTask(script, '0'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(RunFolder.open(path.join(sweepDir, 'runs', '01-k2')).readSummary()!.tasks.length, 2);
    const log = fs.readFileSync(path.join(sweepDir, 'logs', '01-k2.log'), 'utf8');
    assert.match(log, new RegExp(`^\\n# \\S+Z in ${sweepDir} \\(Slurm job 77_0 on ${os.hostname()}, restart 0\\)\\n\\$ den-lab train points/01-k2\\.den\\.json --into runs/01-k2 --until 2\\n`));
    assert.match(log, /\n# exit 0\n$/);

    const unknown = await exited(runTask(script, '5'));
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^den-lab: no point is task '5' of this job array \(0 to 0\); submit it with sbatch --array\n$/);

    // A node that does not see Node.js or den-lab at the submitting machine's paths, or the sweep folder.
    const elsewhere = path.join(dir, 'elsewhere.sh');
    fs.writeFileSync(elsewhere, text.replace(/^node=.*$/m, 'node=/nonexistent/node'));
    assert.equal((await exited(runTask(elsewhere, '0'))).code, 2);
    assert.match(fs.readFileSync(path.join(sweepDir, 'logs', '01-k2.log'), 'utf8'), /\nden-lab: \/nonexistent\/node is not on node \S+: Node\.js and DEN Lab's dist\/cli\.js must be on a file system that the nodes share, at the same paths\n$/);
    fs.writeFileSync(elsewhere, text.replace(/^sweep=.*$/m, `sweep=${path.join(dir, 'not-shared')}`));
    const noFolder = await exited(runTask(elsewhere, '0'));
    assert.equal(noFolder.code, 2);
    assert.match(noFolder.stderr, /^den-lab: the sweep folder \S+not-shared is not on node \S+: it must be on a file system that the nodes share\n$/);
  });

  it('on SIGTERM to the job (scancel, time limit, preemption) the point stops at its next step and the script exits with its status; a lock left on another node is taken over', async () => {
    const sweepDir = slurmFolder(write('term.den.json', 5000), path.join(dir, 'term'));
    const child = runTask(path.join(sweepDir, 'slurm', 'job.sh'), '0');
    const end = exited(child);
    const events = path.join(sweepDir, 'runs', '01-k2', 'events.jsonl');
    await until(() => fs.existsSync(events) && readEvents(events).some((e) => e.type === 'loss'), 60000, 'training to begin');
    process.kill(-child.pid!, 'SIGTERM'); // Slurm signals every process of the job
    assert.equal((await end).code, 130);
    const log = fs.readFileSync(path.join(sweepDir, 'logs', '01-k2.log'), 'utf8');
    // den-lab's own "stopping…" lines may come before or after the script's note: the processes write concurrently
    assert.match(log, /\n# SIGTERM from Slurm\n(?:[^]*\n)?# exit 130\n$/);
    assert.ok(readEvents(events).some((e) => e.type === 'cancelled'), 'train stopped as on Ctrl-C');

    // An attempt killed on another node leaves its lock; den-lab train alone refuses the run then, the next attempt takes it over.
    const lock = path.join(sweepDir, 'runs', '01-k2', 'run.lock');
    fs.writeFileSync(lock, JSON.stringify({ pid: 1, host: 'another-node', startTime: null, since: new Date().toISOString(), owner: 'den-lab train' }) + '\n');
    const refused = run(['train', 'points/01-k2.den.json', '--into', 'runs/01-k2', '--until', '2'], sweepDir);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /this run is being trained by process 1 on another-node/);
    const again = runTask(path.join(sweepDir, 'slurm', 'job.sh'), '0');
    const end2 = exited(again);
    await until(() => readEvents(events).filter((e) => e.type === 'run-start').length === 2, 60000, 'the next attempt to train');
    process.kill(-again.pid!, 'SIGTERM');
    assert.equal((await end2).code, 130);
    assert.match(fs.readFileSync(path.join(sweepDir, 'logs', '01-k2.log'), 'utf8'), /\n# runs\/01-k2\/run\.lock of an earlier attempt on another node, removed: \{"pid":1,"host":"another-node",/);
    assert.equal(fs.existsSync(lock), false, 'the attempt released its own lock');
  });

  it('a follower (--status --wait) whose points have all ended when it looks reports the final sweep.json and is not recorded as following it', () => {
    // A detached Slurm sweep whose array ended before the follower could register: here a record with
    // no array, whose points the executor needs no queue to find ended, so the follower's own look ends
    // the sweep before its claim, every time.
    const out = path.join(dir, 'ended');
    const done = run(['sweep', write('ended.den.json'), '--grid', 'den.k=2', '--out', out, '--json']);
    assert.equal(done.code, 0, done.stderr);
    const sweepDir = path.join(out, fs.readdirSync(out)[0]);
    const record: SlurmExecutorRecord = { kind: 'slurm', jobs: 1, jobId: null, tasks: [], submitted: null, script: 'slurm/job.sh', node: process.execPath, cli, partition: null, time: null, cpus: 1, extra: [], poll: 1 };
    fs.writeFileSync(path.join(sweepDir, 'sweep.json'), JSON.stringify({ ...readSweepJson(sweepDir), state: 'running', pid: null, host: null, executor: record }));

    const w = run(['sweep', '--status', sweepDir, '--wait', '--json']);
    assert.equal(w.code, 0, w.stderr);
    const sweep = readSweepJson(sweepDir);
    assert.deepEqual([sweep.state, sweep.pid, sweep.host], ['finished', null, null], 'ended, and no follower recorded in it');
    const last = JSON.parse(w.stdout.trim().split('\n').pop()!) as SweepEvent;
    assert.equal(last.type, 'sweep-status');
    assert.deepEqual((last as Extract<SweepEvent, { type: 'sweep-status' }>).sweep, sweep, 'it reports the final sweep.json');
    assert.equal(fs.existsSync(path.join(sweepDir, 'sweep.lock')), false, 'the lock is released');
  });

  it('--status shows a local sweep (followed by its process while it runs); --cancel stops it through that process; bad options are refused', async () => {
    const file = write('local.den.json', 5000);
    const out = path.join(dir, 'local');
    const p = startJson<SweepEvent>(['sweep', file, '--grid', 'den.k=2,4', '--jobs', '1', '--out', out]);
    await p.waitFor((e) => e.type === 'point-start');
    const sweepDir = (p.events[0] as Extract<SweepEvent, { type: 'sweep-start' }>).dir;
    const s = run(['sweep', '--status', sweepDir, '--json']);
    assert.equal(s.code, 0, s.stderr);
    const shown = JSON.parse(s.stdout) as Extract<SweepEvent, { type: 'sweep-status' }>;
    assert.deepEqual([shown.type, shown.follower, shown.sweep.state, shown.sweep.executor], ['sweep-status', p.child.pid, 'running', { kind: 'local', jobs: 1 }]);
    const text = run(['sweep', '--status', sweepDir]);
    assert.match(text.stdout, new RegExp(`^DEN Lab sweep · sweep-test · running \\(local, followed by process ${p.child.pid}\\): 1 running, 1 pending\\nsweep folder: `));
    const wait = run(['sweep', '--status', sweepDir, '--wait']);
    assert.equal(wait.code, 2);
    assert.match(wait.stderr, new RegExp(`^den-lab: process ${p.child.pid} follows this sweep already`));

    const c = run(['sweep', '--cancel', sweepDir]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(await p.exited, 130);
    const sweep = readSweepJson(sweepDir);
    assert.deepEqual([sweep.state, sweep.pid, sweep.points.map((pt) => pt.status)], ['cancelled', null, ['cancelled', 'pending']]);
    const again = run(['sweep', '--cancel', sweepDir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to cancel: the sweep has been cancelled/);

    const refuses = (args: string[], message: RegExp) => {
      const r = run(['sweep', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    };
    refuses([file, '--grid', 'den.k=2', '--detach'], /--detach goes with --executor slurm: local points are child processes of this one/);
    refuses([file, '--grid', 'den.k=2', '--slurm-time', '00:10:00'], /--slurm-time goes with --executor slurm/);
    refuses([file, '--grid', 'den.k=2', '--executor', 'pbs'], /--executor must be local or slurm, got 'pbs'/);
    refuses([file, '--grid', 'den.k=2', '--executor', 'slurm', '--slurm-cpus', '0'], /--slurm-cpus must be a positive integer, got '0'/);
    refuses([file, '--grid', 'den.k=2', '--executor', 'slurm', '--slurm-extra=--comment="x'], /--slurm-extra: a " is not closed/);
    refuses(['--status', sweepDir, '--grid', 'den.k=2'], /--status <sweep folder> takes only --wait and --json, got --grid/);
    refuses(['--status', sweepDir, '--cancel', sweepDir], /give --status or --cancel, not both/);
    refuses([file, '--grid', 'den.k=2', '--wait'], /--wait goes with --status/);
    refuses(['--status', dir], new RegExp(`${dir}: no sweep\\.json; give the folder of a sweep`));
  });
});
