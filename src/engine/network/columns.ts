// Progressive Networks (Rusu et al. 2016) as plain data. The columns live in one NetworkState:
// column j is the units born at task j, in every hidden layer. A unit of column j reads the layer
// below of columns 1..j (its own column and, through plain linear laterals, every earlier one);
// the weights from a later column's units into it are zero and never train, and they are not
// parameters of the model. Timestamped inference (network.ts) then gives task j exactly columns
// 1..j, and head j reads the top layer of columns 1..j, so a new column never changes an earlier
// task's outputs.
import { Head, NetworkState, cloneMatrix, matrix, notCopies } from './state';

/** Columns of the network (the latest unit timestamp). */
export function columnCount(s: NetworkState): number {
  return s.layers[0].born[s.layers[0].born.length - 1] ?? 0;
}

/** How many units of `born` (non-decreasing) were born at or before `column`. */
function upTo(born: Int32Array, column: number): number {
  let n = 0;
  while (n < born.length && born[n] <= column) n++;
  return n;
}

/** Throws unless the network is made of columns 1..C in every layer, no unit reading a later column. */
export function checkColumns(s: NetworkState): void {
  const C = columnCount(s);
  s.layers.forEach((layer, l) => {
    for (let j = 1; j <= C; j++) {
      if (!layer.born.includes(j)) throw new Error(`layer ${l + 1} has no unit of column ${j}; every column spans every hidden layer`);
    }
    if (layer.born[layer.born.length - 1] !== C) throw new Error(`layer ${l + 1} has units of column ${layer.born[layer.born.length - 1]}, layer 1 has ${C} columns`);
    if (l === 0) return;
    const below = s.layers[l - 1].born;
    const { W } = layer;
    for (let c = 0; c < W.cols; c++) {
      for (let r = upTo(below, layer.born[c]); r < W.rows; r++) {
        const w = W.data[r * W.cols + c];
        if (w !== 0) throw new Error(`layer ${l + 1}: unit ${c + 1} (column ${layer.born[c]}) reads unit ${r + 1} of the later column ${below[r]} (weight ${w}); a column never reads a later one`);
      }
    }
  });
  const heads = s.heads.filter(Boolean).length;
  if (heads > C) throw new Error(`${heads} heads for ${C} columns`);
}

/**
 * Parameters of a network of columns: every weight a unit may read (its own and earlier columns
 * below it), the biases and every head; not the zeros from later columns.
 */
export function columnParamCounts(s: NetworkState): { total: number; nonZero: number } {
  let total = 0;
  let nonZero = 0;
  const count = (v: number) => {
    total++;
    if (v !== 0) nonZero++;
  };
  s.layers.forEach((layer, l) => {
    const { W } = layer;
    for (let c = 0; c < W.cols; c++) {
      const rows = l === 0 ? W.rows : upTo(s.layers[l - 1].born, layer.born[c]);
      for (let r = 0; r < rows; r++) count(W.data[r * W.cols + c]);
    }
    layer.b.forEach(count);
  });
  for (const h of s.heads) {
    if (!h) continue;
    h.W.data.forEach(count);
    h.b.forEach(count);
  }
  return { total, nonZero };
}

/**
 * Adds column `task` next to the existing ones: in every layer the units of `column` (a network of
 * the column's own sizes and initial weights), which read their own column below with `column`'s
 * weights and every earlier column below through laterals that start at zero. The existing units
 * get zero weights from the new ones (they never read a later column). The heads are unchanged.
 */
export function addColumn(s: NetworkState, task: number, column: NetworkState): NetworkState {
  if (column.inputDim !== s.inputDim || column.layers.length !== s.layers.length) throw new Error('a new column must have the network\'s inputs and hidden layers');
  const layers = s.layers.map((layer, l) => {
    const own = column.layers[l];
    const n = layer.b.length;
    const k = own.b.length;
    // rows: the inputs (layer 1), else the old units below, then the new column's units below
    const ownRow = l === 0 ? 0 : layer.W.rows;
    const W = matrix(ownRow + own.W.rows, n + k);
    for (let r = 0; r < layer.W.rows; r++) W.data.set(layer.W.data.subarray(r * n, (r + 1) * n), r * W.cols);
    for (let r = 0; r < own.W.rows; r++) W.data.set(own.W.data.subarray(r * k, (r + 1) * k), (ownRow + r) * W.cols + n);
    const b = new Float32Array(n + k);
    b.set(layer.b);
    b.set(own.b, n);
    const born = new Int32Array(n + k).fill(task);
    born.set(layer.born);
    const copyOf = notCopies(n + k);
    copyOf.set(layer.copyOf);
    return { W, b, born, copyOf };
  });
  return { inputDim: s.inputDim, layers, heads: s.heads.map((h) => h && { W: cloneMatrix(h.W), b: h.b.slice() }) };
}

/** Head of the latest column's task: `own` on that column's top units, zero laterals from the earlier columns' top units. */
export function columnHead(s: NetworkState, own: Head): Head {
  const top = s.layers[s.layers.length - 1].b.length;
  if (own.W.rows > top) throw new Error(`a head of ${own.W.rows} rows on a top layer of ${top} units`);
  const W = matrix(top, own.W.cols);
  W.data.set(own.W.data, (top - own.W.rows) * own.W.cols);
  return { W, b: own.b.slice() };
}
