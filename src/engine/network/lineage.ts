// Unit lineage as summary.json reports it: per hidden layer, the live units grouped by the task
// that created them, how many of each group are split copies and of which units, and how many
// units of that task pruning removed. The per-unit record (born, copyOf) is in the state and its
// checkpoints; this is the view the Runs tree and the dashboard's Lineage chart draw.
import type { LineageGroup } from '../../common/protocol';
import { COPY_UNKNOWN, NetworkState } from './state';

/**
 * Lineage groups of every hidden layer after task `task`.
 * @param pruned units removed per task (row j − 1 = task j) and layer; DEN removes only the units
 *   a task has just added, in that task, so a unit pruned in task j was born in task j.
 */
export function lineageGroups(s: NetworkState, task: number, pruned: number[][]): LineageGroup[][] {
  return s.layers.map((layer, l) => {
    const groups: LineageGroup[] = [];
    for (let j = 1; j <= task; j++) {
      let units = 0;
      let unknown = false;
      const copiesOf: number[] = [];
      for (let u = 0; u < layer.born.length; u++) {
        if (layer.born[u] !== j) continue;
        units++;
        const o = layer.copyOf[u];
        if (o === COPY_UNKNOWN) unknown = true;
        else if (o >= 0) copiesOf.push(o);
      }
      const removed = pruned[j - 1]?.[l] ?? 0;
      if (units === 0 && removed === 0) continue;
      groups.push({ born: j, units, copies: unknown ? null : copiesOf.length, copiesOf: unknown ? null : copiesOf, pruned: removed });
    }
    return groups;
  });
}
