// Progressive Networks' columns as plain data: adding a column, its head, the check of the
// structure and the parameter count, on small hand-made networks.
import assert from 'node:assert/strict';
import { addColumn, checkColumns, columnCount, columnHead, columnParamCounts } from '../../src/engine/network/columns';
import { initialState, newHead } from '../../src/engine/network/init';
import { checkModel } from '../../src/engine/network/model';
import { NetworkState, checkState, paramCounts } from '../../src/engine/network/state';
import { Rng } from '../../src/engine/random';

/** Column 1 of [4, 3] units on 5 inputs with a 2-output head, then column 2 of [2, 2] units with a 1-output head. */
function twoColumns(): { one: NetworkState; two: NetworkState; own: NetworkState } {
  const rng = new Rng(3);
  const one = initialState(5, [4, 3], rng.fork('c1'));
  one.heads.push(newHead(3, 2, rng.fork('h1')));
  const own = initialState(5, [2, 2], rng.fork('c2'));
  const two = addColumn(one, 2, own);
  two.heads.push(columnHead(two, newHead(2, 1, rng.fork('h2'))));
  return { one, two, own };
}

const at = (s: NetworkState, l: number, r: number, c: number) => s.layers[l].W.data[r * s.layers[l].W.cols + c];

describe('network of columns', () => {
  it('adds a column: the old units as they were, the own weights in place, zero laterals and zero weights from the new column', () => {
    const { one, two, own } = twoColumns();
    checkState(two);
    checkColumns(two);
    assert.equal(columnCount(one), 1);
    assert.equal(columnCount(two), 2);
    assert.deepEqual(two.layers.map((l) => Array.from(l.born)), [[1, 1, 1, 1, 2, 2], [1, 1, 1, 2, 2]]);
    // layer 1: every input into both columns
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 4; c++) assert.equal(at(two, 0, r, c), at(one, 0, r, c));
      for (let c = 0; c < 2; c++) assert.equal(at(two, 0, r, 4 + c), at(own, 0, r, c));
    }
    // layer 2: rows 0..3 column 1, rows 4..5 column 2
    for (let c = 0; c < 3; c++) {
      for (let r = 0; r < 4; r++) assert.equal(at(two, 1, r, c), at(one, 1, r, c));
      for (let r = 4; r < 6; r++) assert.equal(at(two, 1, r, c), 0, 'column 1 never reads column 2');
    }
    for (let c = 0; c < 2; c++) {
      for (let r = 0; r < 4; r++) assert.equal(at(two, 1, r, 3 + c), 0, 'laterals start at zero');
      for (let r = 0; r < 2; r++) assert.equal(at(two, 1, 4 + r, 3 + c), at(own, 1, r, c));
    }
    assert.deepEqual(Array.from(two.layers[1].b), [...one.layers[1].b, ...own.layers[1].b]);
    // the old head reads column 1 only; the new head: zero laterals, then its own rows
    assert.deepEqual(two.heads[0], one.heads[0]);
    assert.deepEqual([two.heads[1]!.W.rows, two.heads[1]!.W.cols], [5, 1]);
    assert.deepEqual(Array.from(two.heads[1]!.W.data.subarray(0, 3)), [0, 0, 0]);
  });

  it('counts every weight a unit may read, not the zeros from later columns', () => {
    const { two } = twoColumns();
    // layer 1: 5×6 + 6; layer 2: column 1 reads 4 rows (3 units), column 2 reads 6 rows (2 units), + 5 biases; heads 3×2 + 2 and 5×1 + 1
    const expected = 5 * 6 + 6 + (4 * 3 + 6 * 2) + 5 + (3 * 2 + 2) + (5 + 1);
    const counts = columnParamCounts(two);
    assert.equal(counts.total, expected);
    assert.equal(paramCounts(two).total - counts.total, 2 * 3, 'the dense count has the 2×3 zeros of column 1 reading column 2');
    // the laterals and the head's lateral rows are parameters, zero at first (as are the biases)
    assert.equal(counts.total - counts.nonZero, 4 * 2 + 3 + (6 + 5) + (2 + 1), 'zero laterals, lateral head rows and biases');
  });

  it('rejects a unit that reads a later column, a column missing from a layer, and more heads than columns', () => {
    const { two } = twoColumns();
    const bad = { ...two, layers: two.layers.map((l) => ({ ...l, W: { ...l.W, data: l.W.data.slice() } })) };
    bad.layers[1].W.data[4 * 5 + 1] = 0.25;
    assert.throws(() => checkColumns(bad), /layer 2: unit 2 \(column 1\) reads unit 5 of the later column 2 \(weight 0\.25\)/);
    assert.throws(() => checkModel({ routing: 'columns', timestamps: true, networks: [bad], aux: {} }), /reads unit 5 of the later column 2/);
    assert.throws(() => checkModel({ routing: 'columns', timestamps: false, networks: [two], aux: {} }), /needs timestamped inference/);
    const gap = { ...two, layers: [{ ...two.layers[0], born: Int32Array.of(1, 1, 1, 1, 3, 3) }, two.layers[1]] };
    assert.throws(() => checkColumns(gap), /layer 1 has no unit of column 2/);
    const heads = { ...two, heads: [...two.heads, two.heads[1]] };
    assert.throws(() => checkColumns(heads), /3 heads for 2 columns/);
  });
});
