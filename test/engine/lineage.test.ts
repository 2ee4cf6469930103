// Unit lineage through DEN's structural steps (pure, no TF.js): expansion, pruning and split keep
// every surviving unit's index and record, copies point at their originals, copies of copies at
// copies; lineageGroups summarises it per birth task.
import { strict as assert } from 'node:assert';
import { Rng } from '../../src/engine/random';
import { initialState, newHead } from '../../src/engine/network/init';
import { lineageGroups } from '../../src/engine/network/lineage';
import { COPY_UNKNOWN, NOT_A_COPY, NetworkState, checkState } from '../../src/engine/network/state';
import { expandState, pruneDeadUnits, splitState } from '../../src/engine/network/structure';

/** Zeroes the incoming weights of unit c of layer l (the group lasso's result). */
function zeroIncoming(s: NetworkState, l: number, c: number): void {
  const W = s.layers[l].W;
  for (let r = 0; r < W.rows; r++) W.data[r * W.cols + c] = 0;
}

/** Adds `delta` to every incoming weight of unit c of layer l (drift). */
function drift(s: NetworkState, l: number, c: number, delta: number): void {
  const W = s.layers[l].W;
  for (let r = 0; r < W.rows; r++) W.data[r * W.cols + c] += delta;
}

const lineage = (s: NetworkState) => s.layers.map((l) => ({ born: Array.from(l.born), copyOf: Array.from(l.copyOf) }));

/** One DEN task on plain data: expand by k, prune the listed new units, split the listed old units. */
function denTask(s: NetworkState, task: number, k: number[], prune: number[][], split: number[][], rng: Rng): NetworkState {
  const previous = s;
  const oldSizes = s.layers.map((l) => l.b.length);
  let cur: NetworkState = { ...s, heads: [...s.heads, newHead(s.layers[s.layers.length - 1].b.length, 2, rng.fork(`head${task}`))] };
  cur = expandState(cur, task, k, rng.fork(`expand${task}`));
  prune.forEach((units, l) => units.forEach((u) => zeroIncoming(cur, l, oldSizes[l] + u)));
  const pruned = pruneDeadUnits(cur, task, oldSizes, 0);
  assert.deepEqual(pruned.removed, prune.map((units, l) => units.map((u) => oldSizes[l] + u)), `task ${task}: the planted dead units go`);
  cur = pruned.state;
  split.forEach((units, l) => units.forEach((u) => drift(cur, l, u, 0.5)));
  const prevWithHead: NetworkState = { ...previous, heads: cur.heads.slice(0, task - 1) };
  cur = splitState(cur, prevWithHead, task, split);
  checkState(cur);
  return cur;
}

describe('unit lineage', () => {
  it('expansion, pruning and split keep every old unit\'s record; copies name their originals, copies of copies name copies', () => {
    const rng = new Rng(5);
    const s1 = initialState(6, [4, 3], rng.fork('init'));
    s1.heads.push(newHead(3, 2, rng.fork('head1')));
    assert.deepEqual(lineage(s1), [
      { born: [1, 1, 1, 1], copyOf: [-1, -1, -1, -1] },
      { born: [1, 1, 1], copyOf: [-1, -1, -1] },
    ]);
    // task 2: +3/+2, prune new units 1 (layer 1) and 0 (layer 2), split units 0 and 2 of layer 1 and 1 of layer 2
    const s2 = denTask(s1, 2, [3, 2], [[1], [0]], [[0, 2], [1]], rng);
    assert.deepEqual(lineage(s2), [
      { born: [1, 1, 1, 1, 2, 2, 2, 2], copyOf: [-1, -1, -1, -1, -1, -1, 0, 2] },
      { born: [1, 1, 1, 2, 2], copyOf: [-1, -1, -1, -1, 1] },
    ]);
    // task 3: +1/+1, no pruning, split the task-2 copy at index 6 (a copy of unit 0) and the old unit 3 of layer 1
    const s3 = denTask(s2, 3, [1, 1], [[], []], [[3, 6], []], rng);
    assert.deepEqual(lineage(s3), [
      { born: [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3], copyOf: [-1, -1, -1, -1, -1, -1, 0, 2, -1, 3, 6] },
      { born: [1, 1, 1, 2, 2, 3], copyOf: [-1, -1, -1, -1, 1, -1] },
    ]);

    const pruned = [
      [0, 0],
      [1, 1],
      [0, 0],
    ];
    assert.deepEqual(lineageGroups(s3, 3, pruned)[0], [
      { born: 1, units: 4, copies: 0, copiesOf: [], pruned: 0 },
      { born: 2, units: 4, copies: 2, copiesOf: [0, 2], pruned: 1 },
      { born: 3, units: 3, copies: 2, copiesOf: [3, 6], pruned: 0 },
    ]);
    assert.deepEqual(lineageGroups(s3, 3, pruned)[1], [
      { born: 1, units: 3, copies: 0, copiesOf: [], pruned: 0 },
      { born: 2, units: 2, copies: 1, copiesOf: [1], pruned: 1 },
      { born: 3, units: 1, copies: 0, copiesOf: [], pruned: 0 },
    ]);
  });

  it('a task whose every new unit was pruned still shows as a group; an unknown lineage reports copies as unknown', () => {
    const rng = new Rng(6);
    const s1 = initialState(4, [3], rng.fork('init'));
    s1.heads.push(newHead(3, 1, rng.fork('head1')));
    const s2 = denTask(s1, 2, [2], [[0, 1]], [[]], rng);
    assert.deepEqual(lineageGroups(s2, 2, [[0], [2]]), [
      [
        { born: 1, units: 3, copies: 0, copiesOf: [], pruned: 0 },
        { born: 2, units: 0, copies: 0, copiesOf: [], pruned: 2 },
      ],
    ]);
    // as a checkpoint of format 2 loads it: units born after task 1 of unknown origin
    const s3 = denTask(s1, 2, [2], [[]], [[1]], rng);
    s3.layers[0].copyOf = s3.layers[0].born.map((b) => (b > 1 ? COPY_UNKNOWN : NOT_A_COPY));
    checkState(s3);
    assert.deepEqual(lineageGroups(s3, 2, [[0], [0]])[0][1], { born: 2, units: 3, copies: null, copiesOf: null, pruned: 0 });
  });
});
