// One benchmark suite: an experiment file run once per method, with the same data, seeds and
// budget, through the same session as `den-lab train` (in this process, into a temporary runs
// folder). Collects the continual-learning metrics, capacity, time, throughput and memory of each.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendChoice, Experiment, MethodName, loadExperiment, withAbsolutePaths } from '../engine/experiment';
import { prepareTasks, train } from '../engine/session';
import { stlParams } from '../engine/stlParams';
import type { RunSummary } from '../protocol';

export interface MethodResult {
  method: MethodName;
  acc: number | null;
  bwt: number | null;
  fwt: number | null;
  forgetting: number | null;
  /** ACC, BWT on the AUROC matrix (mean AUROC over the tasks after the last one). */
  meanAuroc: number | null;
  aurocBwt: number | null;
  params: number;
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
  memory: { peakRssMB: number; peakHeapMB: number; peakTfMB: number };
  /** tf.memory().numTensors after each task, minus those alive before the run, and the model's own variables. */
  tensorsAfterTask: number[];
  modelTensorsAfterTask: number[];
  /** True when tensors beyond the model's variables grew from task to task (a leak). */
  tensorGrowth: boolean;
  /** The accuracy and AUROC matrices (row i = after task i + 1). */
  accuracy: number[][];
  auroc: (number | null)[][];
}

export interface SuiteResult {
  suite: string;
  experimentFile: string;
  date: string;
  quick: boolean;
  taskType: Experiment['tasks']['type'];
  tasks: number;
  hidden: number[];
  loss: string;
  stlParams: number;
  methods: MethodResult[];
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

const localDate = (d = new Date()) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const MB = 1024 * 1024;

export async function runSuite(
  experimentFile: string,
  methods: readonly MethodName[],
  options: { quick: boolean; backend?: BackendChoice; log: (line: string) => void },
): Promise<SuiteResult> {
  const loaded = loadExperiment(experimentFile);
  let exp = withAbsolutePaths(loaded.experiment, loaded.dir);
  if (options.quick) exp = quickExperiment(exp);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'den-bench-'));
  const file = path.join(work, `${exp.name}.den.json`);
  fs.writeFileSync(file, JSON.stringify(exp, null, 2));
  const tasks = prepareTasks(exp, work);
  const stl = stlParams(exp.network.hidden, tasks[0].train.features, tasks.map((t) => t.outputs));
  const result: SuiteResult = {
    suite: exp.name,
    experimentFile: path.resolve(experimentFile),
    date: localDate(),
    quick: options.quick,
    taskType: exp.tasks.type,
    tasks: tasks.length,
    hidden: exp.network.hidden,
    loss: exp.network.loss,
    stlParams: stl,
    methods: [],
  };
  try {
    for (const method of methods) {
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
        method,
        backend: options.backend,
        emit: (e) => {
          if (e.type === 'loss' || e.type === 'stage-end') sample();
          if (e.type === 'task-end') {
            sample();
            tensors.push(tf.memory().numTensors - before);
            const L = e.summary.units.length;
            // the model's variables: W and b per hidden layer and per head (stl: a network per task)
            modelTensors.push(method === 'stl' ? e.task * (2 * L + 2) : 2 * L + 2 * e.task);
            if (!options.quick) options.log(`    ${method} task ${e.task}/${tasks.length}: accuracy ${e.summary.accuracy.toFixed(4)}, units [${e.summary.units.join(',')}], ${e.summary.seconds.toFixed(1)}s`);
          }
        },
      });
      const wall = (Date.now() - start) / 1000;
      const r = methodResult(method, summary, stl, wall, peak, tensors, modelTensors);
      result.methods.push(r);
      options.log(
        `  ${method.padEnd(18)} ACC ${fmt(r.acc)}  BWT ${fmt(r.bwt)}  AUROC ${fmt(r.meanAuroc)}  params ${r.paramsPctStl.toFixed(1)}% of STL  units [${r.units.join(',')}]  ${wall.toFixed(0)}s${r.tensorGrowth ? '  TENSORS GREW' : ''}`,
      );
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return result;
}

const fmt = (v: number | null) => (v === null ? '—' : v.toFixed(4));

function methodResult(
  method: MethodName,
  s: RunSummary,
  stl: number,
  wall: number,
  peak: { rss: number; heap: number; tf: number },
  tensors: number[],
  modelTensors: number[],
): MethodResult {
  const stages = s.tasks.flatMap((t) => t.stages);
  const samples = stages.reduce((a, st) => a + (st.samples ?? 0), 0);
  const seconds = stages.reduce((a, st) => a + st.seconds, 0);
  const extra = tensors.map((n, i) => n - modelTensors[i]);
  return {
    method,
    acc: s.acc,
    bwt: s.bwt,
    fwt: s.fwt,
    forgetting: s.forgetting,
    meanAuroc: s.aurocMetrics.acc,
    aurocBwt: s.aurocMetrics.bwt,
    params: s.params.total,
    paramsPctStl: (100 * s.params.total) / stl,
    units: s.units,
    networks: s.networks ?? 1,
    wallSeconds: wall,
    secondsPerTask: s.seconds / Math.max(1, s.tasks.length),
    samplesPerSecond: seconds > 0 ? samples / seconds : 0,
    backend: `${s.backend.name} ${s.backend.version}`,
    memory: { peakRssMB: peak.rss / MB, peakHeapMB: peak.heap / MB, peakTfMB: peak.tf / MB },
    tensorsAfterTask: tensors,
    modelTensorsAfterTask: modelTensors,
    tensorGrowth: extra.some((e) => e > extra[0]),
    accuracy: s.accuracy,
    auroc: s.auroc,
  };
}
