// Training sessions: start a run, continue it with the next tasks, or retrain a task into a new
// branch. This is the one entry point that the CLI and the trainer process share. A task's
// results reach the disk only when it completes (checkpoint, then summary); a cancellation or an
// error puts the network back to the last completed task and leaves the run folder as it was.
import * as path from 'path';
import { initBackend } from './backend';
import { ThreadsChoice, threadsFromEnv } from './wasmThreadsChoice';
import { buildTasks, Task } from './data/tasks';
import { loadData } from './data/load';
import { scoreTask, scoreTasks } from './evaluate';
import { BackendChoice, Experiment, ExperimentError, MethodName, incompatibilities, loadExperiment, mapDataPaths, validateExperiment, withAbsolutePaths } from './experiment';
import { faultPoint } from './faultPoints';
import { timed } from './phaseTimes';
import { methodOf, TaskReport } from './methods';
import { freshHead, headLoss, initialNetwork } from './methods/method';
import { Model, ModelState, modelParamCounts, modelUnits } from './network/model';
import { lineageGroups } from './network/lineage';
import { Network } from './network/network';
import { loadCheckpoint, saveCheckpoint } from './run/checkpoint';
import { RunError, RunFolder } from './run/runFolder';
import { toRun } from './run/runPaths';
import { addTask, emptySummary, truncateSummary } from './run/summary';
import { CancelledError } from './training';
import type { BackendInfo, DenEvent, EventSink, PhaseTimes, RunSummary, TaskSummary } from '../common/protocol';

export interface TrainRequest {
  experimentFile: string;
  /** Continue this run (or, with retrainTask, branch from it). */
  runDir?: string;
  /** Retrain this task from the checkpoint after the one before it, into a new branch of runDir. */
  retrainTask?: number;
  /** How many tasks to train now (default: all remaining; 1 when retraining). */
  tasks?: number;
  /** Train up to this task instead (nothing to do if the run already has it); overrides `tasks`. */
  until?: number;
  /**
   * The run folder to train in, at exactly this path (a sweep point's): created if absent (with
   * runDir and retrainTask: as that branch), continued if an earlier attempt completed tasks in it.
   */
  into?: string;
  /** Where new runs are created (default: `runs/` next to the experiment file). */
  runsDir?: string;
  /** Overrides the experiment's backend. */
  backend?: BackendChoice;
  /** The WASM backend's threads (default: DEN_LAB_WASM_THREADS, else 'auto'). */
  threads?: ThreadsChoice;
  /** Overrides the experiment's method (a run keeps its method: continuing with another one is refused). */
  method?: MethodName;
  emit?: EventSink;
  signal?: AbortSignal;
}

export interface TrainResult {
  runDir: string;
  summary: RunSummary;
  cancelled: boolean;
}

/** The data and task stream of an experiment. */
export function prepareTasks(exp: Experiment, dir: string): Task[] {
  return buildTasks(exp.tasks, loadData(exp.data, dir), exp.data.seed);
}

/** Scores of the randomly initialised network on every task (FWT's baseline; the same for every method). */
function baselineScores(exp: Experiment, tasks: Task[]): RunSummary['baseline'] {
  const net = new Network(initialNetwork(exp, tasks[0].train.features));
  try {
    const scores = tasks.map((task) => {
      net.setHead(task.index, freshHead(exp, task, exp.network.hidden[exp.network.hidden.length - 1]));
      return scoreTask(net, task.index, task.test, headLoss(exp, task.outputs));
    });
    return { accuracy: scores.map((s) => s.accuracy), auroc: scores.map((s) => s.auroc) };
  } finally {
    net.dispose();
  }
}

/**
 * The run to continue (or to branch from at `retrainTask`), checked against the experiment: the run
 * must have the experiment's method, data, tasks and network, and a task left to train, or the
 * checkpoint a branch starts from. `base`: the tasks the training starts after. With `lock`, the
 * run is locked for writing (continuing it) before it is read, so that no other writer changes it.
 */
export function openParent(runDir: string, exp: Experiment, taskCount: number, retrainTask: number | undefined, experimentFile: string, lock = false) {
  const parent = RunFolder.open(runDir);
  if (lock) parent.lockForWriting();
  try {
    const runExp = validateExperiment(parent.readExperiment(), parent.experimentFile);
    const problems = incompatibilities(runExp, exp, parent.dir);
    if (problems.length) throw new ExperimentError(`${experimentFile}: cannot continue the run: ${problems.join('; ')}`, problems.map((m) => ({ path: m.split(':')[0], message: m })));
    const summary = parent.readSummary();
    const completed = summary?.tasks.length ?? 0;
    // A branch needs the checkpoint after task t − 1: it retrains a completed task or trains the next one.
    if (retrainTask !== undefined && (retrainTask < 1 || retrainTask > Math.min(completed + 1, taskCount))) {
      throw new RunError(`cannot retrain task ${retrainTask}: the run ${parent.dir} has completed tasks 1..${completed} of ${taskCount}; a branch retrains one of them or trains the next`);
    }
    if (retrainTask === undefined && completed >= taskCount) {
      throw new RunError(`the run ${parent.dir} has already trained all ${taskCount} tasks; retrain a task or start a new run`);
    }
    return { parent, summary, base: retrainTask !== undefined ? retrainTask - 1 : completed };
  } catch (err) {
    parent.release();
    throw err;
  }
}

/**
 * Applies `into` and `until`: an earlier attempt's run in `into` that completed tasks is continued
 * (after checking it has the requested origin), and a run that already has task `until` is the
 * result as it is. Returns the request to train, or that result.
 */
function resumeInto(req: TrainRequest, taskCount: number): { request: TrainRequest } | { done: TrainResult } {
  if (req.into !== undefined && req.runDir !== undefined && req.retrainTask === undefined) throw new RunError('a new run folder started from another run needs the task to retrain (--task)');
  if (req.until !== undefined && (req.until > taskCount || req.until < (req.retrainTask ?? 1))) {
    throw new RunError(`until task ${req.until}: must be between ${req.retrainTask ?? 1} and the stream's ${taskCount} tasks`);
  }
  let request = req;
  if (req.into !== undefined && RunFolder.isRun(req.into)) {
    const earlier = RunFolder.open(req.into);
    earlier.checkOrigin(req.runDir === undefined ? null : { dir: req.runDir, baseTask: req.retrainTask! - 1 });
    if (earlier.completedTasks() > 0) request = { ...req, runDir: earlier.dir, retrainTask: undefined, into: undefined };
  }
  if (req.until !== undefined && request.runDir !== undefined && request.retrainTask === undefined) {
    const continued = RunFolder.open(request.runDir);
    const summary = continued.readSummary();
    if (summary && summary.tasks.length >= req.until) return { done: { runDir: continued.dir, summary, cancelled: false } };
  }
  return { request };
}

/**
 * The run to write and the network and summary to start with: a new run or branch is created
 * whole (its summary at 0 tasks of its own, status "started"), a run to continue is locked first.
 * Either way this process holds the run's lock when this returns (release it when done).
 */
function openRun(req: TrainRequest, exp: Experiment, tasks: Task[], backend: BackendInfo, experimentFile: string): { run: RunFolder; state: ModelState; summary: RunSummary; first: number } {
  const initial = (baseline = baselineScores(exp, tasks)) => ({
    state: methodOf(exp.method).initialModel(exp, tasks[0].train.features),
    summary: emptySummary({
      name: exp.name,
      method: exp.method,
      backend,
      experimentFile,
      taskNames: tasks.map((t) => t.name),
      baseline,
      units: exp.network.hidden,
      params: { total: 0, nonZero: 0, sparsity: 0 },
    }),
  });
  if (!req.runDir) {
    if (req.retrainTask !== undefined) throw new RunError('retraining a task needs the run to branch from');
    const { state, summary } = initial();
    const start = { experiment: exp, summary };
    const run = req.into !== undefined ? RunFolder.at(req.into, exp.name, null, start) : RunFolder.create(req.runsDir ?? path.join(path.dirname(experimentFile), 'runs'), exp.name, start);
    return { run, state, summary, first: 1 };
  }
  const branching = req.retrainTask !== undefined;
  const { parent, summary: parentSummary, base } = openParent(req.runDir, exp, tasks.length, req.retrainTask, experimentFile, !branching);
  try {
    let start: { state: ModelState; summary: RunSummary };
    if (base === 0 || !parentSummary) {
      start = initial(parentSummary?.baseline);
      if (parentSummary && !branching) start.summary.created = parentSummary.created;
    } else {
      const { model } = loadCheckpoint(parent.checkpointDir(base));
      start = { state: model, summary: { ...truncateSummary({ ...parentSummary, experimentFile }, base), networks: model.networks.length } };
    }
    if (!branching) return { run: parent, ...start, first: base + 1 };
    start.summary.branch = { parent: parent.dir, baseTask: base };
    const run = parent.createBranch(req.retrainTask!, { experiment: exp, summary: start.summary }, req.into);
    return { run, ...start, first: base + 1 };
  } catch (err) {
    parent.release();
    throw err;
  }
}

function taskRecord(
  task: Task,
  exp: Experiment,
  seconds: number,
  state: ModelState,
  report: TaskReport,
  score: { accuracy: number; auroc: number | null },
  pruned: number[][],
): TaskSummary {
  const counts = modelParamCounts(state);
  const d = exp.den;
  return {
    index: task.index,
    name: task.name,
    seconds,
    units: modelUnits(state),
    added: report.added,
    pruned: report.pruned,
    split: report.split,
    expanded: report.expanded,
    params: counts.total,
    nonZeroParams: counts.nonZero,
    selectedUnits: report.selectedUnits,
    selectedInputs: report.selectedInputs,
    subnetworkWeights: report.subnetworkWeights,
    tauStatistic: report.tauStatistic,
    tauStatisticKind: report.tauStatistic === null ? null : d.tauStatistic,
    tau: d.tau,
    sigma: d.sigma,
    maxDrift: report.maxDrift,
    driftP90: report.driftP90,
    accuracy: score.accuracy,
    auroc: score.auroc,
    stages: report.stages,
    penalty: report.penalty ?? null,
    phases: report.phases,
    // one network carries every task (DEN, progressive's columns); per-task networks have no shared lineage
    // (no key at all then: the record must equal itself read back from summary.json)
    ...(state.routing !== 'per-task' ? { lineage: lineageGroups(state.networks[0], task.index, pruned) } : {}),
    hyper: { tau: d.tau, sigma: d.sigma, k: d.k, mu: d.mu, firstTaskMu: d.firstTaskMu, gamma: d.gamma, lambda: d.lambda, epochs: exp.training.epochs, learningRate: exp.training.learningRate },
  };
}

/** Trains tasks as requested; see TrainRequest. Throws ExperimentError, DataError, RunError, BackendError… on bad input. */
export async function train(req: TrainRequest): Promise<TrainResult> {
  const started = Date.now();
  const loaded = loadExperiment(req.experimentFile);
  const exp = withAbsolutePaths({ ...loaded.experiment, method: req.method ?? loaded.experiment.method }, loaded.dir);
  const backend = await initBackend(req.backend ?? exp.backend, req.threads ?? threadsFromEnv());
  const tasks = prepareTasks(exp, loaded.dir);
  const resumed = resumeInto(req, tasks.length);
  if ('done' in resumed) return resumed.done;
  const opened = openRun(resumed.request, exp, tasks, backend, loaded.file);
  try {
    return await trainTasks(req, exp, tasks, backend, opened, started);
  } finally {
    opened.run.release();
  }
}

/** The tasks of a job, on a run whose lock this process holds. */
async function trainTasks(req: TrainRequest, exp: Experiment, tasks: Task[], backend: BackendInfo, opened: ReturnType<typeof openRun>, started: number): Promise<TrainResult> {
  const { run, state, first } = opened;
  const method = methodOf(exp.method);
  let summary = opened.summary;
  const count = req.until !== undefined ? req.until - first + 1 : req.tasks ?? (req.retrainTask !== undefined ? 1 : tasks.length - first + 1);
  const last = Math.min(tasks.length, first + Math.max(1, count) - 1);
  const emit = (event: DenEvent) => {
    run.appendEvent(event);
    req.emit?.(event);
  };
  run.writeExperiment(exp);
  emit({
    type: 'run-start',
    runDir: run.dir,
    name: exp.name,
    method: exp.method,
    backend,
    taskNames: tasks.map((t) => t.name),
    fromTask: first,
    toTask: last,
    hidden: modelUnits(state),
    time: new Date().toISOString(),
  });

  const model = new Model(state);
  try {
    for (let t = first; t <= last; t++) {
      const task = tasks[t - 1];
      const snapshot = model.toState();
      const taskStart = Date.now();
      try {
        emit({ type: 'task-start', task: t, name: task.name, units: model.sizes() });
        method.beginTask(model, task, exp);
        const phases: PhaseTimes = {};
        const before = timed(phases, 'score-before', () => scoreTask(model, t, task.test, headLoss(exp, task.outputs)));
        const report = await method.learnTask(model, task, { experiment: exp, emit, signal: req.signal, tasks });
        const { scores, validation } = timed(phases, 'evaluation', () => {
          const seen = tasks.slice(0, t);
          const onTest = scoreTasks(model, seen.map((j) => ({ task: j.index, data: j.test, loss: headLoss(exp, j.outputs) })));
          const validated = seen.filter((j) => j.validation.count);
          const onValidation = scoreTasks(model, validated.map((j) => ({ task: j.index, data: j.validation, loss: headLoss(exp, j.outputs) })));
          return {
            scores: onTest,
            validation: seen.map((j) => (j.validation.count ? onValidation[validated.indexOf(j)] : { accuracy: null, auroc: null })),
          };
        });
        const finalState = model.toState();
        const pruned = [...summary.tasks.map((r) => r.pruned), report.pruned];
        const checkpoint = run.ownCheckpointDir(t);
        timed(phases, 'checkpoint', () =>
          saveCheckpoint(checkpoint, finalState, { task: t, name: task.name, method: exp.method }, { 'experiment.json': JSON.stringify(mapDataPaths(exp, (p) => toRun(checkpoint, p)), null, 2) + '\n' }),
        );
        faultPoint('after-checkpoint');
        const record = taskRecord(task, exp, (Date.now() - taskStart) / 1000, finalState, { ...report, phases: { ...report.phases, ...phases } }, scores[t - 1], pruned);
        summary = addTask(summary, record, { accuracy: scores.map((s) => s.accuracy), auroc: scores.map((s) => s.auroc) }, before, backend, {
          accuracy: validation.map((s) => s.accuracy),
          auroc: validation.map((s) => s.auroc),
        });
        summary.networks = finalState.networks.length;
        run.writeSummary(summary);
        emit({ type: 'checkpoint', task: t, dir: checkpoint });
        emit({ type: 'task-end', task: t, summary: record, accuracyRow: summary.accuracy[t - 1], aurocRow: summary.auroc[t - 1] });
      } catch (err) {
        model.setState(snapshot);
        if (err instanceof CancelledError) {
          emit({ type: 'cancelled', task: t, lastCompletedTask: t - 1 });
          return { runDir: run.dir, summary, cancelled: true };
        }
        emit({ type: 'error', message: (err as Error).message, task: t });
        throw err;
      }
    }
  } finally {
    model.dispose();
  }
  emit({ type: 'run-end', runDir: run.dir, seconds: (Date.now() - started) / 1000, completedTasks: summary.tasks.length });
  return { runDir: run.dir, summary, cancelled: false };
}
