// The dashboard's data: a run folded from its snapshot (summary.json + events.jsonl) and the live
// events that follow. No DOM here, so it is unit-tested in Node (test/webview/model.test.ts).
//
// `applyEvents` appends to the model in place (a task can stream tens of thousands of loss points;
// copying them on every batch would cost more than drawing them) and returns what changed, so the
// charts redraw only what they show.
import { continualMetrics } from '../src/engine/metrics';
import { perLayer } from '../src/common/vocabulary';
import type { ContinualScores, DenEvent, RunSnapshot, RunSummary, StageName, TaskSummary, TrainingState } from '../src/common/protocol';

type EventOf<T extends DenEvent['type']> = Extract<DenEvent, { type: T }>;

/** The loss points of one stage of a task: x = step within the task, y = loss. */
export interface LossSegment {
  stage: StageName;
  x: number[];
  y: number[];
}

export interface StageSpan {
  stage: StageName;
  start: number;
  steps: number;
  /** Step at its end; null while it runs. */
  end: number | null;
  loss: number | null;
}

export type TauTest = Omit<EventOf<'tau-test'>, 'type' | 'task'>;
export type Expansion = Omit<EventOf<'expansion'>, 'type' | 'task'>;
export type Split = Omit<EventOf<'split'>, 'type' | 'task'>;
export type Selection = Omit<EventOf<'selection'>, 'type' | 'task'>;

/** Everything the events tell about one task's training. */
export interface TaskTrace {
  task: number;
  name: string;
  unitsAtStart: number[];
  segments: LossSegment[];
  stages: StageSpan[];
  selection: Selection | null;
  tau: TauTest | null;
  expansion: Expansion | null;
  split: Split | null;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  /** Loss points in all segments. */
  points: number;
}

export interface RunModel {
  /** The run's id in the host's index. */
  id: string;
  label: string;
  summary: RunSummary | null;
  taskNames: string[];
  /** Hidden units per layer before the first task. */
  hidden: number[];
  /** Traces by task number (1-based); a task trained again (after a cancel) starts a new trace. */
  traces: Map<number, TaskTrace>;
  /** Completed tasks: index i = task i + 1 (summary.json, then task-end events). */
  tasks: TaskSummary[];
  /** R matrices, row i = after task i + 1. */
  accuracy: number[][];
  auroc: (number | null)[][];
  /** Task in training, if any. */
  current: number | null;
  /** The last error event's message. */
  error: string | null;
}

/** What a batch of events changed. */
export interface Changes {
  /** Tasks whose loss points, stages or markers changed. */
  traces: Set<number>;
  /** Tasks whose split test (the drifts) changed. */
  splits: Set<number>;
  /** Completed tasks, R rows or run-level fields changed (growth, forgetting, accuracy charts). */
  tasks: boolean;
  /** A task started or ended: the task list and the "current task" changed. */
  taskList: boolean;
}

const noChanges = (): Changes => ({ traces: new Set(), splits: new Set(), tasks: false, taskList: false });

export function emptyRun(id: string, label: string, summary: RunSummary | null = null): RunModel {
  return {
    id,
    label,
    summary,
    taskNames: summary?.taskNames.slice() ?? [],
    // the units before task 1: its units less what it grew (nothing, for DEN), for a snapshot without run-start
    hidden: summary?.tasks[0] ? summary.tasks[0].units.map((u, l) => u - summary.tasks[0].added[l] - summary.tasks[0].split[l] + summary.tasks[0].pruned[l]) : [],
    traces: new Map(),
    tasks: summary?.tasks.slice() ?? [],
    accuracy: summary?.accuracy.map((r) => r.slice()) ?? [],
    auroc: summary?.auroc.map((r) => r.slice()) ?? [],
    current: null,
    error: null,
  };
}

/** A run as its snapshot shows it: the summary, then every recorded event folded in. */
export function runFromSnapshot(snapshot: RunSnapshot): RunModel {
  const model = emptyRun(snapshot.id, snapshot.label, snapshot.summary);
  applyEvents(model, snapshot.events);
  return model;
}

/**
 * Reconciles the model with the host's training state: events.jsonl can end inside a task that is
 * not running any more (a killed process writes no 'cancelled').
 */
export function settle(model: RunModel, training: TrainingState): boolean {
  if (training.running && training.runId === model.id) return false;
  let changed = model.current !== null;
  model.current = null;
  for (const trace of model.traces.values()) {
    if (trace.state === 'running') {
      trace.state = 'cancelled';
      changed = true;
    }
  }
  return changed;
}

function newTrace(task: number, name: string, units: number[]): TaskTrace {
  return { task, name, unitsAtStart: units.slice(), segments: [], stages: [], selection: null, tau: null, expansion: null, split: null, state: 'running', points: 0 };
}

/** The trace of `task`, created on first use (a snapshot may start in the middle of a task). */
function traceOf(model: RunModel, task: number): TaskTrace {
  let trace = model.traces.get(task);
  if (!trace) {
    trace = newTrace(task, model.taskNames[task - 1] ?? `task ${task}`, model.tasks[task - 2]?.units ?? model.hidden);
    model.traces.set(task, trace);
  }
  return trace;
}

/** Folds events into the model (in place) and says what changed. */
export function applyEvents(model: RunModel, events: readonly DenEvent[]): Changes {
  const changes = noChanges();
  for (const e of events) applyEvent(model, e, changes);
  return changes;
}

function applyEvent(model: RunModel, e: DenEvent, changes: Changes): void {
  switch (e.type) {
    case 'run-start':
      // a new invocation: whatever was running before it was interrupted
      for (const trace of model.traces.values()) if (trace.state === 'running') trace.state = 'cancelled';
      model.current = null;
      if (e.taskNames.length) model.taskNames = e.taskNames.slice();
      if (!model.hidden.length || e.fromTask === 1) model.hidden = e.hidden.slice();
      changes.tasks = true;
      return;
    case 'task-start': {
      // the same event twice (in the snapshot's file and in the first live batch)
      if (model.traces.get(e.task)?.state === 'running') return;
      const trace = newTrace(e.task, e.name, e.units);
      model.traces.set(e.task, trace);
      model.current = e.task;
      model.error = null;
      changes.traces.add(e.task);
      changes.taskList = true;
      return;
    }
    case 'stage-start': {
      const trace = traceOf(model, e.task);
      const last = trace.stages[trace.stages.length - 1];
      if (last && last.stage === e.stage && last.start === e.step) return; // seen already
      trace.stages.push({ stage: e.stage, start: e.step, steps: e.steps, end: null, loss: null });
      trace.segments.push({ stage: e.stage, x: [], y: [] });
      changes.traces.add(e.task);
      return;
    }
    case 'loss': {
      const trace = traceOf(model, e.task);
      let segment = trace.segments[trace.segments.length - 1];
      if (!segment || segment.stage !== e.stage) {
        // a loss without its stage-start (a snapshot cut in the middle of a stage)
        segment = { stage: e.stage, x: [], y: [] };
        trace.segments.push(segment);
      } else if (segment.x.length && e.step <= segment.x[segment.x.length - 1]) return; // seen already
      segment.x.push(e.step);
      segment.y.push(e.loss);
      trace.points++;
      changes.traces.add(e.task);
      return;
    }
    case 'stage-end': {
      const trace = traceOf(model, e.task);
      const span = [...trace.stages].reverse().find((s) => s.stage === e.stage && s.end === null);
      if (span) {
        span.end = e.step;
        span.loss = e.loss;
      } else if (!trace.stages.some((s) => s.stage === e.stage && s.end === e.step)) trace.stages.push({ stage: e.stage, start: e.step - e.steps, steps: e.steps, end: e.step, loss: e.loss });
      changes.traces.add(e.task);
      return;
    }
    case 'selection': {
      const { type: _t, task, ...selection } = e;
      traceOf(model, task).selection = selection;
      changes.traces.add(task);
      return;
    }
    case 'tau-test': {
      const { type: _t, task, ...tau } = e;
      traceOf(model, task).tau = tau;
      changes.traces.add(task);
      return;
    }
    case 'expansion': {
      const { type: _t, task, ...expansion } = e;
      traceOf(model, task).expansion = expansion;
      changes.traces.add(task);
      return;
    }
    case 'split': {
      const { type: _t, task, ...split } = e;
      traceOf(model, task).split = split;
      changes.traces.add(task);
      changes.splits.add(task);
      return;
    }
    case 'task-end': {
      const trace = traceOf(model, e.task);
      trace.state = 'done';
      model.tasks[e.task - 1] = e.summary;
      model.accuracy[e.task - 1] = e.accuracyRow.slice();
      model.auroc[e.task - 1] = e.aurocRow.slice();
      // a later row cannot survive a task trained again
      model.tasks.length = model.accuracy.length = model.auroc.length = e.task;
      if (model.current === e.task) model.current = null;
      changes.traces.add(e.task);
      changes.tasks = true;
      changes.taskList = true;
      return;
    }
    case 'cancelled':
    case 'error': {
      const task = e.task ?? model.current;
      if (task !== null && task !== undefined) {
        const trace = model.traces.get(task);
        if (trace && trace.state === 'running') trace.state = e.type === 'cancelled' ? 'cancelled' : 'failed';
        changes.traces.add(task);
      }
      if (e.type === 'error') model.error = e.message;
      model.current = null;
      changes.taskList = true;
      return;
    }
    case 'run-end':
      model.current = null;
      changes.taskList = true;
      return;
    case 'checkpoint':
    case 'log':
      return;
  }
}

/**
 * Tasks the dashboard can show, in order: completed ones and the one training. Cancelled or failed work
 * on a later task is not a task of the run (the tree and the header do not count it either).
 */
export function knownTasks(model: RunModel): number[] {
  const tasks = new Set<number>(model.tasks.map((_, i) => i + 1));
  for (const [t, trace] of model.traces) if (trace.state === 'running' || trace.state === 'done') tasks.add(t);
  return [...tasks].sort((a, b) => a - b);
}

/** The task to show: the chosen one if known, else the one training, else the last. */
export function shownTask(model: RunModel, chosen: number | null): number | null {
  const tasks = knownTasks(model);
  if (chosen !== null && tasks.includes(chosen)) return chosen;
  if (model.current !== null) return model.current;
  return tasks.length ? tasks[tasks.length - 1] : null;
}

export type Score = 'accuracy' | 'auroc';

/** ACC, BWT, FWT and forgetting over the model's R matrix (the engine's own formulas). */
export function scores(model: RunModel, score: Score): ContinualScores {
  const R = score === 'accuracy' ? model.accuracy : model.auroc;
  const s = model.summary;
  const before = (score === 'accuracy' ? s?.accuracyBefore : s?.aurocBefore) ?? [];
  const baseline = (score === 'accuracy' ? s?.baseline.accuracy : s?.baseline.auroc) ?? [];
  const { acc, bwt, fwt, forgetting } = continualMetrics(R, before, baseline);
  return { acc, bwt, fwt, forgetting };
}

/** A_k (the mean score over tasks 1..k after task k), for every completed k. */
export function averageScores(model: RunModel, score: Score): (number | null)[] {
  const R = score === 'accuracy' ? model.accuracy : model.auroc;
  return R.map((row) => {
    const xs = row.filter((v): v is number => typeof v === 'number');
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
  });
}

/** Quality against capacity: after each completed task, the model's parameters and A_k. */
export function capacityCurve(model: RunModel, score: Score): { task: number; params: number; score: number | null }[] {
  const average = averageScores(model, score);
  return model.tasks.map((t, i) => ({ task: t.index, params: t.params, score: average[i] ?? null }));
}

/** Units per layer whose drift ρ is above σ, and which. */
export function unitsAbove(split: Split, sigma: number): { count: number[]; units: number[][] } {
  const units = split.drift.map((layer) => layer.flatMap((rho, unit) => (rho > sigma ? [unit] : [])));
  return { count: units.map((u) => u.length), units };
}

export const DRIFT_BINS = 30;

/** Counts of ρ per bin of [0, hi), per layer (ρ ≥ hi counts in the last bin). */
export function histogram(drift: number[][], hi: number, bins = DRIFT_BINS): { centers: number[]; counts: number[][] } {
  const width = hi / bins;
  const centers = Array.from({ length: bins }, (_, i) => (i + 0.5) * width);
  const counts = drift.map((layer) => {
    const c = new Array<number>(bins).fill(0);
    for (const rho of layer) c[Math.min(bins - 1, Math.max(0, Math.floor(rho / width)))]++;
    return c;
  });
  return { centers, counts };
}

const HYPER_NAMES: Record<string, string> = { tau: 'τ', sigma: 'σ', k: 'k', mu: 'μ', gamma: 'γ', lambda: 'λ', epochs: 'epochs', learningRate: 'lr' };
/** Thresholds only DEN and its ablations use (every run records them). */
const DEN_ONLY = new Set(['tau', 'sigma', 'k', 'mu', 'gamma', 'lambda']);

/** The run's method, from its summary (null before its first task). */
export const methodOf = (run: RunModel): string | null => run.summary?.method ?? null;

/**
 * Run labels with what differs between the compared runs: the method, when they have different
 * ones, and the hyperparameters (DEN's thresholds only for DEN runs), e.g. "… · den, σ 0.02".
 */
export function compareLabels(runs: RunModel[]): string[] {
  const hyper = runs.map((r) => r.tasks[r.tasks.length - 1]?.hyper as Record<string, unknown> | undefined);
  const differing = Object.keys(HYPER_NAMES).filter((k) => new Set(hyper.map((h) => JSON.stringify(h?.[k]))).size > 1);
  const methods = new Set(runs.map(methodOf)).size > 1;
  return runs.map((r, i) => {
    const h = hyper[i];
    const den = (methodOf(r) ?? 'den').startsWith('den');
    const tags = [...(methods ? [methodOf(r) ?? '?'] : []), ...(h ? differing.filter((k) => den || !DEN_ONLY.has(k)).map((k) => `${HYPER_NAMES[k]} ${JSON.stringify(h[k])}`) : [])];
    return tags.length ? `${r.label} · ${tags.join(', ')}` : r.label;
  });
}

/** Markers of the loss chart for one task: the τ test, and where expansion, pruning and splits happened. */
export interface Marker {
  kind: 'selection' | 'tau' | 'expansion' | 'prune' | 'split';
  step: number;
  label: string;
}

export function markersOf(trace: TaskTrace): Marker[] {
  const out: Marker[] = [];
  const sel = trace.selection;
  // older runs record no step: the selection is made just before subnetwork retraining starts
  const selStep = sel?.step ?? trace.stages.find((s) => s.stage === 'subnetwork')?.start;
  if (sel && selStep !== undefined) {
    const weights =
      sel.weightsAllowed && sel.weightsTotal
        ? `, ${Math.round((100 * sel.weightsAllowed.reduce((a, b) => a + b, 0)) / Math.max(1, sel.weightsTotal.reduce((a, b) => a + b, 0)))}% of old weights trainable`
        : '';
    out.push({ kind: 'selection', step: selStep, label: `selected ${sel.selected.map((n, l) => `${n}/${sel.total[l]}`).join(' · ')} units, ${sel.inputsSelected}/${sel.inputsTotal} inputs${weights}` });
  }
  if (trace.tau) {
    const t = trace.tau;
    out.push({ kind: 'tau', step: t.step, label: `${t.statistic} loss ${t.value.toPrecision(3)} ${t.expand ? '>' : '≤'} τ ${t.tau}` });
  }
  if (trace.expansion) {
    const x = trace.expansion;
    if (x.added.some((n) => n > 0)) out.push({ kind: 'expansion', step: x.step, label: `expansion: +${perLayer(x.added, 'new unit')}` });
    if (x.pruned.some((n) => n > 0)) out.push({ kind: 'prune', step: x.step, label: `pruned ${perLayer(x.pruned, 'unit')}` });
  }
  if (trace.split) {
    const counts = trace.split.splitUnits.map((u) => u.length);
    if (counts.some((n) => n > 0)) out.push({ kind: 'split', step: trace.split.step, label: `split ${perLayer(counts, 'unit')}` });
  }
  return out;
}
