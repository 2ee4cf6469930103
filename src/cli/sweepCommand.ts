// `den-lab sweep`: train a grid through an executor (local processes or a Slurm job array), and
// `--status` / `--cancel` a sweep folder later (a detached Slurm sweep runs without this process).
import * as os from 'os';
import { LocalExecutor } from '../engine/sweep/executor';
import { SweepError } from '../engine/sweep/grid';
import { SlurmExecutor, slurmTimeProblem, splitOptions } from '../engine/sweep/slurm';
import { followSweep, liveFollower, openSweep, planSweep, runSweep } from '../engine/sweep/sweep';
import type { SweepEvent, SweepFile, SweepQuality } from '../common/protocol';
import { sweepEventLine, sweepReport } from './format';
import { onInterrupt } from './interrupt';
import { positiveInt, UsageError } from './usage';

export interface SweepOptions {
  grid?: string[];
  from?: string;
  task?: string;
  tasks?: string;
  jobs?: string;
  out?: string;
  'max-points'?: string;
  quality?: string;
  json?: boolean;
  executor?: string;
  detach?: boolean;
  status?: string;
  cancel?: string;
  wait?: boolean;
  'slurm-partition'?: string;
  'slurm-time'?: string;
  'slurm-cpus'?: string;
  'slurm-extra'?: string;
  'slurm-poll'?: string;
}

/** Options that only --executor slurm takes. */
const SLURM_OPTIONS = ['slurm-partition', 'slurm-time', 'slurm-cpus', 'slurm-extra', 'slurm-poll', 'detach'] as const;

/** Exit status of a sweep that has ended: 0 every point done, 1 one failed, 130 cancelled. */
function exitStatus(sweep: SweepFile): number {
  if (sweep.state === 'cancelled') return 130;
  return sweep.points.some((p) => p.status === 'failed') ? 1 : 0;
}

/** Prints sweep events: JSON lines, or a readable line each. */
function printer(json: boolean) {
  return (e: SweepEvent) => process.stdout.write((json ? JSON.stringify(e) : sweepEventLine(e)) + '\n');
}

/** The end of a sweep that this process followed: the table, and a line about failed points. */
function report(sweep: SweepFile, dir: string, json: boolean): number {
  if (!json) console.log('\n' + sweepReport(sweep, dir));
  const failed = sweep.points.filter((p) => p.status === 'failed').length;
  if (failed) process.stderr.write(`den-lab: ${failed} of ${sweep.points.length} points failed; their messages are in sweep.json and their logs in ${dir}/logs\n`);
  return exitStatus(sweep);
}

export async function sweepCommand(target: string | undefined, o: SweepOptions, cli: string): Promise<number> {
  const json = o.json === true;
  if (o.status !== undefined || o.cancel !== undefined) {
    if (o.status !== undefined && o.cancel !== undefined) throw new UsageError('give --status or --cancel, not both');
    const given = Object.keys(o).filter((k) => !['status', 'cancel', 'json', 'wait'].includes(k) && o[k as keyof SweepOptions] !== undefined);
    if (target !== undefined || given.length) throw new UsageError(`--${o.status !== undefined ? 'status' : 'cancel'} <sweep folder> takes only ${o.status !== undefined ? '--wait and ' : ''}--json, got ${target ?? `--${given[0]}`}`);
    if (o.cancel !== undefined && o.wait) throw new UsageError('--wait goes with --status');
    return o.status !== undefined ? status(o.status, json, o.wait === true) : cancel(o.cancel!, json);
  }
  if (o.wait) throw new UsageError('--wait goes with --status <sweep folder>');
  if (!target) throw new UsageError('sweep needs an experiment file');
  const kind = o.executor ?? 'local';
  if (kind !== 'local' && kind !== 'slurm') throw new UsageError(`--executor must be local or slurm, got '${kind}'`);
  const slurmOnly = SLURM_OPTIONS.find((k) => o[k] !== undefined);
  if (kind !== 'slurm' && slurmOnly) throw new UsageError(`--${slurmOnly} goes with --executor slurm${slurmOnly === 'detach' ? ': local points are child processes of this one' : ''}`);
  const quality = o.quality;
  const qualities = ['acc', 'auroc', 'validationAcc', 'validationAuroc'];
  if (quality !== undefined && !qualities.includes(quality)) throw new UsageError(`--quality must be one of ${qualities.join(', ')}, got '${quality}'`);
  const jobs = positiveInt('--jobs', o.jobs);
  const timeProblem = o['slurm-time'] === undefined ? null : slurmTimeProblem(o['slurm-time']);
  if (timeProblem) throw new UsageError(`--slurm-time: ${timeProblem}`);
  // Checked before anything is written.
  const executor =
    kind === 'slurm'
      ? new SlurmExecutor({
          jobs,
          partition: o['slurm-partition'],
          time: o['slurm-time'],
          cpus: positiveInt('--slurm-cpus', o['slurm-cpus']),
          extra: o['slurm-extra'] === undefined ? [] : splitOptions(o['slurm-extra']),
          poll: positiveInt('--slurm-poll', o['slurm-poll']),
          // __filename is dist/cli.js in the bundle: the nodes run the same den-lab with the same Node.js.
          node: process.execPath,
          cli,
        })
      : new LocalExecutor(jobs ?? os.availableParallelism(), cli);
  const plan = await planSweep({
    experimentFile: target,
    grid: o.grid ?? [],
    from: o.from,
    task: positiveInt('--task', o.task),
    tasks: positiveInt('--tasks', o.tasks),
    out: o.out,
    maxPoints: positiveInt('--max-points', o['max-points']),
    quality: quality as SweepQuality | undefined,
  });
  const run = runSweep(plan, executor, printer(json), { detach: o.detach === true });
  if (o.detach) {
    const sweep = await run.done;
    if (!json) console.log(`the points run on without this process; den-lab sweep --status ${plan.dir} shows them (--wait: until they end), --cancel stops them`);
    return sweep.state === 'running' ? 0 : exitStatus(sweep);
  }
  const uninstall = onInterrupt(
    'every point at its next step',
    json,
    () => run.cancel(),
    () => {
      run.cancel(true);
      process.exit(130);
    },
  );
  try {
    return report(await run.done, plan.dir, json);
  } finally {
    uninstall();
  }
}

const followedAlready = (pid: number, dir: string) => new SweepError(`process ${pid} follows this sweep already and keeps ${dir}/sweep.json current; den-lab sweep --status ${dir} shows it`);

/** `--status <dir>`: the sweep as it is now (a detached one looked up in its executor's queue); `wait`: follow it to its end. */
async function status(dir: string, json: boolean, wait: boolean): Promise<number> {
  const before = openSweep(dir);
  const follower = liveFollower(before);
  if (wait && follower !== null) throw followedAlready(follower, dir);
  const print = printer(json);
  const follow = await followSweep(dir, wait ? print : () => {});
  const claim = follow && wait ? follow.claim() : null;
  if (follow && claim?.ok) {
    const uninstall = onInterrupt('following the sweep (its points keep running)', json, () => follow.detach(), () => process.exit(130));
    try {
      const sweep = await follow.done;
      return sweep.state === 'running' ? 130 : report(sweep, dir, json);
    } finally {
      uninstall();
    }
  }
  if (follow) {
    if (follow.active.length || claim) follow.detach();
    await follow.done;
  }
  if (claim && !claim.ok && !claim.ended) throw followedAlready(claim.follower, dir);
  // Not followed: a look now, or a sweep that ended before this process could follow it (then its final sweep.json).
  const sweep = follow?.sweep ?? before;
  print({ type: 'sweep-status', dir, sweep, follower });
  if (!json) console.log('\n' + sweepReport(sweep, dir));
  return wait ? exitStatus(sweep) : 0;
}

/** `--cancel <dir>`: stops the points of a running sweep, wherever they run, and waits until they have stopped. */
async function cancel(dir: string, json: boolean): Promise<number> {
  const before = openSweep(dir);
  const print = printer(json);
  const follower = liveFollower(before);
  // Points that outlive their process are cancelled in their executor; a live follower sees them end too.
  const follow = await followSweep(dir, print, { evenIfFollowed: true });
  if (follow) {
    follow.cancel();
    report(await follow.done, dir, json);
    return 0;
  }
  if (before.state !== 'running') {
    print({ type: 'sweep-status', dir, sweep: before, follower: null });
    if (!json) console.log(`nothing to cancel: the sweep has ${before.state === 'finished' ? 'finished' : 'been cancelled'}`);
    return 0;
  }
  if (follower === null) {
    const where = before.pid === null ? '' : ` (process ${before.pid}${before.host ? ` on ${before.host}` : ''})`;
    throw new SweepError(`nothing to cancel here: the process that runs this sweep${where} is not running on this machine; its local points stop with it`);
  }
  process.kill(follower, 'SIGINT');
  const deadline = Date.now() + 300000;
  while (liveFollower(openSweep(dir)) === follower && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const after = openSweep(dir);
  print({ type: 'sweep-status', dir, sweep: after, follower: liveFollower(after) });
  if (!json) console.log('\n' + sweepReport(after, dir));
  return 0;
}
