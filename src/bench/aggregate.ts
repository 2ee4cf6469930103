// Folds the runs of a suite into one row per method and protocol: mean and spread over the seeds
// of every metric, and what DEN's mechanisms did (selection, τ, pruning, split, drift).
import { METHODS, type MethodName } from '../engine/experiment';
import { Mechanisms, mechanismsOf } from '../engine/mechanisms';
import type { Protocol, RunResult } from './run';

/** Mean and sample standard deviation over seeds (sd null for one seed), with the range. */
export interface Stat {
  mean: number | null;
  sd: number | null;
  min: number | null;
  max: number | null;
  n: number;
}

export function stat(values: (number | null | undefined)[]): Stat {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (!xs.length) return { mean: null, sd: null, min: null, max: null, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : null;
  return { mean, sd, min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** A score over the task sequence, per task: means and spread over the seeds (for the figures). */
export interface Curves {
  /** A_t: the mean score over tasks 1..t after task t. */
  average: Stat[];
  /** Each task's score after the last task (the last row of R). */
  final: Stat[];
  /** Task 1's score after each task (the first column of R): its forgetting curve. */
  first: Stat[];
}

/** The curves of one R matrix per seed (row t = after task t + 1). */
export function curvesOf(matrices: (number | null)[][][]): Curves {
  const T = Math.max(0, ...matrices.map((R) => R.length));
  const tasks = Array.from({ length: T }, (_, t) => t);
  const rowMean = (row: (number | null)[] | undefined) => {
    const xs = (row ?? []).filter((v): v is number => v !== null);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
  };
  return {
    average: tasks.map((t) => stat(matrices.map((R) => rowMean(R[t])))),
    final: tasks.map((j) => stat(matrices.map((R) => R[R.length - 1]?.[j]))),
    first: tasks.map((t) => stat(matrices.map((R) => R[t]?.[0]))),
  };
}

/** One method under one protocol, over its seeds. */
export interface MethodStats {
  method: MethodName;
  protocol: Protocol;
  seeds: number[];
  runs: RunResult[];
  acc: Stat;
  bwt: Stat;
  fwt: Stat;
  forgetting: Stat;
  meanAuroc: Stat;
  validationAcc: Stat;
  validationMeanAuroc: Stat;
  params: Stat;
  paramsPctStl: Stat;
  secondsPerTask: Stat;
  samplesPerSecond: Stat;
  /** Per task, over the seeds: the parameters after it, and the accuracy and AUROC curves. */
  curves: { params: Stat[]; accuracy: Curves; auroc: Curves };
  mechanisms: {
    selectedShare: Stat[] | null;
    inputsShare: Stat;
    allowedShare: Stat;
    changedShare: Stat;
    expandedTasks: Stat;
    skippedTasks: Stat;
    added: Stat[];
    pruned: Stat[];
    prunedShare: Stat;
    split: Stat[];
    splitTasks: Stat;
    maxDrift: Stat;
    p90Drift: Stat;
  };
}

export function methodStats(runs: RunResult[]): MethodStats {
  const m = runs.map((r) => mechanismsOf(r.tasks, r.inputDim));
  const of = (f: (r: RunResult) => number | null) => stat(runs.map(f));
  const mech = (f: (x: Mechanisms) => number | null) => stat(m.map(f));
  const perLayer = (f: (x: Mechanisms) => number[] | null) => {
    const rows = m.map(f).filter((r): r is number[] => r !== null);
    return rows.length ? rows[0].map((_, l) => stat(rows.map((r) => r[l]))) : null;
  };
  return {
    method: runs[0].spec.method,
    protocol: runs[0].spec.protocol,
    seeds: runs.map((r) => r.spec.seed),
    runs,
    acc: of((r) => r.acc),
    bwt: of((r) => r.bwt),
    fwt: of((r) => r.fwt),
    forgetting: of((r) => r.forgetting),
    meanAuroc: of((r) => r.meanAuroc),
    validationAcc: of((r) => r.validationAcc),
    validationMeanAuroc: of((r) => r.validationMeanAuroc),
    params: of((r) => r.params),
    paramsPctStl: of((r) => r.paramsPctStl),
    secondsPerTask: of((r) => r.secondsPerTask),
    samplesPerSecond: of((r) => r.samplesPerSecond),
    curves: {
      params: runs[0].paramsAfterTask.map((_, t) => stat(runs.map((r) => r.paramsAfterTask[t]))),
      accuracy: curvesOf(runs.map((r) => r.accuracy)),
      auroc: curvesOf(runs.map((r) => r.auroc)),
    },
    mechanisms: {
      selectedShare: perLayer((x) => x.selectedShare),
      inputsShare: mech((x) => x.inputsShare),
      allowedShare: mech((x) => x.allowedShare),
      changedShare: mech((x) => x.changedShare),
      expandedTasks: mech((x) => x.expandedTasks),
      skippedTasks: mech((x) => x.skippedTasks),
      added: perLayer((x) => x.added)!,
      pruned: perLayer((x) => x.pruned)!,
      prunedShare: mech((x) => x.prunedShare),
      split: perLayer((x) => x.split)!,
      splitTasks: mech((x) => x.splitTasks),
      maxDrift: mech((x) => x.maxDrift),
      p90Drift: mech((x) => x.p90Drift),
    },
  };
}

/** Groups runs by method and protocol, in the order the methods first appear. */
export function aggregate(runs: RunResult[]): MethodStats[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of runs) {
    const key = `${r.spec.method}|${r.spec.protocol}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  // in the order of METHODS, coupled before decoupled, whatever order the runs came in (e.g. merged from several files)
  const order = (r: RunResult) => METHODS.indexOf(r.spec.method) * 2 + (r.spec.protocol === 'coupled' ? 0 : 1);
  return [...groups.values()].sort((a, b) => order(a[0]) - order(b[0])).map((g) => methodStats(g.sort((a, b) => a.spec.seed - b.spec.seed)));
}
