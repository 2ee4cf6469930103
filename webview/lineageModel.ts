// The Lineage chart's data (pure): for one hidden layer, the units of each birth task after every
// completed task (stacked areas), where split copies were made, and which tasks read a group.
import type { LineageGroup, TaskSummary } from '../src/common/protocol';

export interface LineageBand {
  /** The task that created these units. */
  born: number;
  /** Units of the group after task i + 1 (null before the group existed). */
  units: (number | null)[];
  /** Split copies in the group after task i + 1 (null before it existed or when unknown). */
  copies: (number | null)[];
  /** The group as the latest task records it. */
  latest: LineageGroup;
}

export interface LineageModel {
  layers: number;
  /** Completed tasks that record lineage, in order (1..n); empty for runs from before lineage. */
  tasks: number[];
  bands: LineageBand[];
  /** Units of the layer after each task (the top of the stack). */
  totals: number[];
}

/**
 * Lineage of hidden layer `layer` (0-based) over the completed tasks that record it: the last
 * tasks in a row that do (a run trained before lineage and continued since records only its new tasks).
 */
export function lineageModel(tasks: TaskSummary[], layer: number): LineageModel {
  let first = tasks.length;
  while (first > 0 && tasks[first - 1].lineage?.[layer]) first--;
  const recorded = tasks.slice(first);
  const layers = Math.max(0, ...tasks.map((t) => t.lineage?.length ?? 0));
  const borns = [...new Set(recorded.flatMap((t) => t.lineage![layer].map((g) => g.born)))].sort((a, b) => a - b);
  const bands = borns.map((born): LineageBand => {
    const at = recorded.map((t) => t.lineage![layer].find((g) => g.born === born) ?? null);
    return {
      born,
      units: at.map((g) => (g ? g.units : null)),
      copies: at.map((g) => (g ? g.copies : null)),
      latest: at.filter((g): g is LineageGroup => g !== null).pop()!,
    };
  });
  return { layers, tasks: recorded.map((t) => t.index), bands, totals: recorded.map((t) => t.lineage![layer].reduce((a, g) => a + g.units, 0)) };
}

/**
 * Which tasks read the units born at `born`, as of task `last`. Timestamped inference: task i reads
 * the units born at or before i. Without timestamps (den-no-timestamps) every task reads every
 * unit below the top layer; the top layer only as far as the task's head reaches, i.e. the same.
 */
export function readersOf(born: number, last: number, timestamps: boolean, topLayer: boolean): { from: number; to: number } {
  return { from: timestamps || topLayer ? born : 1, to: last };
}
