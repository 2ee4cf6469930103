// A sweep trains one experiment at every point of a grid of hyperparameters. Every point is a run
// folder of its own, trained by `den-lab train` through an executor (executor.ts). The folder:
//   sweep.json             what the sweep trains, every point's status and results (SweepFile)
//   points/<id>.den.json   the experiment of each point: the grid values set, data paths absolute
//   runs/<id>/             the point's run folder (a branch of the base run when there is one)
//   logs/<id>.log          the output of the point's command, attempt after attempt
// The folder's name ends with a hash of what the sweep trains (experiment, grid, base, tasks), so
// the same sweep run again finds it and resumes: a point whose run has every task is done and is
// not trained again; the others are (their command continues a run that completed some tasks).
// Whether a point is done is read from its run folder, never from the executor or sweep.json.
// The points run through an executor (local processes, or a Slurm job array that runs on without
// this process: then `followSweep` picks them up later from sweep.json, for --status and --cancel).
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeJsonAtomic } from '../atomicFile';
import { Experiment, loadExperiment, validateExperiment, withAbsolutePaths } from '../experiment';
import { RunFolder } from '../run/runFolder';
import { isAlive } from '../run/runLock';
import { openParent, prepareTasks } from '../session';
import { stlParams } from '../stlParams';
import { mechanismsOf, taskMechanisms } from '../mechanisms';
import type { SweepEvent, SweepFile, SweepPoint, SweepPointResult, SweepQuality } from '../../common/protocol';
import { DetachableExecutor, Executor, executorLabel, isDetachable, PointJob, PointUpdate } from './executor';
import { checkAxes, formatValue, gridPoints, gridSize, parseGrid, pointId, SweepError, withValues } from './grid';
import { paretoFront } from './pareto';
import { liveFollower, readSweep, sweepFile } from './sweepFile';
import { SlurmExecutor } from './slurm';
import { withSweepLock } from './sweepLock';

export const DEFAULT_MAX_POINTS = 200;
export { liveFollower, readSweep, sweepFile };

export interface SweepRequest {
  experimentFile: string;
  /** `--grid` options: "field=v1,v2,…". */
  grid: string[];
  /** Start every point from this run's checkpoint after task `task` − 1, retraining task `task`. */
  from?: string;
  task?: number;
  /** Tasks each point trains (default: 1 from a run, else every task of the stream). */
  tasks?: number;
  /** Where sweep folders go (default: `sweeps/` next to the experiment file). */
  out?: string;
  maxPoints?: number;
  /** Default: auroc for one-vs-rest streams (binary tasks), else acc. */
  quality?: SweepQuality;
}

/** A sweep ready to run: its folder (with the points' experiment files) and its sweep.json-to-be, done points marked. */
export interface SweepPlan {
  dir: string;
  sweep: SweepFile;
}

/** JSON with sorted keys, so that the sweep's hash does not depend on the order of the file's fields. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The executor that picks up the points an earlier process handed over, when its kind lets them run on without that process. */
function followerFor(sweep: SweepFile): DetachableExecutor | undefined {
  return sweep.executor.kind === 'slurm' ? SlurmExecutor.fromRecord(sweep.executor) : undefined;
}

function detachable(executor: Executor): DetachableExecutor {
  if (!isDetachable(executor)) throw new SweepError(`the ${executor.kind} executor cannot detach: its points run only as long as this process`);
  return executor;
}

const perLayerSum = (rows: number[][]): number[] => rows.reduce((sum, row) => sum.map((v, i) => v + (row[i] ?? 0)));

/** What a point's run folder holds over the tasks it trained (from `fromTask`), or null before its first task. */
export function pointResult(runDir: string, fromTask: number, stlByTasks: number[], inputDim: number | undefined): SweepPointResult | null {
  if (!RunFolder.isRun(runDir)) return null;
  const s = RunFolder.open(runDir).readSummary();
  if (!s || s.tasks.length < fromTask) return null;
  const own = s.tasks.slice(fromTask - 1);
  const stl = stlByTasks[s.tasks.length - 1];
  return {
    tasks: s.tasks.length,
    acc: s.acc,
    auroc: s.aurocMetrics.acc,
    bwt: s.bwt,
    accuracyRows: s.accuracy.slice(fromTask - 1),
    aurocRows: s.auroc.slice(fromTask - 1),
    params: s.params.total,
    nonZeroParams: s.params.nonZero,
    stlPercent: stl ? (100 * s.params.total) / stl : null,
    units: s.units,
    added: perLayerSum(own.map((t) => t.added)),
    pruned: perLayerSum(own.map((t) => t.pruned)),
    split: perLayerSum(own.map((t) => t.split)),
    seconds: own.reduce((sum, t) => sum + t.seconds, 0),
    validationAcc: s.validation?.acc ?? null,
    validationAuroc: s.validation?.meanAuroc ?? null,
    // mechanismsOf reads the tasks after the first it is given: those this point trained
    mechanisms: mechanismsOf(taskMechanisms(s).slice(Math.max(0, fromTask - 2)), inputDim ?? NaN),
  };
}

/** Waits until the processes of points that an earlier, killed sweep process left running are gone. */
async function waitForEarlierPoints(previous: SweepFile, timeoutMs = 60000): Promise<void> {
  const pids = previous.points.filter((p) => p.status === 'running' && p.pid !== null).map((p) => p.pid!);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(isAlive);
    if (!alive.length) return;
    if (Date.now() > deadline) throw new SweepError(`points of an earlier run of this sweep are still training (process ${alive.join(', ')}); wait for them or stop them first`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Checks everything (grid syntax, fields, values against the schema, every point's experiment,
 * the data, the base run) and prepares the sweep folder. Nothing is trained. Throws SweepError,
 * ExperimentError, DataError or RunError, each naming the option, field or folder.
 */
export async function planSweep(req: SweepRequest): Promise<SweepPlan> {
  const axes = parseGrid(req.grid);
  const maxPoints = req.maxPoints ?? DEFAULT_MAX_POINTS;
  const size = gridSize(axes);
  if (size > maxPoints) throw new SweepError(`the grid has ${size} points, more than --max-points ${maxPoints}; remove values or raise --max-points`);
  if (req.task !== undefined && req.from === undefined) throw new SweepError('--task needs --from <run>: the run whose checkpoint the points start from');
  if (req.from !== undefined && req.task === undefined) throw new SweepError('--from needs --task t: the task every point retrains, from the checkpoint after task t − 1');

  const loaded = loadExperiment(req.experimentFile);
  const { $schema: _schema, ...rest } = withAbsolutePaths(loaded.experiment, loaded.dir) as Experiment & { $schema?: string };
  const exp = rest;
  checkAxes(exp, axes);
  const grid = gridPoints(axes);
  const experiments = grid.map((point) => validateExperiment(withValues(exp, point), `--grid point ${Object.entries(point).map(([f, v]) => `${f}=${formatValue(v)}`).join(' ')}`));
  const tasks = prepareTasks(exp, loaded.dir);
  const stlByTasks = tasks.map((_, t) => stlParams(exp.network.hidden, tasks[0].train.features, tasks.slice(0, t + 1).map((k) => k.outputs)));

  let base: SweepFile['base'] = null;
  if (req.from !== undefined) {
    const { parent } = openParent(req.from, exp, tasks.length, req.task, loaded.file);
    base = { run: parent.dir, task: req.task! };
  }
  const fromTask = base?.task ?? 1;
  const untilTask = base ? base.task - 1 + (req.tasks ?? 1) : req.tasks ?? tasks.length;
  if (untilTask > tasks.length) throw new SweepError(`--tasks ${req.tasks}: the points would train tasks ${fromTask}..${untilTask}, but the stream has ${tasks.length}`);

  const hash = crypto.createHash('sha256').update(canonical({ experiment: exp, grid: axes, base, untilTask })).digest('hex').slice(0, 8);
  const dir = path.resolve(req.out ?? path.join(loaded.dir, 'sweeps'), `${exp.name.replace(/[^A-Za-z0-9._-]+/g, '-')}-sweep-${hash}`);
  const previous = readSweep(dir);
  if (previous) {
    if (previous.id !== hash) throw new SweepError(`${dir}: holds another sweep (id ${previous.id}); choose another --out`);
    const follower = liveFollower(previous);
    if (follower !== null && follower !== process.pid) {
      throw new SweepError(`${dir}: this sweep is already running (process ${follower}); stop it or wait for it`);
    }
    const still = previous.state === 'running' ? await stillQueued(dir) : null;
    if (still) throw new SweepError(`${dir}: ${still}; follow it with den-lab sweep --status ${dir} --wait, or stop it with --cancel`);
    await waitForEarlierPoints(previous);
  }

  const now = new Date().toISOString();
  // chosen on the validation parts when there are any: picking thresholds by test scores overfits the test
  const metric = exp.tasks.type === 'one-vs-rest' ? 'Auroc' : 'Acc';
  const quality = req.quality ?? (exp.data.validationFraction > 0 ? (`validation${metric}` as const) : metric === 'Auroc' ? 'auroc' : 'acc');
  const points: SweepPoint[] = grid.map((values, i) => {
    const id = pointId(i, grid.length, values);
    const experiment = `points/${id}.den.json`;
    const run = `runs/${id}`;
    writeJsonAtomic(path.join(dir, experiment), experiments[i]);
    const result = pointResult(path.join(dir, run), fromTask, stlByTasks, tasks[0].train.features);
    const before = previous?.points.find((p) => p.id === id);
    return {
      id,
      values,
      experiment,
      run,
      log: `logs/${id}.log`,
      args: ['train', experiment, '--into', run, ...(base ? ['--from', base.run, '--task', String(base.task)] : []), '--until', String(untilTask)],
      status: result && result.tasks >= untilTask ? 'done' : 'pending',
      message: null,
      started: before?.started ?? null,
      ended: before?.ended ?? null,
      pid: null,
      job: before?.job ?? null,
      result,
      pareto: false,
    };
  });
  fs.mkdirSync(path.join(dir, 'runs'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const sweep: SweepFile = {
    format: 'den-lab-sweep',
    formatVersion: 1,
    id: hash,
    name: exp.name,
    experimentFile: loaded.file,
    created: previous?.created ?? now,
    updated: now,
    grid: axes,
    base,
    fromTask,
    untilTask,
    quality,
    // set by runSweep, which writes the file
    executor: { kind: 'local', jobs: 1 },
    state: 'running',
    pid: process.pid,
    host: os.hostname(),
    stlParams: stlByTasks[untilTask - 1],
    stlParamsByTasks: stlByTasks,
    inputDim: tasks[0].train.features,
    front: [],
    points,
  };
  return { dir, sweep };
}

/** Marks the Pareto front of the done points. */
export function markFront(sweep: SweepFile): void {
  const done = sweep.points.filter((p) => p.status === 'done' && p.result);
  sweep.front = paretoFront(done.map((p) => ({ id: p.id, quality: p.result![sweep.quality] ?? null, params: p.result!.params })));
  for (const p of sweep.points) p.pareto = sweep.front.includes(p.id);
}

/** The latest attempt in a point's log: from its command line (`$ den-lab …`) on; null without a log. */
function latestAttempt(log: string): string | null {
  let text: string;
  try {
    text = fs.readFileSync(log, 'utf8');
  } catch {
    return null;
  }
  return text.slice(text.lastIndexOf('\n$ ') + 1);
}

/** The last `den-lab: …` line of the latest attempt in a point's log: the one-line error of a failed train. */
function lastError(log: string): string | null {
  const lines = (latestAttempt(log) ?? '').split('\n').filter((l) => l.startsWith('den-lab: '));
  return lines.length ? lines[lines.length - 1].slice('den-lab: '.length) : null;
}

/** The last lines of the latest attempt in a point's log, to show with a failure. */
export function logTail(dir: string, point: SweepPoint, lines = 6): string[] {
  return (latestAttempt(path.join(dir, point.log)) ?? '').trimEnd().split('\n').slice(-lines);
}

/** How a point ended, from its run folder first and then from the executor's report. */
function outcome(dir: string, sweep: SweepFile, point: SweepPoint, u: Extract<PointUpdate, { state: 'ended' }>): Pick<SweepPoint, 'status' | 'message' | 'result'> {
  let result: SweepPointResult | null;
  try {
    result = pointResult(path.join(dir, point.run), sweep.fromTask, sweep.stlParamsByTasks ?? [], sweep.inputDim);
  } catch (err) {
    return { status: 'failed', message: (err as Error).message, result: null };
  }
  if (result && result.tasks >= sweep.untilTask) return { status: 'done', message: null, result };
  if (u.cancelled || u.exitCode === 130) return { status: 'cancelled', message: u.message ?? null, result };
  const how = u.signal ? `stopped by ${u.signal}` : u.exitCode === 0 ? `ended before task ${sweep.untilTask} was trained` : `exited with status ${u.exitCode}`;
  // The executor's word (e.g. "Slurm job 12_0 TIMEOUT …") and the point's own error line, whichever there are.
  const said = [u.message, lastError(path.join(dir, point.log))].filter(Boolean).join(': ');
  return { status: 'failed', message: said || how, result };
}

/** What a follower's claim found: it follows the sweep now, the sweep had ended, or another live process follows it. */
export type Claim = { ok: true } | { ok: false; ended: true } | { ok: false; ended: false; follower: number };

/**
 * Keeps sweep.json and the events current as an executor reports on the points. Every write is a
 * read-modify-write under the sweep's lock (sweepLock.ts). The process that runs the sweep, or that
 * has claimed it (its pid in sweep.json), owns it and writes what it sees; any other process (a
 * --status, a --cancel, a follower before its claim) writes only while no live process owns it, and
 * never over a sweep that has ended, whose sweep.json is then final (and is what it reports).
 */
class Tracker {
  private readonly byId: Map<string, SweepPoint>;

  constructor(
    readonly dir: string,
    readonly sweep: SweepFile,
    readonly emit: (e: SweepEvent) => void,
    private owner: boolean,
  ) {
    this.byId = new Map(sweep.points.map((p) => [p.id, p]));
  }

  /** The jobs of these points: `den-lab <args>` in the sweep folder. */
  jobs(points: SweepPoint[]): PointJob[] {
    return points.map((p) => ({ id: p.id, args: p.args, cwd: this.dir, run: p.run, log: path.join(this.dir, p.log) }));
  }

  /** Writes sweep.json as this process sees it, if it may (see the class); `change` first, under the lock. */
  save(change: () => void = () => {}): Claim {
    return withSweepLock(this.dir, () => {
      const onDisk = readSweep(this.dir);
      if (!this.owner && onDisk) {
        if (onDisk.state !== 'running') {
          // Ended by another process meanwhile: its sweep.json is final.
          Object.assign(this.sweep, onDisk);
          return { ok: false, ended: true } as const;
        }
        const follower = liveFollower(onDisk);
        if (follower !== null && follower !== process.pid) return { ok: false, ended: false, follower };
        Object.assign(this.sweep, { pid: onDisk.pid, host: onDisk.host });
      }
      change();
      this.sweep.updated = new Date().toISOString();
      markFront(this.sweep);
      writeJsonAtomic(sweepFile(this.dir), this.sweep);
      return { ok: true };
    });
  }

  /** From now on this process follows the points and keeps sweep.json current: its pid is recorded, unless the sweep has ended or another live process follows it. */
  claim(): Claim {
    if (this.sweep.state !== 'running') return { ok: false, ended: true }; // ended by this process before the claim
    return this.save(() => {
      this.owner = true;
      Object.assign(this.sweep, { pid: process.pid, host: os.hostname() });
    });
  }

  /** This process stops following the points: nobody keeps sweep.json current until the next --status. */
  release(): void {
    if (this.owner) Object.assign(this.sweep, { pid: null, host: null });
    this.save();
    this.owner = false;
  }

  end(state: 'finished' | 'cancelled'): void {
    const saved = this.save(() => Object.assign(this.sweep, { state, pid: null, host: null }));
    // Another live process follows the sweep and records its end; this one reports what it saw.
    if (!saved.ok && !saved.ended) this.sweep.state = state;
  }

  readonly update = (u: PointUpdate): void => {
    const p = this.byId.get(u.id);
    if (!p) return;
    if (u.state === 'running') {
      Object.assign(p, { status: 'running', started: u.time, pid: u.pid, job: u.job ?? null, message: null });
      this.save();
      this.emit({ type: 'point-start', id: p.id, time: u.time, pid: u.pid, job: u.job ?? null });
    } else if (u.state === 'queued') {
      Object.assign(p, { status: 'pending', pid: null, message: u.message });
      this.save();
      this.emit({ type: 'point-queued', id: p.id, time: u.time, message: u.message });
    } else {
      Object.assign(p, { ended: u.time, pid: null, job: u.job ?? p.job }, outcome(this.dir, this.sweep, p, u));
      this.save();
      this.emit({ type: 'point-end', point: structuredClone(p) });
    }
  };
}

export interface SweepRun {
  /** Resolves with sweep.json when every point has ended (or was cancelled), or once detached (state still running). */
  done: Promise<SweepFile>;
  /** Stops the sweep: running points stop at their next step (force: are killed) and no new point starts. */
  cancel(force?: boolean): void;
  /** Only when the points run on without this process (Slurm): stops following them and leaves them running. */
  detach(): void;
}

/** Follows the executor until it has finished: the sweep then ends (finished or cancelled), unless detached. */
function track(tracker: Tracker, executor: Executor): SweepRun {
  const { sweep } = tracker;
  let cancelled = false;
  let detached = false;
  const done = executor.finished().then(() => {
    if (detached && !cancelled) {
      tracker.release();
      return sweep;
    }
    // Cancelled by this process, or a point was (e.g. its Slurm job was scancelled): not every point could end.
    if (sweep.state === 'running') tracker.end(cancelled || sweep.points.some((p) => p.status === 'cancelled') ? 'cancelled' : 'finished');
    tracker.emit({ type: 'sweep-end', dir: tracker.dir, sweep: structuredClone(sweep) });
    return sweep;
  });
  return {
    done,
    cancel(force = false) {
      cancelled = true;
      executor.cancel(force);
      if (!force) return;
      // Killed now: the points' ends will not be heard, so record them as cancelled here.
      for (const p of sweep.points) if (p.status === 'running') Object.assign(p, { status: 'cancelled', pid: null, ended: new Date().toISOString() });
      tracker.end('cancelled');
    },
    detach() {
      detachable(executor).detach();
      detached = true;
    },
  };
}

/**
 * Trains the points that are not done through `executor`, keeping sweep.json current. `detach`: hands
 * them over and returns (done resolves at once, the sweep still running), for an executor whose points
 * run on without this process; `followSweep` picks them up later.
 */
export function runSweep(plan: SweepPlan, executor: Executor, emit: (e: SweepEvent) => void = () => {}, options: { detach?: boolean } = {}): SweepRun {
  const { sweep } = plan;
  if (options.detach) detachable(executor); // refused before anything starts
  const tracker = new Tracker(plan.dir, sweep, emit, true);
  const toRun = sweep.points.filter((p) => p.status !== 'done');
  for (const p of toRun) Object.assign(p, { status: 'pending', message: null, started: null, ended: null, pid: null, job: null });
  // What the executor reports while it starts (local: the first processes) is heard after sweep-start.
  const early: PointUpdate[] = [];
  let started = false;
  executor.start(tracker.jobs(toRun), (u) => (started ? tracker.update(u) : early.push(u)));
  Object.assign(sweep, { state: 'running', executor: executor.record() });
  if (options.detach) tracker.release();
  else tracker.save();
  emit({ type: 'sweep-start', dir: plan.dir, sweep: structuredClone(sweep), toRun: toRun.map((p) => p.id) });
  started = true;
  early.forEach(tracker.update);
  const run = track(tracker, executor);
  if (options.detach) run.detach();
  return run;
}

/** A sweep picked up by followSweep. */
export interface SweepFollow extends SweepRun {
  sweep: SweepFile;
  /** Ids of the points still queued or running when it was picked up. */
  active: string[];
  /**
   * From now on this process follows the points and keeps sweep.json current (its pid is recorded), in
   * one step with reading sweep.json: not when the sweep has ended meanwhile (`sweep` is then its final
   * sweep.json) or another live process follows it.
   */
  claim(): Claim;
}

/** sweep.json of a sweep folder, or a SweepError that says what to give instead. */
export function openSweep(dir: string): SweepFile {
  const sweep = readSweep(dir);
  if (!sweep) throw new SweepError(`${dir}: no sweep.json; give the folder of a sweep (sweeps/<name>-sweep-<id>)`);
  return sweep;
}

/**
 * Picks up a running sweep that no live process follows, e.g. a detached Slurm job array, from its
 * sweep.json: rebuilds the executor from its record, reads where the points are (sweep.json is brought
 * up to date) and goes on following them until detached or they all end. Null when there is nothing to
 * pick up: the sweep has ended, a live process follows it (unless `evenIfFollowed`, to cancel it), or its
 * points cannot outlive their process.
 */
export async function followSweep(dir: string, emit: (e: SweepEvent) => void = () => {}, options: { evenIfFollowed?: boolean } = {}): Promise<SweepFollow | null> {
  const sweep = openSweep(dir);
  const executor = followerFor(sweep);
  if (sweep.state !== 'running' || (liveFollower(sweep) !== null && !options.evenIfFollowed) || !executor) return null;
  const tracker = new Tracker(dir, sweep, emit, false);
  const active = await executor.follow(tracker.jobs(sweep.points), tracker.update);
  return { sweep, active, ...track(tracker, executor), claim: () => tracker.claim() };
}

/** Why an earlier run of this sweep still holds points in its executor's queue, or null. Brings sweep.json up to date. */
async function stillQueued(dir: string): Promise<string | null> {
  const follow = await followSweep(dir);
  if (!follow) return null;
  if (!follow.active.length) {
    await follow.done;
    return null;
  }
  follow.detach();
  await follow.done;
  return `${follow.active.length} of its points are still queued or running (${executorLabel(follow.sweep.executor)})`;
}
