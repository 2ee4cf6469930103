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
  /** The experiment file the run was started or last continued from. */
  experimentFile: string;
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

// ─── Sweeps: sweep.json and the sweep's events ────────────────────────────────────────────────

/** pending: not trained yet (or to be trained again); running; done: the run has every task the sweep asked for; failed; cancelled. */
export type SweepPointStatus = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

/** The score a sweep maximises: ACC (mean accuracy of the last row of R) or mean AUROC (same row, AUROC). */
export type SweepQuality = 'acc' | 'auroc';

/** What a point's run folder says, over the tasks it has trained so far (read from its summary.json). */
export interface SweepPointResult {
  /** Tasks completed in the run, those shared with the base run included. */
  tasks: number;
  acc: number | null;
  /** Mean AUROC of the last row (the summary's aurocMetrics.acc). */
  auroc: number | null;
  bwt: number | null;
  /** The rows of R that this point trained (task fromTask onwards): accuracy and AUROC. */
  accuracyRows: number[][];
  aurocRows: (number | null)[][];
  params: number;
  nonZeroParams: number;
  /** params as a percentage of STL's over the same tasks (one network of the initial size per task). */
  stlPercent: number | null;
  /** Hidden units per layer after the last task. */
  units: number[];
  /** Summed over the tasks this point trained, per layer. */
  added: number[];
  pruned: number[];
  split: number[];
  /** Training time of the tasks this point trained (their summary seconds). */
  seconds: number;
  /** The summary's validation-split scores (every top-level field whose name starts with "validation"), or null. */
  validation: Record<string, unknown> | null;
}

export interface SweepPoint {
  id: string;
  /** The grid values, by field ("den.tau": 0.1; a per-layer list for den.gamma; null where the schema allows it). */
  values: Record<string, number | number[] | null>;
  /** The point's experiment file, run folder and log, relative to the sweep folder. */
  experiment: string;
  run: string;
  log: string;
  /** `den-lab` arguments that train the point, to run in the sweep folder. */
  args: string[];
  status: SweepPointStatus;
  /** failed: the one-line error (the last `den-lab: …` line of the log, or how the process ended). */
  message: string | null;
  started: string | null;
  ended: string | null;
  /** Process id while running on this machine (local executor), else null. */
  pid: number | null;
  /** The executor's id of the point's latest attempt, for its own tools (Slurm: the array task, e.g. "1234_5", for scancel or sacct); null for local points. */
  job: string | null;
  /** null until the run has completed a task of its own. */
  result: SweepPointResult | null;
  /** On the Pareto front of the done points (maximise `quality`, minimise params). */
  pareto: boolean;
}

/** A sweep folder's sweep.json, rewritten (atomically) whenever a point starts or ends. */
export interface SweepFile {
  format: 'den-lab-sweep';
  formatVersion: 1;
  /** Hash of what the sweep trains (experiment, grid, base, tasks): the folder's name ends with it. */
  id: string;
  name: string;
  experimentFile: string;
  created: string;
  updated: string;
  grid: { field: string; values: (number | number[] | null)[] }[];
  /** Points branch from this run's checkpoint after task `task` − 1 and retrain task `task`; null: from scratch. */
  base: { run: string; task: number } | null;
  /** Each point trains tasks fromTask..untilTask. */
  fromTask: number;
  untilTask: number;
  quality: SweepQuality;
  executor: SweepExecutorRecord;
  /**
   * running: points are running or queued. `pid` on `host` is the den-lab process that follows them and keeps
   * this file current (the sweep command, or `sweep --status --wait`); null when none does (a detached Slurm
   * sweep: `den-lab sweep --status` refreshes the file). finished: every point ended; cancelled: stopped.
   */
  state: 'running' | 'finished' | 'cancelled';
  pid: number | null;
  host: string | null;
  /** STL's parameters over tasks 1..untilTask. */
  stlParams: number;
  /** STL's parameters over tasks 1..t of the stream, index t − 1 (for points that have trained some of their tasks). */
  stlParamsByTasks: number[];
  /** Ids on the Pareto front, by parameters ascending. */
  front: string[];
  points: SweepPoint[];
}

/** How a sweep's points run: sweep.json's `executor`. */
export type SweepExecutorRecord = LocalExecutorRecord | SlurmExecutorRecord;

/** Child processes of the sweep process, `jobs` at a time. */
export interface LocalExecutorRecord {
  kind: 'local';
  jobs: number;
}

/** A Slurm job array: one array task per point, whose script runs the point's `den-lab` command on a node. */
export interface SlurmExecutorRecord {
  kind: 'slurm';
  /** Array tasks running at once (sbatch --array=0-N%jobs; without --jobs: every point). */
  jobs: number;
  /** The job array of the latest submission (null before one), and its tasks: the point ids, index = array task id. */
  jobId: string | null;
  tasks: string[];
  submitted: string | null;
  /** The job script, relative to the sweep folder; the array tasks' own Slurm output goes to slurm/<jobId>_<task>.out. */
  script: string;
  /** What the script runs on the nodes; both must be at these paths there (a shared file system). */
  node: string;
  cli: string;
  /** The job's limits: sbatch --partition (null: the cluster's default), --time (null: the partition's), --cpus-per-task, and further sbatch options. */
  partition: string | null;
  time: string | null;
  cpus: number;
  extra: string[];
  /** Seconds between two looks at the queue (squeue, then sacct for tasks that left it). */
  poll: number;
}

/** What `den-lab sweep --json` prints, one per line. */
export type SweepEvent =
  | { type: 'sweep-start'; dir: string; sweep: SweepFile; toRun: string[] }
  | { type: 'point-start'; id: string; time: string; pid: number | null; job: string | null }
  /** Waiting in the executor's queue, with its reason (Slurm: a held or requeued array task). */
  | { type: 'point-queued'; id: string; time: string; message: string }
  | { type: 'point-end'; point: SweepPoint }
  | { type: 'sweep-end'; dir: string; sweep: SweepFile }
  /** `den-lab sweep --status`: the sweep as it is now; `follower`: the live process that keeps it current, if any. */
  | { type: 'sweep-status'; dir: string; sweep: SweepFile; follower: number | null };

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
