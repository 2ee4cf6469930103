import { strict as assert } from 'node:assert';
import { Rng } from '../../src/engine/random';
import { Head, HiddenLayer, Matrix, NetworkState, checkState, cloneState, matrix, paramCounts, visibleSizes } from '../../src/engine/network/state';
import {
  Selection,
  chooseSplits,
  expandState,
  ownedMasks,
  pruneDeadUnits,
  selectSubnetwork,
  selectionMasks,
  splitState,
  unitDrift,
} from '../../src/engine/network/structure';

// ---------------------------------------------------------------------------------------------
// Helpers: states from nested arrays, bit-exact comparison, and a plain-JS forward pass.

interface LayerSpec {
  /** rows = units below (or inputs), cols = units of this layer */
  W: number[][];
  b?: number[];
  born?: number[];
  /** lineage (-1 = not a copy) */
  copyOf?: number[];
}
interface HeadSpec {
  W: number[][];
  b?: number[];
}

function mat(rows: number[][], nCols?: number): Matrix {
  const cols = rows.length ? rows[0].length : (nCols ?? 0);
  rows.forEach((r) => assert.equal(r.length, cols, 'ragged test matrix'));
  return matrix(rows.length, cols, Float32Array.from(rows.flat()));
}

function layer(spec: LayerSpec): HiddenLayer {
  const W = mat(spec.W);
  return {
    W,
    b: Float32Array.from(spec.b ?? new Array(W.cols).fill(0)),
    born: Int32Array.from(spec.born ?? new Array(W.cols).fill(1)),
    copyOf: Int32Array.from(spec.copyOf ?? new Array(W.cols).fill(-1)),
  };
}

function head(spec: HeadSpec): Head {
  const W = mat(spec.W);
  return { W, b: Float32Array.from(spec.b ?? new Array(W.cols).fill(0)) };
}

function build(inputDim: number, layers: LayerSpec[], heads: (HeadSpec | undefined)[]): NetworkState {
  return { inputDim, layers: layers.map(layer), heads: heads.map((h) => (h ? head(h) : undefined)) };
}

/** Nested rows of a matrix (values as float32 → number). */
function rowsOf(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
}

function col(m: Matrix, c: number): number[] {
  return Array.from({ length: m.rows }, (_, r) => m.data[r * m.cols + c]);
}

function row(m: Matrix, r: number): number[] {
  return Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols));
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** Bit-exact equality of two float32 arrays (distinguishes -0 from 0). */
function sameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  assert.deepEqual(bits(actual), bits(expected), what);
}

function sameState(a: NetworkState, b: NetworkState, what: string): void {
  assert.equal(a.inputDim, b.inputDim);
  assert.equal(a.layers.length, b.layers.length);
  a.layers.forEach((l, i) => {
    assert.deepEqual([l.W.rows, l.W.cols], [b.layers[i].W.rows, b.layers[i].W.cols], `${what} layer ${i + 1} shape`);
    sameBits(l.W.data, b.layers[i].W.data, `${what} layer ${i + 1} W`);
    sameBits(l.b, b.layers[i].b, `${what} layer ${i + 1} b`);
    assert.deepEqual(Array.from(l.born), Array.from(b.layers[i].born), `${what} layer ${i + 1} born`);
  });
  assert.equal(a.heads.length, b.heads.length);
  a.heads.forEach((h, j) => {
    const o = b.heads[j];
    if (!h || !o) return assert.equal(h, o);
    assert.deepEqual([h.W.rows, h.W.cols], [o.W.rows, o.W.cols], `${what} head ${j + 1} shape`);
    sameBits(h.W.data, o.W.data, `${what} head ${j + 1} W`);
    sameBits(h.b, o.b, `${what} head ${j + 1} b`);
  });
}

/**
 * ReLU MLP forward pass in plain JS for task `task` (1-based): every layer is sliced to the units
 * visible to the task (timestamped inference), then the task's head. Returns the output logits.
 */
function forward(s: NetworkState, task: number, x: number[]): number[] {
  const vis = visibleSizes(s, task);
  let h = x.slice(0, s.inputDim);
  s.layers.forEach((l, i) => {
    const n = vis[i];
    const next: number[] = [];
    for (let c = 0; c < n; c++) {
      let z = l.b[c];
      for (let r = 0; r < h.length; r++) z += h[r] * l.W.data[r * l.W.cols + c];
      next.push(Math.max(0, z));
    }
    h = next;
  });
  const hd = s.heads[task - 1];
  if (!hd) throw new Error(`no head for task ${task}`);
  assert.equal(hd.W.rows, h.length, 'head rows = visible top units');
  const out: number[] = [];
  for (let o = 0; o < hd.W.cols; o++) {
    let z = hd.b[o];
    for (let r = 0; r < h.length; r++) z += h[r] * hd.W.data[r * hd.W.cols + o];
    out.push(z);
  }
  return out;
}

function randomInputs(n: number, dim: number, rng: Rng): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => rng.uniform(-1, 2)));
}

function assertClose(actual: number[], expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tol * (1 + Math.abs(expected[i])), `${what}[${i}]: ${v} vs ${expected[i]}`));
}

/** Random values, each exactly zero with probability `pZero`. */
function sparseValues(n: number, pZero: number, rng: Rng): number[] {
  return Array.from({ length: n }, () => (rng.next() < pZero ? 0 : rng.uniform(-1, 1)));
}

function randomMatrixRows(rows: number, cols: number, pZero: number, rng: Rng): number[][] {
  return Array.from({ length: rows }, () => sparseValues(cols, pZero, rng));
}

const u8 = (a: Uint8Array) => Array.from(a);

// ---------------------------------------------------------------------------------------------
// A tiny network: inputs 4, hidden [3, 2]. Task 1 has a 1-output head, task 2 a 2-output head.
//
//   layer 1 (4×3)          layer 2 (3×2)       head 1 (2×1)   head 2 (2×2)
//   in0: [1, 0, 0]         u0: [1, 0]          top0: [1]      top0: [0, 0]
//   in1: [0, 2, 0]         u1: [0, 1]          top1: [0]      top1: [0, -1]
//   in2: [0, 0, 3]         u2: [0, 5]
//   in3: [0, 0, 0]
function tiny(): NetworkState {
  return build(
    4,
    [
      { W: [[1, 0, 0], [0, 2, 0], [0, 0, 3], [0, 0, 0]], b: [0.1, 0.2, 0.3] },
      { W: [[1, 0], [0, 1], [0, 5]], b: [0.5, -0.5] },
    ],
    [{ W: [[1], [0]] }, { W: [[0, 0], [0, -1]] }],
  );
}

describe('network state', () => {
  it('matrix() checks the data length', () => {
    assert.throws(() => matrix(2, 3, new Float32Array(5)), /5 values, expected 2×3/);
    const m = matrix(2, 3);
    assert.equal(m.data.length, 6);
    assert.ok(m.data.every((v) => v === 0));
  });

  it('cloneState makes an independent deep copy', () => {
    const s = tiny();
    const c = cloneState(s);
    sameState(c, s, 'clone');
    c.layers[0].W.data[0] = 42;
    c.layers[1].b[0] = 42;
    c.layers[0].born[0] = 7;
    c.heads[0]!.W.data[0] = 42;
    assert.equal(s.layers[0].W.data[0], 1);
    assert.equal(s.layers[1].b[0], 0.5);
    assert.equal(s.layers[0].born[0], 1);
    assert.equal(s.heads[0]!.W.data[0], 1);
  });

  it('visibleSizes counts the units born at or before the task in every layer', () => {
    const s = build(
      2,
      [
        { W: [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1]], born: [1, 1, 2, 3, 3] },
        { W: [[1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1]], born: [1, 2, 2] },
      ],
      [],
    );
    assert.deepEqual(visibleSizes(s, 1), [2, 1]);
    assert.deepEqual(visibleSizes(s, 2), [3, 3]);
    assert.deepEqual(visibleSizes(s, 3), [5, 3]);
    assert.deepEqual(visibleSizes(s, 9), [5, 3]);
    assert.deepEqual(visibleSizes(s, 0), [0, 0]);
  });

  it('paramCounts counts hidden weights, biases and every head at its own width; -0 is zero', () => {
    const s = build(
      2,
      [{ W: [[1, 0], [-0, -2]], b: [0, 0.5], born: [1, 2] }],
      [{ W: [[0]], b: [0] }, { W: [[0, 3], [4, 0]], b: [1, -0] }, undefined],
    );
    // layer: 4 + 2 (non-zero: 1, -2, 0.5); head 1: 1 + 1 (none); head 2: 4 + 2 (3, 4, 1)
    assert.deepEqual(paramCounts(s), { total: 14, nonZero: 6 });
  });

  describe('checkState', () => {
    it('accepts a consistent state', () => {
      assert.doesNotThrow(() => checkState(tiny()));
    });

    const broken = (mutate: (s: NetworkState) => void): NetworkState => {
      const s = tiny();
      mutate(s);
      return s;
    };

    it('names the layer whose weights have the wrong shape', () => {
      assert.throws(() => checkState(broken((s) => (s.layers[1].W = matrix(2, 2)))), /layer 2: weights are 2×2, expected 3×2/);
      assert.throws(() => checkState(broken((s) => (s.layers[0].W = matrix(4, 2)))), /layer 1: weights are 4×2, expected 4×3/);
      assert.throws(() => checkState(broken((s) => (s.inputDim = 5))), /layer 1: weights are 4×3, expected 5×3/);
      assert.throws(
        () => checkState(broken((s) => (s.layers[0].W = { rows: 4, cols: 3, data: new Float32Array(11) }))),
        /layer 1: weight data length 11 does not match 4×3/,
      );
    });

    it('names the layer whose timestamps are wrong', () => {
      assert.throws(() => checkState(broken((s) => (s.layers[1].born = Int32Array.of(1)))), /layer 2: 1 timestamps for 2 units/);
      assert.throws(() => checkState(broken((s) => (s.layers[0].born = Int32Array.of(1, 2, 1)))), /layer 1: unit timestamps are not in creation order at unit 2/);
      assert.throws(() => checkState(broken((s) => (s.layers[1].born = Int32Array.of(0, 1)))), /layer 2: timestamps must be ≥ 1/);
    });

    it('names the head whose rows do not match its task\'s visible top units, or whose outputs do not match its biases', () => {
      // task 2's head must see both top units; give it one row
      assert.throws(
        () => checkState(broken((s) => (s.heads[1] = head({ W: [[1, 1]] })))),
        /head of task 2: has 1 rows but task 2 sees 2 top-layer units/,
      );
      // a top unit born at task 2 is invisible to task 1, whose head still has 2 rows
      assert.throws(
        () => checkState(broken((s) => (s.layers[1].born = Int32Array.of(1, 2)))),
        /head of task 1: has 2 rows but task 1 sees 1 top-layer units/,
      );
      assert.throws(() => checkState(broken((s) => (s.heads[0]!.b = new Float32Array(2)))), /head of task 1: 1 outputs but 2 biases/);
      assert.throws(
        () => checkState(broken((s) => (s.heads[1]!.W = { rows: 2, cols: 2, data: new Float32Array(3) }))),
        /head of task 2: weight data length does not match its shape/,
      );
    });

    it('rejects a state without input or hidden layer', () => {
      assert.throws(() => checkState(broken((s) => (s.inputDim = 0))), /inputDim must be positive, got 0/);
      assert.throws(() => checkState(broken((s) => (s.layers = []))), /no hidden layer/);
    });

    it('skips tasks without a head', () => {
      assert.doesNotThrow(() => checkState(broken((s) => (s.heads = [undefined, s.heads[1]]))));
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('selectSubnetwork', () => {
  it('selects exactly the units and inputs with a non-zero path to a 1-output head', () => {
    const sel = selectSubnetwork(tiny(), 1, 0, false);
    // head 1 reads top0 only; top0 reads u0 only (u1 feeds top1, u2 feeds top1: both unselected);
    // u0 reads in0 only (in1 feeds u1, in2 feeds u2: unselected; in3 feeds nothing)
    assert.deepEqual(sel.units.map(u8), [[1, 0, 0], [1, 0]]);
    assert.deepEqual(u8(sel.inputs), [1, 0, 0, 0]);
  });

  it('follows any output of a multi-output head, and negative weights count as non-zero', () => {
    const sel = selectSubnetwork(tiny(), 2, 0, false);
    // head 2: only top1 has a non-zero (-1) weight; top1 reads u1 (1) and u2 (5); they read in1, in2
    assert.deepEqual(sel.units.map(u8), [[0, 1, 1], [0, 1]]);
    assert.deepEqual(u8(sel.inputs), [0, 1, 1, 0]);
  });

  it('selects every input with allInputs, without changing the hidden selection', () => {
    const sel = selectSubnetwork(tiny(), 1, 0, true);
    assert.deepEqual(sel.units.map(u8), [[1, 0, 0], [1, 0]]);
    assert.deepEqual(u8(sel.inputs), [1, 1, 1, 1]);
  });

  it('does not select a unit whose only non-zero weight goes to an unselected unit', () => {
    // u2's only non-zero outgoing weight goes to top1, which head 1 does not read
    const s = build(
      3,
      [
        { W: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] },
        { W: [[0.5, 0], [-0.5, 0], [0, 7]] },
      ],
      [{ W: [[2], [0]] }],
    );
    const sel = selectSubnetwork(s, 1, 0, false);
    assert.deepEqual(sel.units.map(u8), [[1, 1, 0], [1, 0]]);
    assert.deepEqual(u8(sel.inputs), [1, 1, 0]);
  });

  it('treats |w| <= zeroEps as zero (the boundary value included), and -0 as zero', () => {
    const s = build(
      3,
      [
        // in0 → u0 0.375 (> eps), in1 → u0 -0.25 (= eps: zero), in2 → u1 0.5
        { W: [[0.375, 0], [-0.25, 0], [0, 0.5]] },
        // u0 → top0 -0.375 (> eps), u1 → top0 0.25 (= eps: zero), u1 → top1 1
        { W: [[-0.375, 0], [0.25, 1]] },
      ],
      // head: top0 0.5 (> eps), top1 -0.25 (= eps: zero) and -0
      [{ W: [[0.5, 0], [-0.25, -0]] }],
    );
    const withEps = selectSubnetwork(s, 1, 0.25, false);
    assert.deepEqual(withEps.units.map(u8), [[1, 0], [1, 0]]);
    assert.deepEqual(u8(withEps.inputs), [1, 0, 0]);
    // with exact zeros everything is reachable
    const exact = selectSubnetwork(s, 1, 0, false);
    assert.deepEqual(exact.units.map(u8), [[1, 1], [1, 1]]);
    assert.deepEqual(u8(exact.inputs), [1, 1, 1]);
  });

  it('selects nothing when the head is all zero (except every input with allInputs)', () => {
    const s = tiny();
    s.heads[0] = head({ W: [[0], [0]] });
    const sel = selectSubnetwork(s, 1, 0, false);
    assert.deepEqual(sel.units.map(u8), [[0, 0, 0], [0, 0]]);
    assert.deepEqual(u8(sel.inputs), [0, 0, 0, 0]);
    assert.deepEqual(u8(selectSubnetwork(s, 1, 0, true).inputs), [1, 1, 1, 1]);
  });

  it('throws for a task without a head', () => {
    assert.throws(() => selectSubnetwork(tiny(), 3, 0, false), /task 3 has no head/);
  });

  it('equals an independent reachability computation on random sparse states', () => {
    /** Does node (layer l, index i) have a path of non-zero weights to an output? l = -1: inputs. */
    function reachable(s: NetworkState, task: number, eps: number): { inputs: number[]; units: number[][] } {
      const hd = s.heads[task - 1]!;
      const L = s.layers.length;
      const memo = new Map<string, boolean>();
      const nz = (v: number) => Math.abs(v) > eps;
      const reaches = (l: number, i: number): boolean => {
        const key = `${l}:${i}`;
        const known = memo.get(key);
        if (known !== undefined) return known;
        let ok = false;
        if (l === L - 1) {
          // a top unit: an edge to any output of the head (only rows the head has)
          if (i < hd.W.rows) for (let o = 0; o < hd.W.cols; o++) ok ||= nz(hd.W.data[i * hd.W.cols + o]);
        } else {
          const up = s.layers[l + 1].W;
          for (let j = 0; j < up.cols && !ok; j++) ok = nz(up.data[i * up.cols + j]) && reaches(l + 1, j);
        }
        memo.set(key, ok);
        return ok;
      };
      return {
        inputs: Array.from({ length: s.inputDim }, (_, i) => (reaches(-1, i) ? 1 : 0)),
        units: s.layers.map((lay, l) => Array.from({ length: lay.b.length }, (_, i) => (reaches(l, i) ? 1 : 0))),
      };
    }

    const rng = new Rng(2024);
    let nonTrivial = 0;
    for (let trial = 0; trial < 40; trial++) {
      const inputDim = 6 + rng.int(6);
      const hidden = [4 + rng.int(6), 3 + rng.int(5), 2 + rng.int(5)];
      const pZero = 0.5 + 0.4 * rng.next();
      // units born 1 or 2 (creation order); task 1's head sees only the units born at 1
      const borns = hidden.map((n) => {
        const first = 1 + rng.int(n);
        return Array.from({ length: n }, (_, i) => (i < first ? 1 : 2));
      });
      let below = inputDim;
      const layers: LayerSpec[] = hidden.map((n, l) => {
        const spec = { W: randomMatrixRows(below, n, pZero, rng), b: sparseValues(n, 0, rng), born: borns[l] };
        below = n;
        return spec;
      });
      const top = hidden[hidden.length - 1];
      const top1 = borns[borns.length - 1].filter((b) => b === 1).length;
      const s = build(inputDim, layers, [
        { W: randomMatrixRows(top1, 1, 0.5, rng) },
        { W: randomMatrixRows(top, 1 + rng.int(3), pZero, rng) },
      ]);
      checkState(s);
      for (const task of [1, 2]) {
        for (const eps of [0, 0.3]) {
          const expected = reachable(s, task, eps);
          const sel = selectSubnetwork(s, task, eps, false);
          assert.deepEqual(u8(sel.inputs), expected.inputs, `trial ${trial} task ${task} eps ${eps}: inputs`);
          assert.deepEqual(sel.units.map(u8), expected.units, `trial ${trial} task ${task} eps ${eps}: units`);
          const all = selectSubnetwork(s, task, eps, true);
          assert.deepEqual(all.units.map(u8), expected.units);
          assert.ok(all.inputs.every((v) => v === 1));
          const count = expected.units.flat().filter(Boolean).length;
          if (count > 0 && count < expected.units.flat().length) nonTrivial++;
        }
      }
    }
    assert.ok(nonTrivial > 40, `too few non-trivial selections (${nonTrivial}) for the check to mean much`);
  });
});

describe('selectionMasks / ownedMasks', () => {
  it('selectionMasks marks exactly the weights between selected units (or inputs) and their biases', () => {
    const s = tiny();
    const sel: Selection = { inputs: Uint8Array.of(1, 0, 1, 0), units: [Uint8Array.of(1, 1, 0), Uint8Array.of(0, 1)] };
    const [m1, m2] = selectionMasks(s, sel);
    assert.deepEqual(Array.from(m1.W), [
      1, 1, 0,
      0, 0, 0,
      1, 1, 0,
      0, 0, 0,
    ]);
    assert.deepEqual(Array.from(m1.b), [1, 1, 0]);
    assert.deepEqual(Array.from(m2.W), [
      0, 1,
      0, 1,
      0, 0,
    ]);
    assert.deepEqual(Array.from(m2.b), [0, 1]);
  });

  it('selectionMasks of a computed selection', () => {
    const s = tiny();
    const [m1, m2] = selectionMasks(s, selectSubnetwork(s, 2, 0, false));
    // inputs {1,2} × units {1,2}; units {1,2} × top {1}
    assert.deepEqual(Array.from(m1.W), [0, 0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0]);
    assert.deepEqual(Array.from(m1.b), [0, 1, 1]);
    assert.deepEqual(Array.from(m2.W), [0, 0, 0, 1, 0, 1]);
    assert.deepEqual(Array.from(m2.b), [0, 1]);
  });

  it('ownedMasks marks everything outside the old block and the new units\' biases', () => {
    // inputs 4, hidden grown from [3, 2] to [5, 3]
    const s = build(
      4,
      [
        { W: randomMatrixRows(4, 5, 0, new Rng(1)), born: [1, 1, 1, 2, 2] },
        { W: randomMatrixRows(5, 3, 0, new Rng(2)), born: [1, 1, 2] },
      ],
      [],
    );
    const [m1, m2] = ownedMasks(s, [3, 2]);
    assert.deepEqual(Array.from(m1.W), [
      0, 0, 0, 1, 1,
      0, 0, 0, 1, 1,
      0, 0, 0, 1, 1,
      0, 0, 0, 1, 1,
    ]);
    assert.deepEqual(Array.from(m1.b), [0, 0, 0, 1, 1]);
    assert.deepEqual(Array.from(m2.W), [
      0, 0, 1,
      0, 0, 1,
      0, 0, 1,
      1, 1, 1,
      1, 1, 1,
    ]);
    assert.deepEqual(Array.from(m2.b), [0, 0, 1]);
    // nothing new: nothing owned
    const none = ownedMasks(s, [5, 3]);
    assert.ok(none.every((m) => m.W.every((v) => v === 0) && m.b.every((v) => v === 0)));
  });
});

// ---------------------------------------------------------------------------------------------

describe('expandState', () => {
  /** Task 1 trained on inputs 4, hidden [3, 2]; task 2 has just got its 2-output head. */
  function beforeExpansion(): NetworkState {
    const rng = new Rng(7);
    return build(
      4,
      [
        { W: randomMatrixRows(4, 3, 0.3, rng), b: sparseValues(3, 0, rng) },
        { W: randomMatrixRows(3, 2, 0.3, rng), b: sparseValues(2, 0, rng) },
      ],
      [{ W: randomMatrixRows(2, 1, 0, rng), b: [0.25] }, { W: randomMatrixRows(2, 2, 0, rng), b: [0.5, -0.5] }],
    );
  }

  it('adds k units per layer for the task, keeps every old value bit-for-bit, and changes no earlier task\'s output', () => {
    const s = beforeExpansion();
    const original = cloneState(s);
    const e = expandState(s, 2, [2, 1], new Rng(99));
    sameState(s, original, 'input state (must not be mutated)');
    assert.doesNotThrow(() => checkState(e));

    assert.deepEqual(e.layers.map((l) => l.b.length), [5, 3]);
    assert.deepEqual(Array.from(e.layers[0].born), [1, 1, 1, 2, 2]);
    assert.deepEqual(Array.from(e.layers[1].born), [1, 1, 2]);
    assert.deepEqual([e.layers[0].W.rows, e.layers[0].W.cols], [4, 5]);
    assert.deepEqual([e.layers[1].W.rows, e.layers[1].W.cols], [5, 3]);

    // old blocks bit-identical, old biases too
    s.layers.forEach((old, l) => {
      const grown = e.layers[l].W;
      for (let r = 0; r < old.W.rows; r++) {
        sameBits(grown.data.slice(r * grown.cols, r * grown.cols + old.W.cols), old.W.data.slice(r * old.W.cols, (r + 1) * old.W.cols), `layer ${l + 1} row ${r}`);
      }
      sameBits(e.layers[l].b.slice(0, old.b.length), old.b, `layer ${l + 1} old biases`);
    });

    // new units' incoming columns are non-zero (Glorot) from every unit below, old and new
    for (const c of [3, 4]) assert.ok(col(e.layers[0].W, c).every((v) => v !== 0 && Number.isFinite(v)), `layer 1 unit ${c} incoming`);
    assert.ok(col(e.layers[1].W, 2).every((v) => v !== 0 && Number.isFinite(v)), 'layer 2 unit 2 incoming');
    // outgoing weights of the new layer-1 units into the old layer-2 units are Glorot too, within its limit
    const limit = Math.sqrt(6 / (5 + 3));
    for (const r of [3, 4]) assert.ok(row(e.layers[1].W, r).every((v) => v !== 0 && Math.abs(v) <= limit), `layer-1 unit ${r} outgoing`);

    // the task's head: old rows kept, a Glorot row for the new top unit; biases kept
    const h2 = e.heads[1]!;
    assert.deepEqual([h2.W.rows, h2.W.cols], [3, 2]);
    sameBits(h2.W.data.slice(0, 4), s.heads[1]!.W.data, 'head 2 old rows');
    assert.ok(row(h2.W, 2).every((v) => v !== 0 && Math.abs(v) <= Math.sqrt(6 / (3 + 2))), 'head 2 new row');
    sameBits(h2.b, s.heads[1]!.b, 'head 2 biases');
    // the other head untouched
    sameBits(e.heads[0]!.W.data, s.heads[0]!.W.data, 'head 1');
    assert.deepEqual([e.heads[0]!.W.rows, e.heads[0]!.W.cols], [2, 1]);

    // numerically: task 1 computes what it computed before; task 2 now reads its new units
    const xs = randomInputs(20, 4, new Rng(3));
    for (const x of xs) assert.deepEqual(forward(e, 1, x), forward(s, 1, x));
    assert.ok(xs.some((x) => forward(e, 2, x).some((v, o) => Math.abs(v - forward(s, 2, x)[o]) > 1e-6)), 'task 2 sees its new units');
  });

  it('allows k = 0 in a layer, and is deterministic for a given seed', () => {
    const s = beforeExpansion();
    const e = expandState(s, 2, [0, 3], new Rng(5));
    checkState(e);
    assert.deepEqual(e.layers.map((l) => l.b.length), [3, 5]);
    assert.deepEqual(Array.from(e.layers[0].born), [1, 1, 1]);
    assert.deepEqual(Array.from(e.layers[1].born), [1, 1, 2, 2, 2]);
    sameBits(e.layers[0].W.data, s.layers[0].W.data, 'layer 1 unchanged');
    assert.equal(e.heads[1]!.W.rows, 5);
    sameState(expandState(s, 2, [0, 3], new Rng(5)), e, 'same seed');
  });
});

describe('pruneDeadUnits', () => {
  // Task 2 expanded inputs 3, hidden [3, 2] to [6, 4].
  // layer 1: old u1 has an all-zero column (must stay: it is old);
  //          new u3 all zero with bias −0.4 (dead, outputs 0), new u4 a single non-zero weight (alive),
  //          new u5 only |w| ≤ 0.25 (bias −0.6)
  // layer 2: new u2 all zero with bias −3 (dead), new u3 alive
  function expanded(): NetworkState {
    return build(
      3,
      [
        {
          W: [
            [1, 0, 2, 0, 0, 0.25],
            [3, 0, 4, 0, 0.5, -0.125],
            [5, 0, 6, 0, 0, 0],
          ],
          b: [0.1, 0.2, 0.3, -0.4, 0.5, -0.6],
          born: [1, 1, 1, 2, 2, 2],
        },
        {
          W: [
            [11, 12, 0, 14],
            [21, 22, 0, 24],
            [31, 32, 0, 34],
            [41, 42, 0, 44],
            [51, 52, 0, 54],
            [61, 62, 0, 64],
          ],
          b: [1, 2, -3, 4],
          born: [1, 1, 2, 2],
        },
      ],
      [{ W: [[1], [2]] }, { W: [[1, -1], [2, -2], [3, -3], [4, -4]], b: [7, 8] }],
    );
  }
  const inputs = randomInputs(20, 3, new Rng(3));
  const outputsOf = (s: NetworkState, task: number) => inputs.map((x) => forward(s, task, x));

  it('removes exactly the task\'s new units whose incoming column is all zero, with their outgoing rows', () => {
    const s = expanded();
    const before = cloneState(s);
    const { state, removed, keptConstant } = pruneDeadUnits(s, 2, [3, 2], 0);
    sameState(s, before, 'input state (must not be mutated)');
    assert.deepEqual(removed, [[3], [2]]);
    assert.deepEqual(keptConstant, [[], []]);
    checkState(state);
    const [l1, l2] = state.layers;
    assert.deepEqual(rowsOf(l1.W), [
      [1, 0, 2, 0, 0.25],
      [3, 0, 4, 0.5, -0.125],
      [5, 0, 6, 0, 0],
    ]);
    assert.deepEqual(Array.from(l1.b), Array.from(Float32Array.of(0.1, 0.2, 0.3, 0.5, -0.6)));
    assert.deepEqual(Array.from(l1.born), [1, 1, 1, 2, 2]);
    // layer 2: row 3 (dead layer-1 unit) and column 2 gone; dead units output relu(b) = 0, so no bias changes
    assert.deepEqual(rowsOf(l2.W), [
      [11, 12, 14],
      [21, 22, 24],
      [31, 32, 34],
      [51, 52, 54],
      [61, 62, 64],
    ]);
    assert.deepEqual(Array.from(l2.b), [1, 2, 4]);
    assert.deepEqual(Array.from(l2.born), [1, 1, 2]);
    // the task's head loses the dead top unit's row; the old head is untouched
    assert.deepEqual(rowsOf(state.heads[1]!.W), [[1, -1], [2, -2], [4, -4]]);
    assert.deepEqual(Array.from(state.heads[1]!.b), [7, 8]);
    assert.deepEqual(rowsOf(state.heads[0]!.W), [[1], [2]]);
    assertClose(outputsOf(state, 2).flat(), outputsOf(s, 2).flat(), 1e-6, 'task 2 outputs');
    assertClose(outputsOf(state, 1).flat(), outputsOf(s, 1).flat(), 0, 'task 1 outputs');
  });

  it('with zeroEps also removes a new unit whose weights are all within ±zeroEps', () => {
    const { state, removed } = pruneDeadUnits(expanded(), 2, [3, 2], 0.25);
    assert.deepEqual(removed, [[3, 5], [2]]);
    checkState(state);
    assert.deepEqual(rowsOf(state.layers[0].W), [[1, 0, 2, 0], [3, 0, 4, 0.5], [5, 0, 6, 0]]);
    assert.deepEqual(col(state.layers[1].W, 2), [14, 24, 34, 54]);
    // just below the weight's magnitude: u5 (-0.125, 0.25) survives with zeroEps 0.2
    assert.deepEqual(pruneDeadUnits(expanded(), 2, [3, 2], 0.2).removed, [[3], [2]]);
  });

  it('removes nothing when no new unit is dead, and returns an equal state', () => {
    const s = expanded();
    s.layers[0].W.data[0 * 6 + 3] = 0.5; // revive u3
    s.layers[1].W.data[0 * 4 + 2] = -1; // revive top u2
    const { state, removed } = pruneDeadUnits(s, 2, [3, 2], 0);
    assert.deepEqual(removed, [[], []]);
    sameState(state, s, 'unchanged');
  });

  it('folds the constant relu(b) > 0 of a removed unit into the biases of the task\'s own units above, so the task\'s outputs stay', () => {
    const s = expanded();
    // layer-1 u3 is dead but outputs relu(0.4) = 0.4, read only by the new layer-2 u3 (weight 44)
    s.layers[0].b[3] = 0.4;
    s.layers[1].W.data[3 * 4 + 0] = 0;
    s.layers[1].W.data[3 * 4 + 1] = 0;
    // top u2 is dead but outputs relu(3) = 3 into task 2's head
    s.layers[1].b[2] = 3;
    const { state, removed, keptConstant } = pruneDeadUnits(s, 2, [3, 2], 0);
    assert.deepEqual(removed, [[3], [2]]);
    assert.deepEqual(keptConstant, [[], []]);
    assert.deepEqual(Array.from(state.layers[1].b), Array.from(Float32Array.of(1, 2, 4 + 0.4 * 44)));
    assert.deepEqual(Array.from(state.heads[1]!.b), [7 + 3 * 3, 8 - 3 * 3]);
    assertClose(outputsOf(state, 2).flat(), outputsOf(s, 2).flat(), 1e-6, 'task 2 outputs after folding');
    sameBits(state.heads[0]!.W.data, s.heads[0]!.W.data, 'old head');
    assertClose(outputsOf(state, 1).flat(), outputsOf(s, 1).flat(), 0, 'task 1 outputs');
  });

  it('keeps a dead unit whose constant output reaches a unit earlier tasks share (its bias cannot absorb it)', () => {
    const s = expanded();
    s.layers[0].b[3] = 0.4; // u3 outputs 0.4 into the old layer-2 units 0 and 1 (weights 41, 42)
    const { state, removed, keptConstant } = pruneDeadUnits(s, 2, [3, 2], 0);
    assert.deepEqual(removed, [[], [2]]);
    assert.deepEqual(keptConstant, [[3], []]);
    assert.deepEqual(Array.from(state.layers[1].b), [1, 2, 4], 'no bias of a shared unit changed');
    assertClose(outputsOf(state, 2).flat(), outputsOf(s, 2).flat(), 1e-6, 'task 2 outputs');
  });

  it('removes a new unit fed only by removed units (judged after the layer below lost them)', () => {
    const s = expanded();
    // top u3 reads only the dead layer-1 u3 (and new u4, u5 at zero): after u3 goes, its column is all zero
    for (let r = 0; r < 6; r++) s.layers[1].W.data[r * 4 + 3] = r === 3 ? 44 : 0;
    s.layers[1].b[3] = -1; // it outputs relu(−1) = 0 once its only input is gone
    const { state, removed } = pruneDeadUnits(s, 2, [3, 2], 0);
    assert.deepEqual(removed, [[3], [2, 3]]);
    checkState(state);
    assert.deepEqual(state.layers.map((l) => l.b.length), [5, 2]);
    assertClose(outputsOf(state, 2).flat(), outputsOf(s, 2).flat(), 1e-6, 'task 2 outputs');
  });
});

// ---------------------------------------------------------------------------------------------

describe('unitDrift / chooseSplits', () => {
  it('computes ρ over the incoming weights from old rows only (not rows of new units), and the bias when asked', () => {
    const previous = build(
      3,
      [
        { W: [[0.5, 1], [0.25, 2], [0, 3]], b: [0, 0] },
        { W: [[1, 1], [2, 2]], b: [0, 0] },
      ],
      [{ W: [[1], [1]] }],
    );
    const current = build(
      3,
      [
        // unit 0: +3 and +4 on its inputs → ρ = 5; unit 1 unchanged; unit 2 is new
        { W: [[3.5, 1, 9], [4.25, 2, 9], [0, 3, 9]], b: [0, 0, 0], born: [1, 1, 2] },
        // unit 0: +0.75, +1 on the old rows → ρ = 1.25; the new row (100) does not count.
        // unit 1: weights unchanged, bias +7 → ρ = 0
        { W: [[1.75, 1], [3, 2], [100, -100]], b: [0, 7] },
      ],
      [{ W: [[1], [1]] }],
    );
    assert.deepEqual(unitDrift(current, previous, false), [[5, 0], [1.25, 0]]);
    // with the bias: unit 1 of layer 2 drifted by its bias alone (+7)
    assert.deepEqual(unitDrift(current, previous, true), [[5, 0], [1.25, 7]]);
  });

  it('chooses units with ρ > σ (not ρ = σ), the largest first under the cap, returned sorted', () => {
    const drift = [[0.5, 0.3, 0.9, 0.3, 0.1], [0.2, 0.2], [0.9, 0.1, 0.8, 0.95], [0.7, 0.7, 0.7]];
    assert.deepEqual(chooseSplits(drift, 0.3, null), [[0, 2], [], [0, 2, 3], [0, 1, 2]]);
    assert.deepEqual(chooseSplits(drift, 0.3, 1), [[2], [], [3], [0]]);
    // the two largest of layer 3 are 0.95 (unit 3) and 0.9 (unit 0): returned in index order
    assert.deepEqual(chooseSplits(drift, 0.5, 2), [[2], [], [0, 3], [0, 1]]);
    assert.deepEqual(chooseSplits(drift, 0.3, 0), [[], [], [], []]);
    assert.deepEqual(chooseSplits(drift, 1, null), [[], [], [], []]);
    // σ = 0: every unit that moved at all
    assert.deepEqual(chooseSplits([[0, 1e-9, 0]], 0, null), [[1]]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('splitState', () => {
  // previous: after task 1 (inputs 4, hidden [3, 2], head 1 with 1 output).
  // current: task 2 expanded by one unit per layer ([4, 3]) and retrained: layer-1 units 0 and 2
  // and layer-2 unit 0 drifted (weights and biases), the others kept their visible weights.
  function scenario(): { previous: NetworkState; current: NetworkState } {
    const rng = new Rng(11);
    const previous = build(
      4,
      [
        { W: randomMatrixRows(4, 3, 0.2, rng), b: sparseValues(3, 0, rng) },
        { W: randomMatrixRows(3, 2, 0, rng), b: sparseValues(2, 0, rng) },
      ],
      [{ W: randomMatrixRows(2, 1, 0, rng), b: [0.1] }],
    );
    const current = expandState(previous, 2, [1, 1], rng.fork('expand'));
    current.heads[1] = { W: matrix(3, 2, Float32Array.from(sparseValues(6, 0, rng))), b: Float32Array.of(0.3, -0.2) };
    const l1 = current.layers[0];
    for (const c of [0, 2]) {
      for (let r = 0; r < 4; r++) l1.W.data[r * l1.W.cols + c] += rng.uniform(0.5, 1);
      l1.b[c] += 0.5;
    }
    const l2 = current.layers[1];
    for (let r = 0; r < 4; r++) l2.W.data[r * l2.W.cols + 0] += rng.uniform(0.5, 1);
    l2.b[0] -= 0.25;
    // the new layer-1 unit feeds the old top unit 1 (a weight only task 2 sees)
    l2.W.data[3 * l2.W.cols + 1] = 0.75;
    checkState(current);
    return { previous, current };
  }

  it('the scenario\'s drift picks exactly the drifted units', () => {
    const { previous, current } = scenario();
    const rho = unitDrift(current, previous, false);
    assert.deepEqual(rho[0].map((r) => r > 0), [true, false, true]);
    assert.deepEqual(rho[1].map((r) => r > 0), [true, false]);
    assert.deepEqual(chooseSplits(rho, 0, null), [[0, 2], [0]]);
  });

  it('copies exactly the chosen units, restores the originals and re-routes the task to the copies', () => {
    const { previous, current } = scenario();
    const prevCopy = cloneState(previous);
    const curCopy = cloneState(current);
    const out = splitState(current, previous, 2, [[0, 2], [0]]);
    sameState(previous, prevCopy, 'previous (must not be mutated)');
    sameState(current, curCopy, 'current (must not be mutated)');
    assert.doesNotThrow(() => checkState(out));

    const P1 = previous.layers[0];
    const P2 = previous.layers[1];
    const S1 = current.layers[0];
    const S2 = current.layers[1];
    const [O1, O2] = out.layers;

    // layer 1: [u0 restored, u1, u2 restored, u3 new, copy of u0, copy of u2]
    assert.deepEqual([O1.W.rows, O1.W.cols], [4, 6]);
    assert.deepEqual(Array.from(O1.born), [1, 1, 1, 2, 2, 2]);
    const f32 = (xs: number[]) => Float32Array.from(xs);
    sameBits(f32(col(O1.W, 0)), f32(col(P1.W, 0)), 'layer 1 u0 restored');
    sameBits(f32(col(O1.W, 2)), f32(col(P1.W, 2)), 'layer 1 u2 restored');
    sameBits(f32(col(O1.W, 1)), f32(col(S1.W, 1)), 'layer 1 u1 kept');
    sameBits(f32(col(O1.W, 3)), f32(col(S1.W, 3)), 'layer 1 u3 (new) kept');
    sameBits(f32(col(O1.W, 4)), f32(col(S1.W, 0)), 'layer 1 copy of u0 = drifted u0');
    sameBits(f32(col(O1.W, 5)), f32(col(S1.W, 2)), 'layer 1 copy of u2 = drifted u2');
    sameBits(O1.b, f32([P1.b[0], S1.b[1], P1.b[2], S1.b[3], S1.b[0], S1.b[2]]), 'layer 1 biases');

    // layer 2: rows [u0, u1, u2, u3, copy u0, copy u2]; cols [u0 restored, u1, u2 new, copy of u0]
    assert.deepEqual([O2.W.rows, O2.W.cols], [6, 4]);
    assert.deepEqual(Array.from(O2.born), [1, 1, 2, 2]);
    // restored original: the previous weights from old rows, zero from the new unit and the copies
    sameBits(f32(col(O2.W, 0)), f32([...col(P2.W, 0), 0, 0, 0]), 'layer 2 u0 restored');
    // shared old unit: unchanged, reads the originals, not the copies
    sameBits(f32(col(O2.W, 1)), f32([...col(S2.W, 1), 0, 0]), 'layer 2 u1 kept, no weights from copies');
    // the new unit now reads the copies instead of split units 0 and 2
    const s2 = col(S2.W, 2);
    sameBits(f32(col(O2.W, 2)), f32([0, s2[1], 0, s2[3], s2[0], s2[2]]), 'layer 2 new unit re-routed');
    // the copy of u0: its drifted column, re-routed in the same way
    const s0 = col(S2.W, 0);
    sameBits(f32(col(O2.W, 3)), f32([0, s0[1], 0, s0[3], s0[0], s0[2]]), 'layer 2 copy of u0');
    sameBits(O2.b, f32([P2.b[0], S2.b[1], S2.b[2], S2.b[0]]), 'layer 2 biases');

    // the copies' weights into the old units of the layer above are zero
    for (const r of [4, 5]) assert.deepEqual(row(O2.W, r).slice(0, 2), [0, 0], `row of copy ${r} into old units`);

    // task 2's head reads the copy: copy row = original's former row; original's row zeroed
    const H = current.heads[1]!;
    const O = out.heads[1]!;
    assert.deepEqual([O.W.rows, O.W.cols], [4, 2]);
    sameBits(f32(row(O.W, 0)), f32([0, 0]), 'head 2 original row zeroed');
    sameBits(f32(row(O.W, 1)), f32(row(H.W, 1)), 'head 2 row 1');
    sameBits(f32(row(O.W, 2)), f32(row(H.W, 2)), 'head 2 row 2');
    sameBits(f32(row(O.W, 3)), f32(row(H.W, 0)), 'head 2 copy row');
    sameBits(O.b, H.b, 'head 2 biases');
    // task 1's head untouched
    assert.deepEqual([out.heads[0]!.W.rows, out.heads[0]!.W.cols], [2, 1]);
    sameBits(out.heads[0]!.W.data, current.heads[0]!.W.data, 'head 1 W');
    sameBits(out.heads[0]!.b, current.heads[0]!.b, 'head 1 b');
  });

  it('old tasks compute exactly what they computed at the previous task', () => {
    const { previous, current } = scenario();
    const xs = randomInputs(30, 4, new Rng(4));
    // sanity: the drift really changed task 1's function before the split
    assert.ok(xs.some((x) => forward(current, 1, x)[0] !== forward(previous, 1, x)[0]), 'the scenario should change task 1 before the split');
    for (const split of [[[0, 2], [0]], [[0, 2], []], [[0, 1, 2], [0, 1]]]) {
      // splitting more units than drifted also restores them (to identical values)
      const out = splitState(current, previous, 2, split);
      checkState(out);
      if (split[0].length === 2 && split[1].length === 0) {
        // layer-2 unit 0 drifted but was not split: task 1 sees its drift
        assert.ok(xs.some((x) => forward(out, 1, x)[0] !== forward(previous, 1, x)[0]));
        continue;
      }
      for (const x of xs) assert.deepEqual(forward(out, 1, x), forward(previous, 1, x), `split ${JSON.stringify(split)}`);
    }
  });

  it('a split of top-layer units only leaves the current task\'s outputs unchanged', () => {
    const { previous, current } = scenario();
    const xs = randomInputs(30, 4, new Rng(5));
    for (const top of [[0], [0, 1]]) {
      const out = splitState(current, previous, 2, [[], top]);
      checkState(out);
      assert.deepEqual(out.layers.map((l) => l.b.length), [4, 3 + top.length]);
      // the originals are restored (so they compute something else now) and read by no head row of task 2
      for (const u of top) assert.ok(row(out.heads[1]!.W, u).every((v) => v === 0));
      for (const x of xs) assertClose(forward(out, 2, x), forward(current, 2, x), 1e-6, `task 2 after splitting top units ${top}`);
    }
    // a split below the top changes the current task (its old top units read restored originals)
    const lower = splitState(current, previous, 2, [[0, 2], []]);
    assert.ok(xs.some((x) => Math.abs(forward(lower, 2, x)[0] - forward(current, 2, x)[0]) > 1e-6));
  });

  it('with nothing to split returns an equal state', () => {
    const { previous, current } = scenario();
    sameState(splitState(current, previous, 2, [[], []]), current, 'no split');
  });
});
