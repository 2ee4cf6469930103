// The Lineage chart's data (pure): bands per birth task over the tasks, totals, gaps in old runs.
import { strict as assert } from 'node:assert';
import type { LineageGroup, TaskSummary } from '../../src/common/protocol';
import { lineageModel, readersOf } from '../../webview/lineageModel';

const group = (born: number, units: number, copiesOf: number[] | null = [], pruned = 0): LineageGroup => ({ born, units, copies: copiesOf && copiesOf.length, copiesOf, pruned });
/** A task record with only what the lineage model reads. */
const task = (index: number, lineage: LineageGroup[][] | undefined) => ({ index, lineage }) as unknown as TaskSummary;

describe('lineage model', () => {
  it('stacks a band per birth task: null before the task, its units after, totals per task', () => {
    const m = lineageModel(
      [
        task(1, [[group(1, 4)], [group(1, 3)]]),
        task(2, [[group(1, 4), group(2, 3, [1], 2)], [group(1, 3)]]),
        task(3, [[group(1, 4), group(2, 3, [1], 2), group(3, 1, [4])], [group(1, 3), group(3, 2)]]),
      ],
      0,
    );
    assert.equal(m.layers, 2);
    assert.deepEqual(m.tasks, [1, 2, 3]);
    assert.deepEqual(m.totals, [4, 7, 8]);
    assert.deepEqual(m.bands.map((b) => [b.born, b.units, b.copies]), [
      [1, [4, 4, 4], [0, 0, 0]],
      [2, [null, 3, 3], [null, 1, 1]],
      [3, [null, null, 1], [null, null, 1]],
    ]);
    assert.deepEqual(m.bands[1].latest, group(2, 3, [1], 2));
    // layer 2: task 2 created no unit there
    assert.deepEqual(lineageModel([task(1, [[group(1, 4)], [group(1, 3)]]), task(2, [[group(1, 4)], [group(1, 3)]]), task(3, [[group(1, 4)], [group(1, 3), group(3, 2)]])], 1).bands.map((b) => b.born), [1, 3]);
  });

  it('draws the last tasks that record lineage (a run from before lineage, continued since), and nothing for a run from before lineage', () => {
    const m = lineageModel([task(1, [[group(1, 4)]]), task(2, undefined), task(3, [[group(1, 4), group(2, 1, null), group(3, 2)]])], 0);
    assert.deepEqual(m.tasks, [3]);
    assert.deepEqual(m.bands.map((b) => [b.born, b.units, b.copies]), [[1, [4], [0]], [2, [1], [null]], [3, [2], [0]]]);
    const none = lineageModel([task(1, undefined), task(2, undefined)], 0);
    assert.deepEqual([none.tasks, none.bands, none.totals, none.layers], [[], [], [], 0]);
  });

  it('readers: tasks born..last with timestamps; every task for lower layers without them', () => {
    assert.deepEqual(readersOf(3, 7, true, false), { from: 3, to: 7 });
    assert.deepEqual(readersOf(3, 7, false, false), { from: 1, to: 7 });
    assert.deepEqual(readersOf(3, 7, false, true), { from: 3, to: 7 });
  });
});
