// A learning method behind one small interface, so that a session runs DEN, its ablations and
// the baselines the same way: same events, run folder, summary and checkpoints.
import type { Experiment, LossKind, MethodName } from '../experiment';
import type { EventSink, StageName } from '../../protocol';
import type { Task } from '../data/tasks';
import { Model, ModelState } from '../network/model';
import { initialState, newHead } from '../network/init';
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
  tauStatistic: number | null;
  expanded: boolean;
  added: number[];
  pruned: number[];
  split: number[];
  maxDrift: number[] | null;
  stages: { stage: StageName; steps: number; samples: number; seconds: number; loss: number | null }[];
  /** λ of an l2 / ewc penalty, if one was used. */
  penalty?: number | null;
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

/** beginTask of every shared-network method: a fresh head for the task on the top layer. */
export function addSharedHead(model: Model, task: Task, exp: Experiment): void {
  const net = model.shared;
  const sizes = net.sizes();
  net.setHead(task.index, newHead(sizes[sizes.length - 1], task.outputs, headRng(exp, task.index)));
}

/** A report with nothing structural to say (the baselines). */
export function plainReport(layers: number): TaskReport {
  return { selectedUnits: null, tauStatistic: null, expanded: false, added: new Array(layers).fill(0), pruned: new Array(layers).fill(0), split: new Array(layers).fill(0), maxDrift: null, stages: [] };
}
