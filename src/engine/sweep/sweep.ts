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
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic } from '../atomicFile';
import { Experiment, loadExperiment, validateExperiment, withAbsolutePaths } from '../experiment';
import { RunFolder } from '../run/runFolder';
import { isAlive } from '../run/runLock';
import { openParent, prepareTasks } from '../session';
import { stlParams } from '../stlParams';
import { mechanismsOf, taskMechanisms } from '../mechanisms';
import type { RunSummary, SweepEvent, SweepFile, SweepPoint, SweepPointResult, SweepQuality } from '../../protocol';
import { checkSweepFile } from '../../protocolGuards';
import { Executor, PointJob, PointUpdate } from './executor';
import { checkAxes, formatValue, gridPoints, gridSize, parseGrid, pointId, SweepError, withValues } from './grid';
import { paretoFront } from './pareto';

export const DEFAULT_MAX_POINTS = 200;

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
  /** STL's parameters over tasks 1..T, index T − 1. */
  stlByTasks: number[];
  /** The network before task 1 and the inputs per example (for the mechanisms of a point). */
  hidden: number[];
  inputDim: number;
}

export const sweepFile = (dir: string) => path.join(dir, 'sweep.json');

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

/** Reads sweep.json, or undefined if the folder has none. */
export function readSweep(dir: string): SweepFile | undefined {
  const file = sweepFile(dir);
  if (!fs.existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SweepError(`${file}: not a readable DEN Lab sweep (${(err as Error).message})`);
  }
  const checked = checkSweepFile(raw);
  if (!checked.ok) throw new SweepError(`${file}: not a readable DEN Lab sweep (${checked.problem})`);
  return checked.value;
}

const perLayerSum = (rows: number[][]): number[] => rows.reduce((sum, row) => sum.map((v, i) => v + (row[i] ?? 0)));

/** What a point's run folder holds over the tasks it trained (from `fromTask`), or null before its first task. */
export function pointResult(runDir: string, fromTask: number, stlByTasks: number[], hidden: number[], inputDim: number): SweepPointResult | null {
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
    mechanisms: mechanismsOf(taskMechanisms(s, hidden).slice(Math.max(0, fromTask - 2)), inputDim),
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
  const exp = rest as Experiment;
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
    if (previous.state === 'running' && previous.pid !== null && previous.pid !== process.pid && isAlive(previous.pid)) {
      throw new SweepError(`${dir}: this sweep is already running (process ${previous.pid}); stop it or wait for it`);
    }
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
    const result = pointResult(path.join(dir, run), fromTask, stlByTasks, exp.network.hidden, tasks[0].train.features);
    return {
      id,
      values,
      experiment,
      run,
      log: `logs/${id}.log`,
      args: ['train', experiment, '--into', run, ...(base ? ['--from', base.run, '--task', String(base.task)] : []), '--until', String(untilTask)],
      status: result && result.tasks >= untilTask ? 'done' : 'pending',
      message: null,
      started: previous?.points.find((p) => p.id === id)?.started ?? null,
      ended: previous?.points.find((p) => p.id === id)?.ended ?? null,
      pid: null,
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
    stlParams: stlByTasks[untilTask - 1],
    front: [],
    points,
  };
  return { dir, sweep, stlByTasks, hidden: exp.network.hidden, inputDim: tasks[0].train.features };
}

/** Marks the Pareto front of the done points. */
export function markFront(sweep: SweepFile): void {
  const done = sweep.points.filter((p) => p.status === 'done' && p.result);
  sweep.front = paretoFront(done.map((p) => ({ id: p.id, quality: p.result![sweep.quality] ?? null, params: p.result!.params })));
  for (const p of sweep.points) p.pareto = sweep.front.includes(p.id);
}

/** The last `den-lab: …` line of the latest attempt in a point's log: the one-line error of a failed train. */
function lastError(log: string): string | null {
  let text: string;
  try {
    text = fs.readFileSync(log, 'utf8');
  } catch {
    return null;
  }
  const attempt = text.slice(text.lastIndexOf('\n$ ') + 1);
  const lines = attempt.split('\n').filter((l) => l.startsWith('den-lab: '));
  return lines.length ? lines[lines.length - 1].slice('den-lab: '.length) : null;
}

/** How a point ended, from its run folder first and then from the executor's report. */
function outcome(plan: SweepPlan, point: SweepPoint, u: Extract<PointUpdate, { state: 'ended' }>): Pick<SweepPoint, 'status' | 'message' | 'result'> {
  let result: SweepPointResult | null;
  try {
    result = pointResult(path.join(plan.dir, point.run), plan.sweep.fromTask, plan.stlByTasks, plan.hidden, plan.inputDim);
  } catch (err) {
    return { status: 'failed', message: (err as Error).message, result: null };
  }
  if (result && result.tasks >= plan.sweep.untilTask) return { status: 'done', message: null, result };
  if (u.cancelled || u.exitCode === 130) return { status: 'cancelled', message: null, result };
  const how = u.signal ? `stopped by ${u.signal}` : u.exitCode === 0 ? `ended before task ${plan.sweep.untilTask} was trained` : `exited with status ${u.exitCode}`;
  return { status: 'failed', message: u.message ?? lastError(path.join(plan.dir, point.log)) ?? how, result };
}

export interface SweepRun {
  /** Resolves with the final sweep.json when every point has ended (or was cancelled). */
  done: Promise<SweepFile>;
  /** Stops the sweep: running points stop at their next step (force: are killed) and no new point starts. */
  cancel(force?: boolean): void;
}

/** Trains the points that are not done through `executor`, keeping sweep.json current. */
export function runSweep(plan: SweepPlan, executor: Executor, emit: (e: SweepEvent) => void = () => {}): SweepRun {
  const { sweep } = plan;
  const file = sweepFile(plan.dir);
  const save = () => {
    sweep.updated = new Date().toISOString();
    markFront(sweep);
    writeJsonAtomic(file, sweep);
  };
  const toRun = sweep.points.filter((p) => p.status !== 'done');
  for (const p of toRun) Object.assign(p, { status: 'pending', message: null, started: null, ended: null, pid: null });
  Object.assign(sweep, { state: 'running', pid: process.pid, executor: { kind: executor.kind, jobs: executor.jobs } });
  save();
  emit({ type: 'sweep-start', dir: plan.dir, sweep: structuredClone(sweep), toRun: toRun.map((p) => p.id) });

  const byId = new Map(sweep.points.map((p) => [p.id, p]));
  let cancelled = false;
  const jobs: PointJob[] = toRun.map((p) => ({ id: p.id, args: p.args, cwd: plan.dir, log: path.join(plan.dir, p.log) }));
  executor.start(jobs, (u) => {
    const p = byId.get(u.id)!;
    if (u.state === 'running') {
      Object.assign(p, { status: 'running', started: u.time, pid: u.pid });
      save();
      emit({ type: 'point-start', id: p.id, time: u.time, pid: u.pid });
      return;
    }
    Object.assign(p, { ended: u.time, pid: null }, outcome(plan, p, u));
    save();
    emit({ type: 'point-end', point: structuredClone(p) });
  });
  const finish = () => {
    Object.assign(sweep, { state: cancelled ? 'cancelled' : 'finished', pid: null });
    save();
  };
  const done = executor.finished().then(() => {
    finish();
    emit({ type: 'sweep-end', dir: plan.dir, sweep: structuredClone(sweep) });
    return sweep;
  });
  return {
    done,
    cancel(force = false) {
      cancelled = true;
      executor.cancel(force);
      if (!force) return;
      // Killed now: the children's exits will not be heard, so record them as cancelled here.
      for (const p of sweep.points) if (p.status === 'running') Object.assign(p, { status: 'cancelled', pid: null, ended: new Date().toISOString() });
      finish();
    },
  };
}
