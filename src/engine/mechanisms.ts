// What DEN's mechanisms did in a run, read from its summary: per task (selection, τ, growth,
// drift) and over the tasks after the first (shares, counts), so the bench, sweeps and the views
// report them the same way.
import type * as v from 'valibot';
import type { MechanismsSchema, RunSummary } from '../common/protocol';

/** One task's record, with the units it started from (what selection chose from). */
export interface TaskMechanisms {
  unitsBefore: number[];
  selectedUnits: number[] | null;
  selectedInputs: number | null;
  weightsAllowed: number | null;
  weightsChanged: number | null;
  weightsTotal: number | null;
  tauStatistic: number | null;
  expanded: boolean;
  added: number[];
  pruned: number[];
  split: number[];
  maxDrift: number[] | null;
  driftP90: number[] | null;
  accuracy: number;
  auroc: number | null;
}

const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);

/**
 * Per task, from summary.json (null fields for baselines and task 1). `hidden` = the units before
 * task 1 (task 1 selects nothing, so without it its own units stand in).
 */
export function taskMechanisms(s: RunSummary, hidden?: number[]): TaskMechanisms[] {
  return s.tasks.map((t, i) => {
    const sw = t.subnetworkWeights ?? null;
    return {
      unitsBefore: i > 0 ? s.tasks[i - 1].units : (hidden ?? t.units),
      selectedUnits: t.selectedUnits,
      selectedInputs: t.selectedInputs ?? null,
      weightsAllowed: sw ? sum(sw.allowed) : null,
      weightsChanged: sw ? sum(sw.changed) : null,
      weightsTotal: sw ? sum(sw.total) : null,
      tauStatistic: t.tauStatistic,
      expanded: t.expanded,
      added: t.added,
      pruned: t.pruned,
      split: t.split,
      maxDrift: t.maxDrift,
      driftP90: t.driftP90 ?? null,
      accuracy: t.accuracy,
      auroc: t.auroc,
    };
  });
}

/**
 * What the mechanisms did over tasks 2..T (task 1 has no selection, τ test or split): the mean
 * share of the old units per layer and of the inputs that selection chose; the mean share of the
 * old hidden weights that subnetwork retraining was allowed to change and did change; tasks that
 * expanded and tasks the τ test let through; units added, pruned (and their share of the added)
 * and split per layer, and the tasks with a split; the largest ρ, and the mean over tasks of the
 * largest per-layer 90th percentile.
 */
export type Mechanisms = v.InferOutput<typeof MechanismsSchema>;

const mean = (a: number[]): number | null => (a.length ? sum(a) / a.length : null);
const add = (a: number[], b: number[]) => a.map((v, i) => v + (b[i] ?? 0));

export function mechanismsOf(tasks: TaskMechanisms[], inputs: number): Mechanisms {
  const later = tasks.slice(1);
  const L = tasks[0]?.unitsBefore.length ?? 0;
  const selected = later.filter((t) => t.selectedUnits);
  const withWeights = later.filter((t) => t.weightsTotal);
  const added = later.reduce((a, t) => add(a, t.added), new Array(L).fill(0));
  const pruned = later.reduce((a, t) => add(a, t.pruned), new Array(L).fill(0));
  const drifts = later.filter((t) => t.maxDrift);
  return {
    selectedShare: selected.length ? Array.from({ length: L }, (_, l) => mean(selected.map((t) => t.selectedUnits![l] / t.unitsBefore[l]))!) : null,
    inputsShare: mean(selected.filter((t) => t.selectedInputs !== null).map((t) => t.selectedInputs! / inputs)),
    allowedShare: mean(withWeights.map((t) => t.weightsAllowed! / t.weightsTotal!)),
    changedShare: mean(withWeights.map((t) => t.weightsChanged! / t.weightsTotal!)),
    expandedTasks: later.filter((t) => t.expanded).length,
    skippedTasks: later.filter((t) => t.tauStatistic !== null && !t.expanded).length,
    added,
    pruned,
    prunedShare: sum(added) ? sum(pruned) / sum(added) : null,
    split: later.reduce((a, t) => add(a, t.split), new Array(L).fill(0)),
    splitTasks: later.filter((t) => sum(t.split) > 0).length,
    maxDrift: drifts.length ? Math.max(...drifts.flatMap((t) => t.maxDrift!)) : null,
    p90Drift: mean(later.filter((t) => t.driftP90).map((t) => Math.max(...t.driftP90!))),
  };
}
