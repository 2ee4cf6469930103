// A learning method behind one small interface, so that a session runs DEN, its ablations and
// the baselines the same way: same events, run folder, summary and checkpoints.
import type { Experiment, LossKind, MethodName } from '../experiment';
import type { EventSink, PhaseTimes, StageName, SubnetworkWeights } from '../../common/protocol';
import type { Task } from '../data/tasks';
import { Model, ModelState } from '../network/model';
import { initialState, newHead } from '../network/init';
import { Head, matrix } from '../network/state';
import { Rng } from '../random';

export interface LearnContext {
  experiment: Experiment;
  emit: EventSink;
  signal?: AbortSignal;
}

/** A method's context also has the whole task stream (joint trains on every task seen so far). */
export interface MethodContext extends LearnContext {
  tasks: Task[];
}

/** What the learner did, for the task's summary. Baselines leave the DEN fields empty. */
export interface TaskReport {
  selectedUnits: number[] | null;
  selectedInputs: number | null;
  /** Old hidden weights per layer that subnetwork retraining was allowed to change, changed, and had. */
  subnetworkWeights: SubnetworkWeights | null;
  tauStatistic: number | null;
  expanded: boolean;
  added: number[];
  pruned: number[];
  split: number[];
  maxDrift: number[] | null;
  /** 90th percentile of the old units' drift ρ per layer. */
  driftP90: number[] | null;
  stages: { stage: StageName; steps: number; samples: number; seconds: number; loss: number | null }[];
  /** λ of an l2 / ewc penalty, if one was used. */
  penalty?: number | null;
  /** Seconds of the learner's parts that are not training stages (DEN's selection, τ statistic, …). */
  phases?: PhaseTimes;
}

export interface Method {
  name: MethodName;
  /** The model before task 1 (the same initial weights for every method). */
  initialModel(exp: Experiment, inputDim: number): ModelState;
  /** Adds what task `task` needs before it is scored "before training": its head (stl: its network too). */
  beginTask(model: Model, task: Task, exp: Experiment): void;
  /** Trains the task; the model then serves every task seen so far. */
  learnTask(model: Model, task: Task, ctx: MethodContext): Promise<TaskReport>;
}

/** The loss used by a head: binary heads always use sigmoid BCE. */
export function headLoss(exp: Experiment, outputs: number): LossKind {
  return outputs > 1 ? exp.network.loss : 'sigmoid-bce';
}

/** Seeds shared by every method: the initial weights and each task's fresh head. */
export const initRng = (exp: Experiment) => new Rng(exp.training.seed).fork('init');
export const headRng = (exp: Experiment, task: number) => new Rng(exp.training.seed).fork(`head-${task}`);

/** The initial network of the experiment (every method starts from these weights). */
export function initialNetwork(exp: Experiment, inputDim: number) {
  return initialState(inputDim, exp.network.hidden, initRng(exp));
}

/**
 * The fresh head of task `task` for a top layer of `rows` units: the same random weights for every
 * method on the initial top-layer units (rows beyond them, units a growing network added, start at
 * zero). So every method scores a new task "before training" through the same random head, and FWT
 * compares like with like whatever the network's width.
 */
export function freshHead(exp: Experiment, task: Task, rows: number): Head {
  const base = exp.network.hidden[exp.network.hidden.length - 1];
  const head = newHead(base, task.outputs, headRng(exp, task.index));
  if (rows === base) return head;
  if (rows < base) throw new Error(`task ${task.index}: the top layer has ${rows} units, fewer than the initial ${base}`);
  const W = matrix(rows, task.outputs);
  W.data.set(head.W.data);
  return { W, b: head.b };
}

/** beginTask of every shared-network method: a fresh head for the task on the top layer. */
export function addSharedHead(model: Model, task: Task, exp: Experiment): void {
  const net = model.shared;
  const sizes = net.sizes();
  net.setHead(task.index, freshHead(exp, task, sizes[sizes.length - 1]));
}

/** A report with nothing structural to say (the baselines). */
export function plainReport(layers: number): TaskReport {
  return {
    selectedUnits: null,
    selectedInputs: null,
    subnetworkWeights: null,
    tauStatistic: null,
    expanded: false,
    added: new Array(layers).fill(0),
    pruned: new Array(layers).fill(0),
    split: new Array(layers).fill(0),
    maxDrift: null,
    driftP90: null,
    stages: [],
  };
}
