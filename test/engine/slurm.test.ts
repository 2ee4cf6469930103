// The pure parts of the Slurm executor: what squeue and sacct print, read into the points' states;
// --slurm-extra split into sbatch options; shell quoting. (npm run test:slurm runs it against Slurm.)
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { parseSacct, parseSqueue, shellQuote, splitOptions, taskReport, TaskState } from '../../src/engine/sweep/slurm';

const task = (patch: Partial<TaskState>): TaskState => ({ state: 'PENDING', exitCode: 0, signal: null, start: null, end: null, restarts: 0, reason: null, ...patch });

describe('Slurm executor: reading the queue', () => {
  it('reads squeue --Format lines (as Slurm 22.05 prints them), exit codes from the wait status', () => {
    // squeue --noheader --array --states=all --jobs=1 --Format=ArrayTaskID:|,State:|,exit_code:|,StartTime:|,EndTime:|,RestartCnt:|,Reason:|
    const text = [
      '2|PENDING|0|N/A|N/A|0|JobArrayTaskLimit|',
      '0|COMPLETED|0|2026-12-01T15:54:21|2026-12-01T15:54:24|0|None|',
      '3|FAILED|768|2026-12-01T15:54:25|2026-12-01T15:54:28|0|NonZeroExitCode|',
      '1|FAILED|9|2026-12-01T15:54:21|2026-12-01T15:54:24|0|None|',
      '4|RUNNING|0|2026-12-01T15:58:39|NONE|1|None|',
      '',
    ].join('\n');
    const tasks = parseSqueue(text);
    assert.deepEqual([...tasks.keys()], [2, 0, 3, 1, 4]);
    assert.deepEqual(tasks.get(2), task({ reason: 'JobArrayTaskLimit' }));
    assert.deepEqual(tasks.get(0), task({ state: 'COMPLETED', start: new Date('2026-12-01T15:54:21').toISOString(), end: new Date('2026-12-01T15:54:24').toISOString() }));
    assert.deepEqual([tasks.get(3)!.exitCode, tasks.get(3)!.signal], [3, null], 'exit 3: status 3 << 8');
    assert.deepEqual([tasks.get(1)!.exitCode, tasks.get(1)!.signal], [0, 9], 'killed by signal 9');
    assert.deepEqual([tasks.get(4)!.state, tasks.get(4)!.restarts, tasks.get(4)!.end], ['RUNNING', 1, null]);
  });

  it("reads sacct's lines of the job's array tasks only", () => {
    // sacct --noheader --parsable2 --allocations --jobs=12 --format=JobID,State,ExitCode,Start,End
    const text = ['12_0|COMPLETED|0:0|2026-12-01T10:00:00|2026-12-01T10:01:00', '12_1|CANCELLED by 1000|0:15|2026-12-01T10:00:00|2026-12-01T10:00:30', '12_[2-3]|PENDING|0:0|Unknown|Unknown', '120_4|FAILED|1:0|2026-12-01T10:00:00|2026-12-01T10:00:01', ''].join('\n');
    const tasks = parseSacct(text, '12');
    assert.deepEqual([...tasks.keys()], [0, 1]);
    assert.deepEqual(tasks.get(1), task({ state: 'CANCELLED', exitCode: 0, signal: 15, start: new Date('2026-12-01T10:00:00').toISOString(), end: new Date('2026-12-01T10:00:30').toISOString() }));
  });

  it("turns a task's state into the point's update: running, requeued, ended and how", () => {
    const report = (s: TaskState | undefined, ran = true) => taskReport('01-k2', '12', 0, s, 'sacct: accounting disabled', ran);
    assert.deepEqual(report(task({ state: 'RUNNING', start: '2026-12-01T10:00:00.000Z' })).update, { id: '01-k2', state: 'running', time: '2026-12-01T10:00:00.000Z', pid: null, job: '12_0' });
    // Waiting its turn is not worth a line; a requeued task, or one held for an unusual reason, is.
    assert.equal(report(task({ reason: 'Priority' })).update, null);
    assert.equal(report(task({ reason: 'JobArrayTaskLimit' })).where, 'queued');
    assert.match((report(task({ reason: 'BeginTime', restarts: 1 })).update as { message: string }).message, /^requeued by Slurm \(restart 1\), waiting in the queue \(BeginTime\)$/);
    assert.match((report(task({ reason: 'PartitionTimeLimit' })).update as { message: string }).message, /^waiting in the queue \(PartitionTimeLimit\)$/);
    assert.notEqual(report(task({ restarts: 1 })).key, report(task({ restarts: 0 })).key, 'a requeue is news');
    assert.notEqual(report(task({ state: 'RUNNING', restarts: 1 })).key, report(task({ state: 'RUNNING' })).key, 'so is running again');

    const ended = (s: TaskState, ran = true) => report(s, ran).update as Extract<ReturnType<typeof report>['update'], { state: 'ended' }>;
    assert.deepEqual(ended(task({ state: 'COMPLETED', end: '2026-12-01T10:01:00.000Z' })), { id: '01-k2', state: 'ended', time: '2026-12-01T10:01:00.000Z', job: '12_0', exitCode: 0, signal: null, cancelled: false });
    const failed = ended(task({ state: 'FAILED', exitCode: 2 }));
    assert.deepEqual([failed.job, failed.exitCode, failed.signal, failed.cancelled, failed.message], ['12_0', 2, null, false, 'Slurm job 12_0 FAILED (exit 2)']);
    assert.equal(ended(task({ state: 'FAILED', exitCode: 0, signal: 9 })).message, 'Slurm job 12_0 FAILED (SIGKILL)');
    const timeout = ended(task({ state: 'TIMEOUT' }));
    assert.deepEqual([timeout.exitCode, timeout.signal, timeout.message], [null, 'TIMEOUT', 'Slurm job 12_0 TIMEOUT: it reached its time limit; raise --slurm-time']);
    assert.match(ended(task({ state: 'OUT_OF_MEMORY' })).message!, /--slurm-extra=--mem=/);
    const cancelled = ended(task({ state: 'CANCELLED', start: '2026-12-01T10:00:00.000Z' }));
    assert.deepEqual([cancelled.cancelled, cancelled.message], [true, 'Slurm job 12_0 CANCELLED']);
    // Cancelled before it ran (Slurm gives it a start time all the same): the point just stays pending.
    assert.deepEqual(report(task({ state: 'CANCELLED', start: '2026-12-01T10:00:00.000Z' }), false), { key: 'ended 0', where: 'ended', update: null });
    assert.match(ended(task({ state: 'FAILED', exitCode: 1 }), false).message!, /^Slurm job 12_0 FAILED \(exit 1\): Slurm wrote no slurm\/12_0\.out: does the node see the sweep folder/);
    const gone = ended(undefined as unknown as TaskState);
    assert.deepEqual([gone.job, gone.exitCode, gone.cancelled, gone.message], ['12_0', null, false, 'Slurm job 12_0 left the queue, and Slurm has no record of how it ended (sacct: accounting disabled)']);
  });
});

describe('Slurm executor: options and quoting', () => {
  it('splits --slurm-extra at whitespace, keeping quoted parts whole', () => {
    assert.deepEqual(splitOptions('--account=abc  --mem=4G'), ['--account=abc', '--mem=4G']);
    assert.deepEqual(splitOptions(`--comment="a sweep" --constraint='gpu&fast' x""`), ['--comment=a sweep', '--constraint=gpu&fast', 'x']);
    assert.deepEqual(splitOptions('  '), []);
    assert.throws(() => splitOptions('--comment="a'), /--slurm-extra: a " is not closed/);
  });

  it('quotes any text as one bash word that expands nothing', () => {
    for (const text of ['plain', "it's", 'a b', '$HOME', '`id`', '"q"', 'back\\slash', '', '*', 'ü 🙂', "''"]) {
      const r = spawnSync('bash', ['-c', `printf '%s' ${shellQuote(text)}`], { encoding: 'utf8' });
      assert.equal(r.stdout, text, text);
    }
  });
});
