// Every message that crosses a boundary in DEN Lab, declared once: the engine's events (which the
// CLI, the trainer process, the run's event log, the tree and the dashboard all consume) and the
// commands the extension host sends to the trainer process.
import type { DenConfig, TauStatistic, TrainingConfig } from './engine/experiment';

/** The TensorFlow.js backend a run actually used. */
export interface BackendInfo {
  /** 'tensorflow-gpu' and 'tensorflow' are the native @tensorflow/tfjs-node(-gpu) bindings. */
  name: 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
  /** Version of the package that provides the backend. */
  version: string;
  /** Human-readable detail, e.g. "WebAssembly, SIMD, 1 thread, XNNPACK matmul fix". */
  detail: string;
}

/** The training stages of DEN (and the single stage of the baselines). */
export type StageName =
  | 'task1' // first task: everything trains, L1
  | 'sparse-head' // selective retraining step 1 (Eq. 3): the new head alone, L1
  | 'subnetwork' // selective retraining step 2 (Eq. 4): the selected subnetwork, drift L2
  | 'expansion' // new units, L1 + group lasso (Eq. 5)
  | 'retrain' // the units this task owns, after expansion/split
  | 'train'; // a baseline method's training (finetune, l2, ewc, stl, joint)

/** Per-task record in summary.json; see the README for every field. */
export interface TaskSummary {
  index: number;
  name: string;
  seconds: number;
  /** Hidden units per layer after this task. */
  units: number[];
  added: number[];
  pruned: number[];
  split: number[];
  expanded: boolean;
  /** Parameters of the whole model after this task (hidden layers + every head at its own width). */
  params: number;
  nonZeroParams: number;
  /** Units per layer that selective retraining chose (null for task 1). */
  selectedUnits: number[] | null;
  /** The loss compared with τ, and which statistic it is (null for task 1). */
  tauStatistic: number | null;
  tauStatisticKind: TauStatistic | null;
  tau: number;
  sigma: number;
  /** Largest drift ρ per layer (null for task 1). */
  maxDrift: number[] | null;
  /** Test accuracy and AUROC of this task right after learning it. */
  accuracy: number;
  auroc: number | null;
  /** `samples`: examples through forward and backward passes (joint: over all its tasks' batches); absent in older runs. */
  stages: { stage: StageName; steps: number; samples?: number; seconds: number; loss: number | null }[];
  /** λ of the l2 / ewc penalty this task was trained with (null for the other methods; absent in older runs). */
  penalty?: number | null;
  /** The DEN hyperparameters this task was trained with. */
  hyper: { tau: number; sigma: number; k: number; mu: number; gamma: number | number[]; lambda: number; epochs: number; learningRate: number };
}

export type DenEvent =
  | {
      type: 'run-start';
      runDir: string;
      name: string;
      method: string;
      backend: BackendInfo;
      taskNames: string[];
      /** Tasks this invocation will train (1-based, inclusive). */
      fromTask: number;
      toTask: number;
      hidden: number[];
      time: string;
    }
  | { type: 'task-start'; task: number; name: string; units: number[] }
  | { type: 'stage-start'; task: number; stage: StageName; steps: number; step: number }
  /** `step` counts steps within the task, across its stages. */
  | { type: 'loss'; task: number; stage: StageName; step: number; loss: number }
  | { type: 'stage-end'; task: number; stage: StageName; steps: number; seconds: number; loss: number | null; step: number }
  | { type: 'selection'; task: number; selected: number[]; total: number[]; inputsSelected: number; inputsTotal: number }
  | { type: 'tau-test'; task: number; statistic: TauStatistic; value: number; tau: number; expand: boolean; step: number }
  | { type: 'expansion'; task: number; added: number[]; kept: number[]; pruned: number[]; units: number[]; step: number }
  | {
      type: 'split';
      task: number;
      sigma: number;
      /** ρ of every old unit, per layer (index = unit). */
      drift: number[][];
      /** Units that split, per layer. */
      splitUnits: number[][];
      units: number[];
      skipped: string | null;
      step: number;
    }
  | { type: 'task-end'; task: number; summary: TaskSummary; accuracyRow: number[]; aurocRow: (number | null)[] }
  | { type: 'checkpoint'; task: number; dir: string }
  | { type: 'run-end'; runDir: string; seconds: number; completedTasks: number }
  | { type: 'cancelled'; task: number; lastCompletedTask: number }
  | { type: 'error'; message: string; task?: number; stage?: StageName }
  | { type: 'log'; level: 'info' | 'warn'; message: string };

export type DenEventType = DenEvent['type'];

/** A subscriber to engine events. */
export type EventSink = (event: DenEvent) => void;

/** Continual-learning metrics over an R matrix (see README "summary.json"). */
export interface ContinualScores {
  acc: number | null;
  bwt: number | null;
  fwt: number | null;
  forgetting: number | null;
}

/** The run folder's summary.json, rewritten after every completed task. */
export interface RunSummary extends ContinualScores {
  format: 'den-lab-summary';
  formatVersion: 1;
  name: string;
  method: string;
  backend: BackendInfo;
  /** The experiment file the run was started or last continued from (stored relative to the run). */
  experimentFile: string;
  /** "started": no task completed yet; "in-progress": some; "complete": every task of the stream (absent in older runs). */
  status?: 'started' | 'in-progress' | 'complete';
  created: string;
  updated: string;
  /** Names of every task of the stream, trained or not. */
  taskNames: string[];
  tasks: TaskSummary[];
  /** R matrices: row i = after task i + 1, entries for tasks 1..i + 1. */
  accuracy: number[][];
  auroc: (number | null)[][];
  /** Score of task i just before it was trained (with its fresh head): R[i−1][i] for FWT. */
  accuracyBefore: (number | null)[];
  aurocBefore: (number | null)[];
  /** Score of the randomly initialised model on every task (FWT's baseline b_i). */
  baseline: { accuracy: number[]; auroc: (number | null)[] };
  /** acc/bwt/fwt/forgetting on the AUROC matrix (the top level is on accuracy). */
  aurocMetrics: ContinualScores;
  /** Average accuracy over the tasks seen so far, after each task (A_k). */
  averageAccuracy: number[];
  params: { total: number; nonZero: number; sparsity: number };
  /** Hidden units per layer (stl: summed over its networks). */
  units: number[];
  /** Separate networks in the model: 1, or one per task for stl (absent in older runs: 1). */
  networks?: number;
  seconds: number;
  /** Set when this run is a branch: the run it came from and the last task it shares with it. */
  branch: { parent: string; baseTask: number } | null;
}

// ─── Extension host ⇄ trainer process (child_process.fork, IPC) ───────────────────────────────

/** What the trainer is asked to do: the engine's TrainRequest without the callbacks. */
export interface TrainJob {
  experimentFile: string;
  runDir?: string;
  retrainTask?: number;
  tasks?: number;
  runsDir?: string;
  backend?: 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
}

export type HostToTrainer =
  /** Start a training job; only one at a time. */
  | { type: 'train'; job: TrainJob }
  /** Stop at the next step; the run stays at its last completed task. */
  | { type: 'cancel' }
  /** Exit when idle (or after cancelling). */
  | { type: 'shutdown' };

export type TrainerToHost =
  /** The process is up and listening. */
  | { type: 'ready'; pid: number; node: string }
  /** An engine event of the running job. */
  | { type: 'event'; event: DenEvent }
  /** The job finished (completed or cancelled). */
  | { type: 'done'; runDir: string; cancelled: boolean; summary: RunSummary }
  /** The job failed; `name` is the error class (ExperimentError, DataError, NanLossError, …). */
  | { type: 'failed'; name: string; message: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

// ─── Extension host ⇄ dashboard webview ───────────────────────────────────────────────────────

/** One run as the dashboard shows it: the summary plus the events it charts. */
export interface RunSnapshot {
  runDir: string;
  /** A short label, e.g. "permuted-mnist · 20261125-164605" or "… / task3 branch". */
  label: string;
  summary: RunSummary | null;
  /** Events from events.jsonl (loss, stage, selection, τ, expansion, split, task-end …). */
  events: DenEvent[];
}

/** The threshold fields the dashboard edits, as they are in the experiment file now. */
export type ThresholdValues = Pick<DenConfig, 'tau' | 'sigma' | 'k' | 'mu' | 'gamma' | 'lambda'> & Pick<TrainingConfig, 'epochs' | 'learningRate'>;

export const THRESHOLD_FIELDS: readonly (keyof ThresholdValues)[] = ['tau', 'sigma', 'k', 'mu', 'gamma', 'lambda', 'epochs', 'learningRate'];

export type HostToWebview =
  /** Everything to draw from scratch: sent after 'ready', on becoming visible, and on selecting a run. */
  | {
      type: 'snapshot';
      runs: { runDir: string; label: string }[];
      run: RunSnapshot | null;
      /** Runs overlaid in the Compare view. */
      compare: RunSnapshot[];
      experimentFile: string | null;
      thresholds: ThresholdValues | null;
      training: { running: boolean; runDir: string | null; task: number | null };
    }
  /** New events of a running training, batched (at most ~10 messages per second). */
  | { type: 'events'; runDir: string; events: DenEvent[] }
  /** The experiment file changed (typed or saved); `problems` are validation errors. */
  | { type: 'thresholds'; experimentFile: string; values: ThresholdValues | null; problems: { field: string; message: string }[] }
  | { type: 'training'; running: boolean; runDir: string | null; task: number | null };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'selectRun'; runDir: string }
  | { type: 'compareRuns'; runDirs: string[] }
  /** Edit one threshold in the experiment file (the host applies it as a WorkspaceEdit). */
  | { type: 'setThreshold'; field: keyof ThresholdValues; value: number | number[] }
  | { type: 'trainNext' }
  | { type: 'retrainTask'; task: number }
  /** Save a chart as PNG (a data: URL made by the chart's canvas). */
  | { type: 'savePng'; chart: string; dataUrl: string }
  | { type: 'exportMetrics'; format: 'csv' | 'json' }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };
