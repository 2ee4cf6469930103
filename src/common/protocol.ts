// Every message that crosses a boundary in DEN Lab, declared once as a schema (valibot) from which
// both the TypeScript types and the runtime checks come: the engine's events (which the CLI, the
// trainer process, the run's event log, the tree and the dashboard all consume), the run files
// read back from disk, the commands between the extension host and the trainer process, and the
// messages between the host and the dashboard webview. protocolGuards.ts checks a value against
// them to the leaf.
//
// Every declared field is checked to the leaf. Compatibility: a field that older runs lack is
// `v.optional`. A field this version does not know (a newer version's) never makes a message or a
// run unreadable: a message keeps only its declared fields (`v.object` drops the others), and
// summary.json read from disk keeps the others as they are (RunSummaryFileSchema), so a newer run
// is shown with what this version knows and exported whole. To add a field, add it here (optional
// if old run files lack it): its type and its check follow.
import * as v from 'valibot';

// ─── Building blocks ──────────────────────────────────────────────────────────────────────────

/** A finite number (JSON has no NaN or Infinity; 1e309 parses to Infinity). */
const num = v.pipe(v.number(), v.finite());
const int = v.pipe(v.number(), v.integer());
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const taskIndex = v.pipe(v.number(), v.integer(), v.minValue(1));
const nums = v.array(num);
const ints = v.array(int);
const optNum = v.nullable(num);

export const BackendInfoSchema = v.object({
  /** 'tensorflow-gpu' and 'tensorflow' are the native @tensorflow/tfjs-node(-gpu) bindings. */
  name: v.picklist(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']),
  /** Version of the package that provides the backend. */
  version: v.string(),
  /** Human-readable detail, e.g. "WebAssembly, SIMD, 2 threads (auto: …), XNNPACK matmul fix". */
  detail: v.string(),
  /** WASM only: the threads its kernels run on (absent in older runs: 1). */
  threads: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});
/** The TensorFlow.js backend a run actually used. */
export type BackendInfo = v.InferOutput<typeof BackendInfoSchema>;

/** The training stages of DEN (and the single stage of the baselines). */
export const StageNameSchema = v.picklist([
  'task1', // first task: everything trains, L1
  'sparse-head', // selective retraining step 1 (Eq. 3): the new head alone, L1
  'subnetwork', // selective retraining step 2 (Eq. 4): the selected subnetwork, drift L2
  'expansion', // new units, L1 + group lasso (Eq. 5)
  'retrain', // the units this task owns, after expansion/split
  'train', // a baseline method's training (finetune, l2, ewc, stl, joint)
]);
export type StageName = v.InferOutput<typeof StageNameSchema>;

/**
 * The parts of a task that are not a training stage, timed by the engine (seconds): the score before
 * training, the frozen features the sparse head trains on, the selection, the τ statistic (whose
 * pass also computes the frozen activations of expansion and retraining), what expansion and
 * retraining compute from the frozen weights beyond that (den/frozenUnits.ts), pruning, drift and
 * split, the evaluation of every task so far, and the checkpoint write.
 */
export const PhaseTimesSchema = v.object({
  'score-before': v.optional(num),
  'head-features': v.optional(num),
  selection: v.optional(num),
  'tau-statistic': v.optional(num),
  'frozen-units': v.optional(num),
  prune: v.optional(num),
  split: v.optional(num),
  evaluation: v.optional(num),
  checkpoint: v.optional(num),
});
export type PhaseName = keyof typeof PhaseTimesSchema.entries;
export type PhaseTimes = v.InferOutput<typeof PhaseTimesSchema>;

/** The loss compared with τ (den.tauStatistic). */
export const TauStatisticSchema = v.picklist(['train', 'validation', 'last-batch']);
export type TauStatistic = v.InferOutput<typeof TauStatisticSchema>;

// ─── Run files ────────────────────────────────────────────────────────────────────────────────

/** Old hidden weights per layer (among the units that existed before the task): how many subnetwork retraining could change, did change, and had. */
export const SubnetworkWeightsSchema = v.object({ allowed: v.array(count), changed: v.array(count), total: v.array(count) });
export type SubnetworkWeights = v.InferOutput<typeof SubnetworkWeightsSchema>;

/** Units of one hidden layer created at one task, as they stand after the task of the record (unit lineage). */
export const LineageGroupSchema = v.object({
  /** The task that created these units (1 = the initial units). */
  born: taskIndex,
  /** Those still in the layer. */
  units: count,
  /** How many of them are split copies; null when unknown (the units come from a checkpoint written before lineage was recorded). */
  copies: v.nullable(count),
  /** The units (0-based indices in the layer) that the copies copy, in the copies' order; null when unknown. */
  copiesOf: v.nullable(v.array(count)),
  /** Units of that task that pruning removed (DEN removes only a task's own new units, in that task). */
  pruned: count,
});
export type LineageGroup = v.InferOutput<typeof LineageGroupSchema>;

/** Per-task record in summary.json; see the README for every field. */
export const TaskSummarySchema = v.object({
  index: taskIndex,
  name: v.string(),
  seconds: num,
  /** Hidden units per layer after this task. */
  units: ints,
  added: ints,
  pruned: ints,
  split: ints,
  expanded: v.boolean(),
  /** Parameters of the whole model after this task (hidden layers + every head at its own width). */
  params: count,
  nonZeroParams: count,
  /** Units per layer that selective retraining chose (null for task 1). */
  selectedUnits: v.nullable(ints),
  /** Inputs with a path to the task's head that selective retraining could change (null for task 1; absent in older runs). */
  selectedInputs: v.optional(v.nullable(count)),
  /** Old hidden weights per layer that subnetwork retraining was allowed to change and did change (absent in older runs). */
  subnetworkWeights: v.optional(v.nullable(SubnetworkWeightsSchema)),
  /** The loss compared with τ, and which statistic it is (null for task 1). */
  tauStatistic: optNum,
  tauStatisticKind: v.nullable(TauStatisticSchema),
  tau: num,
  sigma: num,
  /** Largest drift ρ per layer (null for task 1). */
  maxDrift: v.nullable(nums),
  /** 90th percentile of the old units' drift ρ per layer (null for task 1; absent in older runs). */
  driftP90: v.optional(v.nullable(nums)),
  /** Test accuracy and AUROC of this task right after learning it. */
  accuracy: num,
  auroc: optNum,
  /** `samples`: examples through forward and backward passes (joint: over all its tasks' batches); absent in older runs. */
  stages: v.array(v.object({ stage: StageNameSchema, steps: count, samples: v.optional(count), seconds: num, loss: optNum })),
  /** Seconds of the parts that are not training stages (absent in older runs); `seconds` includes them and the checkpoint write. */
  phases: v.optional(PhaseTimesSchema),
  /** λ of the l2 / ewc penalty this task was trained with (null for the other methods; absent in older runs). */
  penalty: v.optional(optNum),
  /** Unit lineage per hidden layer after this task, by birth task (absent in older runs and for methods with a network per task). */
  lineage: v.optional(v.array(v.array(LineageGroupSchema))),
  /** The DEN hyperparameters this task was trained with (firstTaskMu absent in older runs). */
  hyper: v.object({ tau: num, sigma: num, k: int, mu: num, firstTaskMu: v.optional(num), gamma: v.union([num, nums]), lambda: num, epochs: int, learningRate: num }),
});
export type TaskSummary = v.InferOutput<typeof TaskSummarySchema>;

export const ContinualScoresSchema = v.object({ acc: optNum, bwt: optNum, fwt: optNum, forgetting: optNum });
/** Continual-learning metrics over an R matrix (see README "summary.json"). */
export type ContinualScores = v.InferOutput<typeof ContinualScoresSchema>;

/** Scores on the validation parts: R matrices (null entries for tasks without validation examples) and their ACC and BWT. */
export const ValidationScoresSchema = v.object({
  accuracy: v.array(v.array(optNum)),
  auroc: v.array(v.array(optNum)),
  acc: optNum,
  bwt: optNum,
  /** ACC on the AUROC matrix. */
  meanAuroc: optNum,
});
export type ValidationScores = v.InferOutput<typeof ValidationScoresSchema>;

/** The run folder's summary.json: written when the run is created, rewritten after every completed task. */
export const RunSummarySchema = v.object({
  ...ContinualScoresSchema.entries,
  format: v.literal('den-lab-summary'),
  formatVersion: v.literal(1),
  name: v.string(),
  method: v.string(),
  backend: BackendInfoSchema,
  /** The experiment file the run was started or last continued from (stored relative to the run). */
  experimentFile: v.string(),
  /** "started": no task completed yet; "in-progress": some; "complete": every task of the stream (absent in older runs). */
  status: v.optional(v.picklist(['started', 'in-progress', 'complete'])),
  created: v.string(),
  updated: v.string(),
  /** Names of every task of the stream, trained or not. */
  taskNames: v.array(v.string()),
  tasks: v.array(TaskSummarySchema),
  /** R matrices: row i = after task i + 1, entries for tasks 1..i + 1. */
  accuracy: v.array(nums),
  auroc: v.array(v.array(optNum)),
  /** Score of task i just before it was trained (with its fresh head): R[i−1][i] for FWT. */
  accuracyBefore: v.array(optNum),
  aurocBefore: v.array(optNum),
  /** Score of the randomly initialised model on every task (FWT's baseline b_i). */
  baseline: v.object({ accuracy: nums, auroc: v.array(optNum) }),
  /** acc/bwt/fwt/forgetting on the AUROC matrix (the top level is on accuracy). */
  aurocMetrics: ContinualScoresSchema,
  /**
   * The same R matrices on each task's validation part, for choosing hyperparameters without
   * looking at the test part (absent in older runs).
   */
  validation: v.optional(ValidationScoresSchema),
  /** Average accuracy over the tasks seen so far, after each task (A_k). */
  averageAccuracy: nums,
  params: v.object({ total: count, nonZero: count, sparsity: num }),
  /** Hidden units per layer (stl: summed over its networks). */
  units: ints,
  /** Separate networks in the model: 1, or one per task for stl (absent in older runs: 1). */
  networks: v.optional(count),
  seconds: num,
  /** Set when this run is a branch: the run it came from (stored relative to the run) and the last task it shares with it. */
  branch: v.nullable(v.object({ parent: v.string(), baseTask: count })),
});
export type RunSummary = v.InferOutput<typeof RunSummarySchema>;

/** summary.json as read from disk: the same checks; fields of a newer version are kept, unchecked. */
export const RunSummaryFileSchema = v.looseObject({ ...RunSummarySchema.entries, tasks: v.array(v.looseObject(TaskSummarySchema.entries)) });

// ─── Engine events ────────────────────────────────────────────────────────────────────────────

/** Every engine event; `step` counts steps within the task, across its stages. */
export const DenEventSchema = v.variant('type', [
  v.object({
    type: v.literal('run-start'),
    runDir: v.string(),
    name: v.string(),
    method: v.string(),
    backend: BackendInfoSchema,
    taskNames: v.array(v.string()),
    /** Tasks this invocation will train (1-based, inclusive). */
    fromTask: taskIndex,
    toTask: taskIndex,
    hidden: ints,
    /** ISO time; events.jsonl stamps every line with `time` in ms, which replaces it there. */
    time: v.union([v.string(), num]),
  }),
  v.object({ type: v.literal('task-start'), task: taskIndex, name: v.string(), units: ints }),
  v.object({ type: v.literal('stage-start'), task: taskIndex, stage: StageNameSchema, steps: count, step: count }),
  v.object({ type: v.literal('loss'), task: taskIndex, stage: StageNameSchema, step: count, loss: num }),
  v.object({ type: v.literal('stage-end'), task: taskIndex, stage: StageNameSchema, steps: count, seconds: num, loss: optNum, step: count }),
  v.object({
    type: v.literal('selection'),
    task: taskIndex,
    selected: ints,
    total: ints,
    inputsSelected: count,
    inputsTotal: count,
    /** Old hidden weights per layer that subnetwork retraining may change, of how many (absent in older runs). */
    weightsAllowed: v.optional(v.array(count)),
    weightsTotal: v.optional(v.array(count)),
    /** The task's step count when the selection was made (absent in older runs). */
    step: v.optional(count),
  }),
  v.object({ type: v.literal('tau-test'), task: taskIndex, statistic: TauStatisticSchema, value: num, tau: num, expand: v.boolean(), step: count }),
  v.object({
    type: v.literal('expansion'),
    task: taskIndex,
    added: ints,
    kept: ints,
    pruned: ints,
    /** New units whose incoming weights are all zero but were kept: their constant output feeds units earlier tasks share (absent in older runs). */
    deadKept: v.optional(ints),
    units: ints,
    step: count,
  }),
  v.object({
    type: v.literal('split'),
    task: taskIndex,
    sigma: num,
    /** ρ of every old unit, per layer (index = unit). */
    drift: v.array(nums),
    /** Units that split, per layer. */
    splitUnits: v.array(ints),
    units: ints,
    skipped: v.nullable(v.string()),
    step: count,
  }),
  v.object({ type: v.literal('task-end'), task: taskIndex, summary: TaskSummarySchema, accuracyRow: nums, aurocRow: v.array(optNum) }),
  v.object({ type: v.literal('checkpoint'), task: taskIndex, dir: v.string() }),
  v.object({ type: v.literal('run-end'), runDir: v.string(), seconds: num, completedTasks: count }),
  v.object({ type: v.literal('cancelled'), task: taskIndex, lastCompletedTask: count }),
  v.object({ type: v.literal('error'), message: v.string(), task: v.optional(taskIndex), stage: v.optional(StageNameSchema) }),
  v.object({ type: v.literal('log'), level: v.picklist(['info', 'warn']), message: v.string() }),
]);
export type DenEvent = v.InferOutput<typeof DenEventSchema>;
export type DenEventType = DenEvent['type'];

/** A subscriber to engine events. */
export type EventSink = (event: DenEvent) => void;

// ─── Sweeps: sweep.json and the sweep's events ────────────────────────────────────────────────

/** pending: not trained yet (or to be trained again); running; done: the run has every task the sweep asked for; failed; cancelled. */
export const SweepPointStatusSchema = v.picklist(['pending', 'running', 'done', 'failed', 'cancelled']);
export type SweepPointStatus = v.InferOutput<typeof SweepPointStatusSchema>;

/** The score a sweep's Pareto front maximises: ACC (mean accuracy of the last row of R) or mean AUROC (same row, AUROC), on the test parts or on the validation parts. */
export const SweepQualitySchema = v.picklist(['acc', 'auroc', 'validationAcc', 'validationAuroc']);
export type SweepQuality = v.InferOutput<typeof SweepQualitySchema>;
/** How the tree and the dashboard name a sweep's quality. */
export const SWEEP_QUALITY_LABELS: Record<SweepQuality, string> = {
  acc: 'ACC (test)',
  auroc: 'mean AUROC (test)',
  validationAcc: 'ACC (validation)',
  validationAuroc: 'mean AUROC (validation)',
};

/** A grid value: a number, a per-layer list (den.gamma), or null where the schema allows it. */
const gridValue = v.nullable(v.union([num, nums]));

/** What DEN's mechanisms did over tasks 2..T of a run (see src/engine/mechanisms.ts). */
export const MechanismsSchema = v.object({
  selectedShare: v.nullable(nums),
  inputsShare: optNum,
  allowedShare: optNum,
  changedShare: optNum,
  expandedTasks: count,
  skippedTasks: count,
  added: ints,
  pruned: ints,
  prunedShare: optNum,
  split: ints,
  splitTasks: count,
  maxDrift: optNum,
  p90Drift: optNum,
});

/** What a point's run folder says, over the tasks it has trained so far (read from its summary.json). */
export const SweepPointResultSchema = v.object({
  /** Tasks completed in the run, those shared with the base run included. */
  tasks: count,
  acc: optNum,
  /** Mean AUROC of the last row (the summary's aurocMetrics.acc). */
  auroc: optNum,
  bwt: optNum,
  /** The rows of R that this point trained (task fromTask onwards): accuracy and AUROC. */
  accuracyRows: v.array(nums),
  aurocRows: v.array(v.array(optNum)),
  params: count,
  nonZeroParams: count,
  /** params as a percentage of STL's over the same tasks (one network of the initial size per task). */
  stlPercent: optNum,
  /** Hidden units per layer after the last task. */
  units: ints,
  /** Summed over the tasks this point trained, per layer. */
  added: ints,
  pruned: ints,
  split: ints,
  /** Training time of the tasks this point trained (their summary seconds). */
  seconds: num,
  /** ACC and mean AUROC on the validation parts (null for runs without validation examples or from older versions). */
  validationAcc: v.optional(optNum),
  validationAuroc: v.optional(optNum),
  /** What DEN's mechanisms did over the tasks this point trained (selection, τ, pruning, split, drift). */
  mechanisms: v.optional(v.nullable(MechanismsSchema)),
});
export type SweepPointResult = v.InferOutput<typeof SweepPointResultSchema>;

export const SweepPointSchema = v.object({
  id: v.string(),
  /** The grid values, by field ("den.tau": 0.1; a per-layer list for den.gamma; null where the schema allows it). */
  values: v.record(v.string(), gridValue),
  /** The point's experiment file, run folder and log, relative to the sweep folder. */
  experiment: v.string(),
  run: v.string(),
  log: v.string(),
  /** `den-lab` arguments that train the point, to run in the sweep folder. */
  args: v.array(v.string()),
  status: SweepPointStatusSchema,
  /** failed: the one-line error (the last `den-lab: …` line of the log, or how the process ended). */
  message: v.nullable(v.string()),
  started: v.nullable(v.string()),
  ended: v.nullable(v.string()),
  /** Process id while running on this machine (local executor), else null. */
  pid: v.nullable(int),
  /** The executor's id of the point's latest attempt, for its own tools (Slurm: the array task, e.g. "1234_5", for scancel or sacct); null for local points (absent in older sweeps). */
  job: v.optional(v.nullable(v.string())),
  /** null until the run has completed a task of its own. */
  result: v.nullable(SweepPointResultSchema),
  /** On the Pareto front of the done points (maximise `quality`, minimise params). */
  pareto: v.boolean(),
});
export type SweepPoint = v.InferOutput<typeof SweepPointSchema>;

/** Child processes of the sweep process, `jobs` at a time. */
export const LocalExecutorRecordSchema = v.object({ kind: v.literal('local'), jobs: taskIndex });
export type LocalExecutorRecord = v.InferOutput<typeof LocalExecutorRecordSchema>;

/** A Slurm job array: one array task per point, whose script runs the point's `den-lab` command on a node. */
export const SlurmExecutorRecordSchema = v.object({
  kind: v.literal('slurm'),
  /** Array tasks running at once (sbatch --array=0-N%jobs; without --jobs: every point). */
  jobs: taskIndex,
  /** The job array of the latest submission (null before one), and its tasks: the point ids, index = array task id. */
  jobId: v.nullable(v.string()),
  tasks: v.array(v.string()),
  submitted: v.nullable(v.string()),
  /** The job script, relative to the sweep folder; the array tasks' own Slurm output goes to slurm/<jobId>_<task>.out. */
  script: v.string(),
  /** What the script runs on the nodes; both must be at these paths there (a shared file system). */
  node: v.string(),
  cli: v.string(),
  /** The job's limits: sbatch --partition (null: the cluster's default), --time (null: the partition's), --cpus-per-task, and further sbatch options. */
  partition: v.nullable(v.string()),
  time: v.nullable(v.string()),
  cpus: taskIndex,
  extra: v.array(v.string()),
  /** Seconds between two looks at the queue (squeue, then sacct for tasks that left it). */
  poll: taskIndex,
});
export type SlurmExecutorRecord = v.InferOutput<typeof SlurmExecutorRecordSchema>;

/** How a sweep's points run: sweep.json's `executor`. */
export const SweepExecutorRecordSchema = v.variant('kind', [LocalExecutorRecordSchema, SlurmExecutorRecordSchema]);
export type SweepExecutorRecord = v.InferOutput<typeof SweepExecutorRecordSchema>;

/** A sweep folder's sweep.json, rewritten (atomically) whenever a point starts or ends. */
export const SweepFileSchema = v.object({
  format: v.literal('den-lab-sweep'),
  formatVersion: v.literal(1),
  /** Hash of what the sweep trains (experiment, grid, base, tasks): the folder's name ends with it. */
  id: v.string(),
  name: v.string(),
  experimentFile: v.string(),
  created: v.string(),
  updated: v.string(),
  grid: v.array(v.object({ field: v.string(), values: v.array(gridValue) })),
  /** Points branch from this run's checkpoint after task `task` − 1 and retrain task `task`; null: from scratch. */
  base: v.nullable(v.object({ run: v.string(), task: taskIndex })),
  /** Each point trains tasks fromTask..untilTask. */
  fromTask: taskIndex,
  untilTask: taskIndex,
  quality: SweepQualitySchema,
  executor: SweepExecutorRecordSchema,
  /**
   * running: points are running or queued. `pid` on `host` is the den-lab process that follows them and keeps
   * this file current (the sweep command, or `sweep --status --wait`); null when none does (a detached Slurm
   * sweep: `den-lab sweep --status` refreshes the file). finished: every point ended; cancelled: stopped, or
   * a point was. (`host` is absent in older sweeps, which ran here.)
   */
  state: v.picklist(['running', 'finished', 'cancelled']),
  pid: v.nullable(int),
  host: v.optional(v.nullable(v.string())),
  /** STL's parameters over tasks 1..untilTask. */
  stlParams: count,
  /** STL's parameters over tasks 1..t of the stream, index t − 1, for points that trained some of their tasks (absent in older sweeps). */
  stlParamsByTasks: v.optional(v.array(count)),
  /** Inputs per example of the sweep's tasks (absent in older sweep files). */
  inputDim: v.optional(count),
  /** Ids on the Pareto front, by parameters ascending. */
  front: v.array(v.string()),
  points: v.array(SweepPointSchema),
});
export type SweepFile = v.InferOutput<typeof SweepFileSchema>;

/** What `den-lab sweep --json` prints, one per line. */
export const SweepEventSchema = v.variant('type', [
  v.object({ type: v.literal('sweep-start'), dir: v.string(), sweep: SweepFileSchema, toRun: v.array(v.string()) }),
  /** `pid` on this machine (local), or the executor's `job` (Slurm: "1234_5"). */
  v.object({ type: v.literal('point-start'), id: v.string(), time: v.string(), pid: v.nullable(int), job: v.nullable(v.string()) }),
  /** Waiting in the executor's queue again, and why (Slurm: a requeued or held array task). */
  v.object({ type: v.literal('point-queued'), id: v.string(), time: v.string(), message: v.string() }),
  v.object({ type: v.literal('point-end'), point: SweepPointSchema }),
  v.object({ type: v.literal('sweep-end'), dir: v.string(), sweep: SweepFileSchema }),
  /** `den-lab sweep --status`: the sweep as it is now; `follower`: the live process on this machine that keeps it current, if any. */
  v.object({ type: v.literal('sweep-status'), dir: v.string(), sweep: SweepFileSchema, follower: v.nullable(int) }),
]);
export type SweepEvent = v.InferOutput<typeof SweepEventSchema>;

// ─── Extension host ⇄ trainer process (child_process.fork, IPC) ───────────────────────────────

const logLevel = v.picklist(['info', 'warn', 'error']);

/** What the trainer is asked to do: the engine's TrainRequest without the callbacks. */
export const TrainJobSchema = v.object({
  experimentFile: v.string(),
  runDir: v.optional(v.string()),
  retrainTask: v.optional(taskIndex),
  tasks: v.optional(taskIndex),
  runsDir: v.optional(v.string()),
  backend: v.optional(v.picklist(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'])),
});
export type TrainJob = v.InferOutput<typeof TrainJobSchema>;

export const HostToTrainerSchema = v.variant('type', [
  /** Start a training job; only one at a time. */
  v.object({ type: v.literal('train'), job: TrainJobSchema }),
  /** Stop at the next step; the run stays at its last completed task. */
  v.object({ type: v.literal('cancel') }),
  /** Exit when idle (or after cancelling). */
  v.object({ type: v.literal('shutdown') }),
]);
export type HostToTrainer = v.InferOutput<typeof HostToTrainerSchema>;

export const TrainerToHostSchema = v.variant('type', [
  /** The process is up and listening. */
  v.object({ type: v.literal('ready'), pid: int, node: v.string() }),
  /** An engine event of the running job. */
  v.object({ type: v.literal('event'), event: DenEventSchema }),
  /** The job finished (completed or cancelled). */
  v.object({ type: v.literal('done'), runDir: v.string(), cancelled: v.boolean(), summary: RunSummarySchema }),
  /** The job failed; `name` is the error class (ExperimentError, DataError, NanLossError, …). */
  v.object({ type: v.literal('failed'), name: v.string(), message: v.string() }),
  v.object({ type: v.literal('log'), level: logLevel, message: v.string() }),
]);
export type TrainerToHost = v.InferOutput<typeof TrainerToHostSchema>;

// ─── Extension host ⇄ dashboard webview ───────────────────────────────────────────────────────

/**
 * A run as the webview knows it: an id from the host's index and a label. The webview never sees
 * or sends a path to ask for a run; the host answers only for ids it gave out.
 */
export const RunIdSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,40}$/));
export const RunRefSchema = v.object({
  id: RunIdSchema,
  /** A short label, e.g. "permuted-mnist · 20261125-164605" or "… · branch task 3 · …". */
  label: v.string(),
});
export type RunRef = v.InferOutput<typeof RunRefSchema>;

/** One run as the dashboard shows it: the summary plus the events it charts. */
export const RunSnapshotSchema = v.object({
  ...RunRefSchema.entries,
  summary: v.nullable(RunSummarySchema),
  /** Events from events.jsonl (loss, stage, selection, τ, expansion, split, task-end …). */
  events: v.array(DenEventSchema),
});
export type RunSnapshot = v.InferOutput<typeof RunSnapshotSchema>;

/** The threshold fields the dashboard edits, as they are in the experiment file now. */
export const ThresholdValuesSchema = v.object({ tau: num, sigma: num, k: int, mu: num, gamma: v.union([num, v.pipe(nums, v.nonEmpty())]), lambda: num, epochs: int, learningRate: num });
export type ThresholdValues = v.InferOutput<typeof ThresholdValuesSchema>;
export const THRESHOLD_FIELDS = Object.keys(ThresholdValuesSchema.entries) as (keyof ThresholdValues)[];

export const TrainingStateSchema = v.object({ running: v.boolean(), runId: v.nullable(RunIdSchema), task: v.nullable(taskIndex) });
/** Whether this window trains, which run, which task. */
export type TrainingState = v.InferOutput<typeof TrainingStateSchema>;

const problems = v.array(v.object({ field: v.string(), message: v.string() }));

/** A sweep folder as the webview knows it: an id from the host (like a run's) and a label; never a path. */
export const SweepRefSchema = RunRefSchema;
export type SweepRef = RunRef;
/** A point of a sweep, by its id in sweep.json (e.g. "03-tau0.2-k10"). */
const PointIdSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,160}$/));

/** A unit's strongest outgoing weight: into unit `unit` (0-based) of hidden layer `layer` (1-based), or output `unit` of task `task`'s head. */
export const OutgoingWeightSchema = v.object({ layer: v.nullable(taskIndex), task: v.nullable(taskIndex), unit: count, weight: num });

/**
 * The incoming weights of every unit of one hidden layer in a checkpoint (the Units tab), with their
 * lineage. `weights` is base64 of little-endian float32, unit after unit (units × inputs).
 */
export const UnitWeightsSchema = v.object({
  task: taskIndex,
  /** 1-based hidden layer. */
  layer: taskIndex,
  inputs: v.pipe(count, v.minValue(1), v.maxValue(1_000_000)),
  units: v.pipe(count, v.maxValue(100_000)),
  weights: v.pipe(v.string(), v.regex(/^[A-Za-z0-9+/]*={0,2}$/)),
  /** Largest |w| of the layer: the colour scale. */
  scale: v.pipe(num, v.minValue(0)),
  born: v.array(taskIndex),
  /** Lineage per unit: index of the unit it is a split copy of, −1 none, −2 unknown (see the checkpoint format). */
  copyOf: v.array(v.pipe(int, v.minValue(-2))),
  /** [height, width] when the inputs are the pixels of an image (layer 1 of image data), else null. */
  image: v.nullable(v.tuple([v.pipe(count, v.minValue(1)), v.pipe(count, v.minValue(1))])),
  /** Per task 1..task: the source pixel of each input of a permuted task (input i reads pixel perm[i]), null for other tasks. */
  pixelOrder: v.array(v.nullable(v.array(count))),
  /** Per unit, its three strongest outgoing weights. */
  outgoing: v.array(v.array(OutgoingWeightSchema)),
});
export type UnitWeights = v.InferOutput<typeof UnitWeightsSchema>;

export const HostToWebviewSchema = v.variant('type', [
  /** Everything to draw from scratch: sent after 'ready' (the page says it whenever it is shown) and on selecting a run. */
  v.object({
    type: v.literal('snapshot'),
    runs: v.array(RunRefSchema),
    run: v.nullable(RunSnapshotSchema),
    /** Runs overlaid in the Compare view. */
    compare: v.array(RunSnapshotSchema),
    experimentFile: v.nullable(v.string()),
    thresholds: v.nullable(ThresholdValuesSchema),
    training: TrainingStateSchema,
  }),
  /** New events of a run (live from the trainer, or appended to its log by another process), batched (at most ~10 a second). */
  v.object({ type: v.literal('events'), runId: RunIdSchema, events: v.array(DenEventSchema) }),
  /** The runs of the workspace changed (a run appeared, was deleted or completed a task). */
  v.object({ type: v.literal('runs'), runs: v.array(RunRefSchema) }),
  /** The experiment file changed (typed or saved); `problems` are validation errors. */
  /**
   * The experiment file's thresholds (as written, where the file is invalid), and problems: the file's
   * own (`valid` false: training is refused) or those of a rejected edit (`valid` true).
   */
  v.object({ type: v.literal('thresholds'), experimentFile: v.string(), values: v.nullable(ThresholdValuesSchema), problems, valid: v.boolean() }),
  v.object({ type: v.literal('training'), ...TrainingStateSchema.entries }),
  /**
   * The Sweep tab: the workspace's sweeps and the one shown with its sweep.json (sent on 'ready', on
   * opening a sweep, and whenever its sweep.json changes). `reveal`: switch to the Sweep tab.
   */
  v.object({ type: v.literal('sweep'), sweeps: v.array(SweepRefSchema), shown: v.nullable(v.object({ ...SweepRefSchema.entries, sweep: SweepFileSchema })), reveal: v.boolean() }),
  /** The Units tab: one layer of a run's checkpoint (answer to requestUnits), or why it cannot be shown. */
  v.object({ type: v.literal('units'), runId: RunIdSchema, task: taskIndex, layer: taskIndex, view: v.nullable(UnitWeightsSchema), problem: v.nullable(v.string()) }),
]);
export type HostToWebview = v.InferOutput<typeof HostToWebviewSchema>;

export const WebviewToHostSchema = v.variant('type', [
  v.object({ type: v.literal('ready') }),
  v.object({ type: v.literal('selectRun'), runId: RunIdSchema }),
  v.object({ type: v.literal('compareRuns'), runIds: v.pipe(v.array(RunIdSchema), v.maxLength(16)) }),
  /** Edit one threshold in the experiment file (the host applies it as a WorkspaceEdit). */
  v.object({ type: v.literal('setThreshold'), field: v.picklist(THRESHOLD_FIELDS), value: v.union([num, v.pipe(nums, v.nonEmpty(), v.maxLength(16))]) }),
  v.object({ type: v.literal('trainNext') }),
  v.object({ type: v.literal('retrainTask'), task: taskIndex }),
  /** Save a chart as PNG (a data: URL made by the chart's canvas). */
  v.object({ type: v.literal('savePng'), chart: v.pipe(v.string(), v.regex(/^[\w. -]{1,120}$/)), dataUrl: v.pipe(v.string(), v.startsWith('data:image/png;base64,')) }),
  v.object({ type: v.literal('exportMetrics'), format: v.picklist(['csv', 'json']) }),
  v.object({ type: v.literal('log'), level: logLevel, message: v.pipe(v.string(), v.maxLength(10_000)) }),
  /** Show another sweep in the Sweep tab. */
  v.object({ type: v.literal('selectSweep'), sweepId: RunIdSchema }),
  /** Write a point's values into the experiment file (one undoable WorkspaceEdit); the host reads them from sweep.json. */
  v.object({ type: v.literal('adoptSweepPoint'), sweepId: RunIdSchema, pointId: PointIdSchema }),
  /** Show a point's run folder in the dashboard. */
  v.object({ type: v.literal('openSweepRun'), sweepId: RunIdSchema, pointId: PointIdSchema }),
  /** The incoming weights of a hidden layer of the run's checkpoint after `task` (the Units tab). */
  v.object({ type: v.literal('requestUnits'), runId: RunIdSchema, task: taskIndex, layer: v.pipe(taskIndex, v.maxValue(64)) }),
]);
export type WebviewToHost = v.InferOutput<typeof WebviewToHostSchema>;
