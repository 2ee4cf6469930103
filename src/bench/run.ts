// One benchmark run: a suite's experiment with one method, seed and weight-decay protocol, trained
// through the same session as `den-lab train` (into a temporary runs folder). Collects the
// continual-learning metrics, capacity, what each DEN mechanism did per task, time and memory.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendChoice, Experiment, MethodName, loadExperiment, withAbsolutePaths } from '../engine/experiment';
import { prepareTasks, train } from '../engine/session';
import { stlParams } from '../engine/stlParams';
import { TaskMechanisms, taskMechanisms } from '../engine/mechanisms';
import type { RunSummary } from '../common/protocol';
import { TimeBreakdown, timeBreakdown } from './breakdown';

/** How weight decay reaches the weights: through Adam's gradient (the reference code) or decoupled (AdamW). */
export type Protocol = 'coupled' | 'decoupled';

/** What to run: the suite (an experiment file), the method, the seed (data and training) and the protocol. */
export interface RunSpec {
  suite: string;
  method: MethodName;
  seed: number;
  protocol: Protocol;
  quick: boolean;
  backend?: BackendChoice;
}

export interface RunResult {
  spec: RunSpec;
  acc: number | null;
  bwt: number | null;
  fwt: number | null;
  forgetting: number | null;
  /** ACC and BWT on the AUROC matrix. */
  meanAuroc: number | null;
  aurocBwt: number | null;
  /** ACC and mean AUROC on the validation parts (what hyperparameters may be chosen by). */
  validationAcc: number | null;
  validationMeanAuroc: number | null;
  params: number;
  /** params after each task (the figures' capacity axis). */
  paramsAfterTask: number[];
  /** params as a percentage of STL's (one network of the initial sizes per task). */
  paramsPctStl: number;
  units: number[];
  networks: number;
  /** Wall time of the whole run (including scoring and checkpoints), and per task. */
  wallSeconds: number;
  secondsPerTask: number;
  /** Examples through training steps per second of training-stage time. */
  samplesPerSecond: number;
  backend: string;
  /** The commit the run's code came from (`+changes` when src/ had uncommitted edits), null outside a git checkout. */
  code?: string | null;
  memory: { peakRssMB: number; peakHeapMB: number; peakTfMB: number };
  /** tf.memory().numTensors after each task, minus those alive before the run, and the model's own variables. */
  tensorsAfterTask: number[];
  modelTensorsAfterTask: number[];
  /** True when tensors beyond the model's variables grew from task to task (a leak). */
  tensorGrowth: boolean;
  /** The accuracy and AUROC matrices (row i = after task i + 1). */
  accuracy: number[][];
  auroc: (number | null)[][];
  tasks: TaskMechanisms[];
  /** Where the tasks' time went (absent in older result files). */
  timeBreakdown?: TimeBreakdown | null;
  /** Inputs of the suite's tasks (what the selected inputs are a share of). */
  inputDim: number;
}

/** What a suite is, independent of the method: for the report's header. */
export interface SuiteInfo {
  suite: string;
  experimentFile: string;
  taskType: Experiment['tasks']['type'];
  tasks: number;
  hidden: number[];
  loss: string;
  inputDim: number;
  stlParams: number;
}

/** The quick (CI smoke) form of an experiment: a few tasks, few steps, a data subset. */
export function quickExperiment(exp: Experiment): Experiment {
  const t = exp.tasks;
  const tasks =
    t.type === 'permuted'
      ? { ...t, count: Math.min(3, t.count) }
      : t.type === 'one-vs-rest'
        ? { ...t, classes: (t.classes ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).slice(0, 3) }
        : t.type === 'split'
          ? { ...t, groups: t.groups.slice(0, 3) }
          : { ...t, angles: t.angles.slice(0, 3) };
  return {
    ...exp,
    data: { ...exp.data, limit: Math.min(exp.data.limit ?? Infinity, 1500) },
    tasks,
    den: { ...exp.den, sparseHeadSteps: Math.min(exp.den.sparseHeadSteps, 20) },
    baselines: { ...exp.baselines, fisherSamples: Math.min(exp.baselines.fisherSamples, 32) },
    training: { ...exp.training, steps: 8, batchSize: 128, lossEvery: 4 },
  };
}

/** The experiment of a run: the suite's file with the run's seed (data and training), protocol and quick form. */
export function runExperiment(spec: RunSpec): Experiment {
  const loaded = loadExperiment(spec.suite);
  let exp = withAbsolutePaths(loaded.experiment, loaded.dir);
  exp = {
    ...exp,
    method: spec.method,
    data: { ...exp.data, seed: spec.seed },
    training: { ...exp.training, seed: spec.seed, decoupledWeightDecay: spec.protocol === 'decoupled' },
  };
  return spec.quick ? quickExperiment(exp) : exp;
}

/** The suite as a run of `spec` sees it (data paths in the experiment are absolute). */
export function suiteInfo(spec: RunSpec, exp = runExperiment(spec)): SuiteInfo {
  const tasks = prepareTasks(exp, path.dirname(spec.suite));
  return {
    suite: exp.name,
    experimentFile: path.resolve(spec.suite),
    taskType: exp.tasks.type,
    tasks: tasks.length,
    hidden: exp.network.hidden,
    loss: exp.network.loss,
    inputDim: tasks[0].train.features,
    stlParams: stlParams(exp.network.hidden, tasks[0].train.features, tasks.map((t) => t.outputs)),
  };
}

const MB = 1024 * 1024;

/** Trains one run in this process and measures it. */
export async function runOne(spec: RunSpec, log: (line: string) => void): Promise<RunResult> {
  const exp = runExperiment(spec);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'den-bench-'));
  try {
    const file = path.join(work, `${exp.name}.den.json`);
    fs.writeFileSync(file, JSON.stringify(exp, null, 2));
    const info = suiteInfo(spec, exp);
    const before = tf.memory().numTensors;
    const peak = { rss: 0, heap: 0, tf: 0 };
    const sample = () => {
      const m = process.memoryUsage();
      peak.rss = Math.max(peak.rss, m.rss);
      peak.heap = Math.max(peak.heap, m.heapUsed);
      peak.tf = Math.max(peak.tf, tf.memory().numBytes);
    };
    const tensors: number[] = [];
    const modelTensors: number[] = [];
    const start = Date.now();
    const { summary } = await train({
      experimentFile: file,
      runsDir: path.join(work, 'runs'),
      backend: spec.backend,
      emit: (e) => {
        if (e.type === 'loss' || e.type === 'stage-end') sample();
        if (e.type === 'task-end') {
          sample();
          tensors.push(tf.memory().numTensors - before);
          const L = e.summary.units.length;
          // the model's variables: W and b per hidden layer and per head (stl: a network per task)
          modelTensors.push(spec.method === 'stl' ? e.task * (2 * L + 2) : 2 * L + 2 * e.task);
          if (!spec.quick) log(`    ${label(spec)} task ${e.task}/${info.tasks}: accuracy ${e.summary.accuracy.toFixed(4)}, units [${e.summary.units.join(',')}], ${e.summary.seconds.toFixed(1)}s`);
        }
      },
    });
    return runResult(spec, summary, info, exp, (Date.now() - start) / 1000, peak, tensors, modelTensors);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export const label = (s: Pick<RunSpec, 'method' | 'seed' | 'protocol'>) => `${s.method} (seed ${s.seed}, ${s.protocol} wd)`;

function runResult(
  spec: RunSpec,
  s: RunSummary,
  info: SuiteInfo,
  exp: Experiment,
  wall: number,
  peak: { rss: number; heap: number; tf: number },
  tensors: number[],
  modelTensors: number[],
): RunResult {
  const stages = s.tasks.flatMap((t) => t.stages);
  const samples = stages.reduce((a, st) => a + (st.samples ?? 0), 0);
  const seconds = stages.reduce((a, st) => a + st.seconds, 0);
  const extra = tensors.map((n, i) => n - modelTensors[i]);
  return {
    spec,
    acc: s.acc,
    bwt: s.bwt,
    fwt: s.fwt,
    forgetting: s.forgetting,
    meanAuroc: s.aurocMetrics.acc,
    aurocBwt: s.aurocMetrics.bwt,
    validationAcc: s.validation?.acc ?? null,
    validationMeanAuroc: s.validation?.meanAuroc ?? null,
    params: s.params.total,
    paramsAfterTask: s.tasks.map((t) => t.params),
    paramsPctStl: (100 * s.params.total) / info.stlParams,
    units: s.units,
    networks: s.networks ?? 1,
    wallSeconds: wall,
    secondsPerTask: s.seconds / Math.max(1, s.tasks.length),
    samplesPerSecond: seconds > 0 ? samples / seconds : 0,
    backend: `${s.backend.name} ${s.backend.version}`,
    code: codeVersion(),
    memory: { peakRssMB: peak.rss / MB, peakHeapMB: peak.heap / MB, peakTfMB: peak.tf / MB },
    tensorsAfterTask: tensors,
    modelTensorsAfterTask: modelTensors,
    tensorGrowth: extra.some((e) => e > extra[0]),
    accuracy: s.accuracy,
    auroc: s.auroc,
    tasks: taskMechanisms(s, exp.network.hidden),
    timeBreakdown: timeBreakdown(s),
    inputDim: info.inputDim,
  };
}

/** The checkout's commit, so a report that merges runs of several invocations can say which code each ran. */
function codeVersion(): string | null {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: path.resolve(__dirname, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', '--', 'src') ? '+changes' : '');
  } catch {
    return null;
  }
}
