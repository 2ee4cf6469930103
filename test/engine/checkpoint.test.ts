import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '../../src/engine/random';
import { COPY_UNKNOWN, NOT_A_COPY, NetworkState, checkState, matrix, notCopies } from '../../src/engine/network/state';
import { ModelState, sharedModel } from '../../src/engine/network/model';
import { addColumn, columnHead } from '../../src/engine/network/columns';
import { initialState, newHead } from '../../src/engine/network/init';
import { expandState } from '../../src/engine/network/structure';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CheckpointError, loadCheckpoint, saveCheckpoint } from '../../src/engine/run/checkpoint';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'den-checkpoint-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
const freshPath = (name: string) => path.join(tmp, `${name}-${++counter}`);

/** Float32 values from raw bit patterns. */
function fromBits(...patterns: number[]): Float32Array {
  return new Float32Array(Uint32Array.from(patterns).buffer);
}
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/**
 * Task 1 (inputs 5, hidden [4, 3], a 1-output head), then task 2 with a 3-output head after an
 * expansion by [2, 1]: two heads of different widths and rows. Awkward values are planted:
 * -0, the smallest and largest denormals, ±max float, 1 + ulp.
 */
function grownState(): NetworkState {
  const rng = new Rng(77);
  const values = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  const s1: NetworkState = {
    inputDim: 5,
    layers: [
      { W: matrix(5, 4, values(20)), b: values(4), born: Int32Array.of(1, 1, 1, 1), copyOf: notCopies(4) },
      { W: matrix(4, 3, values(12)), b: values(3), born: Int32Array.of(1, 1, 1), copyOf: notCopies(3) },
    ],
    heads: [{ W: matrix(3, 1, values(3)), b: values(1) }],
  };
  s1.heads.push({ W: matrix(3, 3, values(9)), b: values(3) });
  const s = expandState(s1, 2, [2, 1], rng.fork('expand'));
  const specials = fromBits(0x80000000, 0x00000001, 0x007fffff, 0x80000001, 0x7f7fffff, 0xff7fffff, 0x3f800001, 0x00800000);
  s.layers[0].W.data.set(specials, 3);
  s.layers[1].b.set(fromBits(0x80000000, 0x00000001), 0);
  s.heads[0]!.b.set(fromBits(0x80000000));
  s.heads[1]!.W.data.set(fromBits(0x807fffff, 0x00000002), 4);
  s.layers[0].copyOf[5] = 1; // lineage: unit 6 (born at task 2) is a split copy of unit 2
  checkState(s);
  assert.deepEqual([s.heads[0]!.W.rows, s.heads[0]!.W.cols], [3, 1]);
  assert.deepEqual([s.heads[1]!.W.rows, s.heads[1]!.W.cols], [4, 3]);
  return s;
}

function assertBitIdentical(actual: NetworkState, expected: NetworkState): void {
  assert.equal(actual.inputDim, expected.inputDim);
  assert.equal(actual.layers.length, expected.layers.length);
  expected.layers.forEach((l, i) => {
    const a = actual.layers[i];
    assert.deepEqual([a.W.rows, a.W.cols], [l.W.rows, l.W.cols], `layer ${i + 1} shape`);
    assert.ok(a.W.data instanceof Float32Array && a.b instanceof Float32Array && a.born instanceof Int32Array, `layer ${i + 1} types`);
    assert.deepEqual(bits(a.W.data), bits(l.W.data), `layer ${i + 1} W`);
    assert.deepEqual(bits(a.b), bits(l.b), `layer ${i + 1} b`);
    assert.deepEqual(Array.from(a.born), Array.from(l.born), `layer ${i + 1} born`);
    assert.ok(a.copyOf instanceof Int32Array, `layer ${i + 1} lineage type`);
    assert.deepEqual(Array.from(a.copyOf), Array.from(l.copyOf), `layer ${i + 1} lineage`);
  });
  assert.equal(actual.heads.length, expected.heads.length);
  expected.heads.forEach((h, j) => {
    const a = actual.heads[j]!;
    assert.deepEqual([a.W.rows, a.W.cols], [h!.W.rows, h!.W.cols], `head ${j + 1} shape`);
    assert.deepEqual(bits(a.W.data), bits(h!.W.data), `head ${j + 1} W`);
    assert.deepEqual(bits(a.b), bits(h!.b), `head ${j + 1} b`);
  });
}

function assertModelBitIdentical(actual: ModelState, expected: ModelState): void {
  assert.equal(actual.routing, expected.routing);
  assert.equal(actual.timestamps, expected.timestamps);
  assert.equal(actual.networks.length, expected.networks.length);
  expected.networks.forEach((n, i) => assertBitIdentical(actual.networks[i], n));
  assert.deepEqual(Object.keys(actual.aux), Object.keys(expected.aux));
  for (const [name, layers] of Object.entries(expected.aux)) {
    layers.forEach((a, l) => {
      assert.ok(actual.aux[name][l].W instanceof Float32Array);
      assert.deepEqual(bits(actual.aux[name][l].W), bits(a.W), `aux ${name} layer ${l + 1} W`);
      assert.deepEqual(bits(actual.aux[name][l].b), bits(a.b), `aux ${name} layer ${l + 1} b`);
    });
  }
}

const grownModel = (): ModelState => sharedModel(grownState());

/** Runs `fn`, expects a CheckpointError naming the folder, and returns its message. */
function rejects(dir: string, fn: () => unknown, ...parts: RegExp[]): string {
  let result: unknown;
  let caught: unknown;
  try {
    result = fn();
  } catch (err) {
    caught = err;
  }
  assert.equal(result, undefined, 'a failed load must not return anything');
  assert.ok(caught instanceof CheckpointError, `expected a CheckpointError, got ${String(caught)}`);
  assert.equal(caught.name, 'CheckpointError');
  assert.ok(caught.message.includes(dir), `message ${JSON.stringify(caught.message)} should name the folder ${dir}`);
  for (const p of parts) assert.match(caught.message, p);
  return caught.message;
}

function savedCopy(name: string): string {
  const dir = freshPath(name);
  saveCheckpoint(dir, grownModel(), { task: 2 });
  return dir;
}

const networkJson = (dir: string) => path.join(dir, 'network.json');
const weightsBin = (dir: string) => path.join(dir, 'weights.bin');

function editJson(dir: string, edit: (json: any) => void): void {
  const json = JSON.parse(fs.readFileSync(networkJson(dir), 'utf8'));
  edit(json);
  fs.writeFileSync(networkJson(dir), JSON.stringify(json, null, 2));
}

/** Rewrites a checkpoint in format 2, the layout before lineage: no copyOf arrays (bytes and manifest). */
function downgradeToVersion2(dir: string): void {
  const json = JSON.parse(fs.readFileSync(networkJson(dir), 'utf8'));
  const bytes = fs.readFileSync(weightsBin(dir));
  const kept: Buffer[] = [];
  let offset = 0;
  json.weightsManifest[0].weights = json.weightsManifest[0].weights.filter((w: { name: string; shape: number[] }) => {
    const end = offset + w.shape.reduce((a, b) => a * b, 1) * 4;
    const keep = !w.name.endsWith('/copyOf');
    if (keep) kept.push(bytes.subarray(offset, end));
    offset = end;
    return keep;
  });
  const out = Buffer.concat(kept);
  json.formatVersion = 2;
  json.weightsBytes = out.length;
  json.weightsSha256 = crypto.createHash('sha256').update(out).digest('hex');
  fs.writeFileSync(weightsBin(dir), out);
  fs.writeFileSync(networkJson(dir), JSON.stringify(json, null, 2));
}

/** The state as a format-2 checkpoint loads it: units born after task 1 have an unknown lineage. */
function withoutLineage(s: NetworkState): NetworkState {
  return { ...s, layers: s.layers.map((l) => ({ ...l, copyOf: l.born.map((b) => (b > 1 ? COPY_UNKNOWN : NOT_A_COPY)) })) };
}

describe('checkpoint: round trip', () => {
  it('restores every float32 and int32 value bit-identically, with meta and extra files', () => {
    const state = grownState();
    const dir = freshPath('roundtrip');
    const meta = { task: 2, name: 'task 2', method: 'den', nested: { list: [1, 2.5, null], flag: true } };
    saveCheckpoint(dir, sharedModel(state), meta, { 'experiment.json': '{"name":"x"}\n', 'notes.txt': 'ünïcode ✓\n' });

    assert.deepEqual(fs.readdirSync(dir).sort(), ['experiment.json', 'network.json', 'notes.txt', 'weights.bin']);
    assert.equal(fs.readFileSync(path.join(dir, 'experiment.json'), 'utf8'), '{"name":"x"}\n');
    assert.equal(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'ünïcode ✓\n');

    const json = JSON.parse(fs.readFileSync(networkJson(dir), 'utf8'));
    assert.equal(json.format, CHECKPOINT_FORMAT);
    assert.equal(json.formatVersion, CHECKPOINT_VERSION);
    assert.equal(json.inputDim, 5);
    assert.equal(json.routing, 'shared');
    assert.equal(json.timestamps, true);
    assert.deepEqual(json.networks, [{ hiddenLayers: 2, tasks: 2 }]);
    assert.deepEqual(json.aux, []);
    assert.deepEqual(json.meta, meta);
    // weights: W, b, born, copyOf: 5·6 + 6 + 6 + 6 and 6·4 + 4 + 4 + 4 (layers), 3 + 1 + 12 + 3 (heads) values of 4 bytes
    const values = 30 + 6 + 6 + 6 + 24 + 4 + 4 + 4 + 3 + 1 + 12 + 3;
    assert.equal(json.weightsBytes, values * 4);
    assert.equal(fs.statSync(weightsBin(dir)).size, values * 4);
    assert.match(json.weightsSha256, /^[0-9a-f]{64}$/);

    const loaded = loadCheckpoint(dir);
    const net = loaded.model.networks[0];
    assertBitIdentical(net, state);
    assert.deepEqual(loaded.meta, meta);
    assert.doesNotThrow(() => checkState(net));
    // specifically the awkward values
    assert.ok(Object.is(net.layers[0].W.data[3], -0));
    assert.equal(net.layers[0].W.data[4], 2 ** -149);
    assert.ok(Object.is(net.heads[0]!.b[0], -0));
    // the loaded arrays do not alias each other or the file buffer in a way that leaks writes
    net.layers[0].b[0] = 123;
    assert.notEqual(net.layers[0].W.data[0], 123);
    assertBitIdentical(loadCheckpoint(dir).model.networks[0], state);
  });

  it('writes an empty meta object by default and loads it back', () => {
    const dir = freshPath('nometa');
    saveCheckpoint(dir, grownModel());
    assert.deepEqual(loadCheckpoint(dir).meta, {});
    assert.deepEqual(fs.readdirSync(dir).sort(), ['network.json', 'weights.bin']);
  });

  it('refuses to save an inconsistent state or a state with a missing head, writing nothing', () => {
    const bad = grownState();
    bad.layers[1].born = Int32Array.of(1, 2, 1, 2);
    const dir = freshPath('bad');
    assert.throws(() => saveCheckpoint(dir, sharedModel(bad)), /layer 2/);
    const noHead = grownState();
    noHead.heads = [undefined, noHead.heads[1]];
    const dir2 = freshPath('nohead');
    assert.throws(() => saveCheckpoint(dir2, sharedModel(noHead)), /task 1 has no head/);
    assert.ok(!fs.existsSync(dir) && !fs.existsSync(dir2));
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-')), []);
  });
});

describe('checkpoint: atomic folder', () => {
  it('leaves no temporary folder next to the checkpoint', () => {
    const parent = fs.mkdtempSync(path.join(tmp, 'parent-'));
    saveCheckpoint(path.join(parent, 'task-001'), grownModel());
    saveCheckpoint(path.join(parent, 'nested', 'task-002'), grownModel());
    assert.deepEqual(fs.readdirSync(parent).sort(), ['nested', 'task-001']);
    assert.deepEqual(fs.readdirSync(path.join(parent, 'nested')), ['task-002']);
  });

  it('fails to save into an existing folder and leaves it untouched', () => {
    const parent = fs.mkdtempSync(path.join(tmp, 'existing-'));
    const dir = path.join(parent, 'task-001');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    assert.throws(() => saveCheckpoint(dir, grownModel()));
    assert.deepEqual(fs.readdirSync(dir), ['keep.txt']);
    assert.equal(fs.readFileSync(path.join(dir, 'keep.txt'), 'utf8'), 'mine');
    assert.deepEqual(fs.readdirSync(parent), ['task-001']);

    // an existing checkpoint is not overwritten either
    const first = path.join(parent, 'task-002');
    saveCheckpoint(first, grownModel(), { which: 'first' });
    const before = fs.readFileSync(weightsBin(first));
    const other = grownState();
    other.layers[0].W.data[0] = 42;
    assert.throws(() => saveCheckpoint(first, sharedModel(other), { which: 'second' }));
    assert.deepEqual(loadCheckpoint(first).meta, { which: 'first' });
    assert.ok(fs.readFileSync(weightsBin(first)).equals(before));

    // nor an empty folder (rename(2) would silently replace an empty directory)
    const empty = path.join(parent, 'task-003');
    fs.mkdirSync(empty);
    assert.throws(() => saveCheckpoint(empty, grownModel()), /exists/);
    assert.deepEqual(fs.readdirSync(empty), []);
    assert.deepEqual(fs.readdirSync(parent).sort(), ['task-001', 'task-002', 'task-003']);
  });
});

describe('checkpoint: rejected folders', () => {
  it('a folder without network.json', () => {
    const dir = savedCopy('nojson');
    fs.rmSync(networkJson(dir));
    rejects(dir, () => loadCheckpoint(dir), /network\.json is missing/);
    const missing = path.join(tmp, 'does-not-exist');
    rejects(missing, () => loadCheckpoint(missing), /network\.json is missing/);
  });

  it('a truncated network.json (invalid JSON)', () => {
    const dir = savedCopy('badjson');
    const text = fs.readFileSync(networkJson(dir), 'utf8');
    fs.writeFileSync(networkJson(dir), text.slice(0, Math.floor(text.length / 2)));
    rejects(dir, () => loadCheckpoint(dir), /network\.json is not valid JSON/);
  });

  it('a network.json of another format', () => {
    const dir = savedCopy('format');
    editJson(dir, (j) => (j.format = 'tfjs-layers-model'));
    rejects(dir, () => loadCheckpoint(dir), /not a DEN Lab network/, /tfjs-layers-model/);
  });

  it('a newer format version, with a hint to update', () => {
    const dir = savedCopy('version');
    editJson(dir, (j) => (j.formatVersion = CHECKPOINT_VERSION + 1));
    rejects(dir, () => loadCheckpoint(dir), new RegExp(`format version ${CHECKPOINT_VERSION + 1} is not supported`), /update DEN Lab/);
    // an older (unknown) version is rejected without the update hint
    const old = savedCopy('oldversion');
    editJson(old, (j) => (j.formatVersion = 0));
    const message = rejects(old, () => loadCheckpoint(old), /format version 0 is not supported/);
    assert.doesNotMatch(message, /update/);
  });

  it('a truncated weights.bin', () => {
    const dir = savedCopy('truncated');
    const bytes = fs.readFileSync(weightsBin(dir));
    fs.writeFileSync(weightsBin(dir), bytes.subarray(0, bytes.length - 4));
    rejects(dir, () => loadCheckpoint(dir), new RegExp(`weights\\.bin has ${bytes.length - 4} bytes, expected ${bytes.length}`));
    fs.rmSync(weightsBin(dir));
    rejects(dir, () => loadCheckpoint(dir), /weights\.bin is missing/);
  });

  it('one flipped byte in weights.bin (checksum)', () => {
    const dir = savedCopy('flipped');
    const bytes = fs.readFileSync(weightsBin(dir));
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    fs.writeFileSync(weightsBin(dir), bytes);
    rejects(dir, () => loadCheckpoint(dir), /SHA-256 checksum/);
  });

  it('a manifest whose shapes contradict the layer sizes (checksum still valid)', () => {
    // layer 1 is 5×6: declaring it 6×5 keeps the byte count, so only the structure check can see it
    const dir = savedCopy('transposed');
    editJson(dir, (j) => {
      const w = j.weightsManifest[0].weights.find((s: any) => s.name === 'net1/layer1/W');
      assert.deepEqual(w.shape, [5, 6]);
      w.shape = [6, 5];
    });
    rejects(dir, () => loadCheckpoint(dir), /inconsistent network/, /layer 1: weights are 6×5, expected 5×6/);
  });

  it('a manifest whose head rows contradict the timestamps (checksum still valid)', () => {
    // task 1 sees 3 top units (the 4th was born at task 2); a head declared 1×3 has the same bytes
    const dir = savedCopy('headrows');
    editJson(dir, (j) => {
      const w = j.weightsManifest[0].weights.find((s: any) => s.name === 'net1/head1/W');
      assert.deepEqual(w.shape, [3, 1]);
      w.shape = [1, 3];
    });
    rejects(dir, () => loadCheckpoint(dir), /inconsistent network/, /head of task 1: has 1 rows but task 1 sees 3 top-layer units/);
  });

  it('a manifest that describes more or fewer bytes than weights.bin holds', () => {
    const bigger = savedCopy('bigger');
    editJson(bigger, (j) => (j.weightsManifest[0].weights.find((s: any) => s.name === 'net1/layer1/W').shape = [6, 6]));
    rejects(bigger, () => loadCheckpoint(bigger), /does not fit in weights\.bin/);
    const smaller = savedCopy('smaller');
    editJson(smaller, (j) => (j.weightsManifest[0].weights.find((s: any) => s.name === 'net1/head2/b').shape = [2]));
    rejects(smaller, () => loadCheckpoint(smaller), /4 bytes that no weight describes/);
    const noManifest = savedCopy('nomanifest');
    editJson(noManifest, (j) => delete j.weightsManifest);
    rejects(noManifest, () => loadCheckpoint(noManifest), /no weights manifest/);
  });

  it('a manifest that lost a weight, or declares more tasks than it has heads', () => {
    const dir = savedCopy('lostweight');
    editJson(dir, (j) => (j.weightsManifest[0].weights.find((s: any) => s.name === 'net1/layer2/born').name = 'net1/layer2/bornx'));
    rejects(dir, () => loadCheckpoint(dir), /net1\/layer2\/born is missing/);
    const tasks = savedCopy('moretasks');
    editJson(tasks, (j) => (j.networks[0].tasks = 3));
    rejects(tasks, () => loadCheckpoint(tasks), /net1\/head3\/W is missing/);
    const fewer = savedCopy('fewertasks');
    editJson(fewer, (j) => (j.networks[0].tasks = 1));
    rejects(fewer, () => loadCheckpoint(fewer), /weight net1\/head2\/W is not part of the model/);
    const noNetworks = savedCopy('nonetworks');
    editJson(noNetworks, (j) => delete j.networks);
    rejects(noNetworks, () => loadCheckpoint(noNetworks), /does not describe its networks/);
  });
});

describe('checkpoint: models of several networks, aux arrays, version 1', () => {
  /** An stl-like model: three independent networks of one head each, and an aux array on network 1. */
  function perTaskModel(): ModelState {
    const rng = new Rng(5);
    const networks = [1, 3, 1].map((outputs) => {
      const n = initialState(5, [4, 3], rng.fork(outputs));
      n.heads.push({ W: matrix(3, outputs, Float32Array.from({ length: 3 * outputs }, () => rng.uniform(-1, 1))), b: new Float32Array(outputs).fill(0.5) });
      return n;
    });
    const aux = { fisher: networks[0].layers.map((l) => ({ W: Float32Array.from(l.W.data, (v) => v * v), b: Float32Array.from(l.b, (_, i) => i + 0.25) })) };
    return { routing: 'per-task', timestamps: true, networks, aux };
  }

  it('round-trips several networks and aux arrays bit-identically', () => {
    const model = perTaskModel();
    const dir = freshPath('pertask');
    saveCheckpoint(dir, model, { method: 'stl' });
    const json = JSON.parse(fs.readFileSync(networkJson(dir), 'utf8'));
    assert.equal(json.routing, 'per-task');
    assert.deepEqual(json.networks, [{ hiddenLayers: 2, tasks: 1 }, { hiddenLayers: 2, tasks: 1 }, { hiddenLayers: 2, tasks: 1 }]);
    assert.deepEqual(json.aux, ['fisher']);
    const names = json.weightsManifest[0].weights.map((w: { name: string }) => w.name);
    assert.ok(names.includes('net3/head1/W') && names.includes('aux/fisher/layer2/b'));
    assertModelBitIdentical(loadCheckpoint(dir).model, model);
    // the no-timestamps flag survives too
    const untimed = { ...sharedModel(grownState()), timestamps: false };
    const dir2 = freshPath('untimed');
    saveCheckpoint(dir2, untimed);
    assertModelBitIdentical(loadCheckpoint(dir2).model, untimed);
  });

  it('refuses to save aux arrays that do not match the layers, or a per-task network with two heads', () => {
    const model = perTaskModel();
    model.aux.fisher[1].W = new Float32Array(5);
    assert.throws(() => saveCheckpoint(freshPath('badaux'), model), /aux 'fisher' layer 2/);
    const twoHeads = perTaskModel();
    twoHeads.networks[1].heads.push(twoHeads.networks[1].heads[0]);
    assert.throws(() => saveCheckpoint(freshPath('twoheads'), twoHeads), /network 2 of a per-task model must have exactly one head/);
    const shared = grownModel();
    shared.networks.push(grownState());
    assert.throws(() => saveCheckpoint(freshPath('twoshared'), shared), /a shared model has exactly one network/);
  });

  it('rejects an aux array whose declared shape differs from its layer (same byte count)', () => {
    const dir = freshPath('auxshape');
    saveCheckpoint(dir, perTaskModel());
    editJson(dir, (j) => {
      const w = j.weightsManifest[0].weights.find((s: any) => s.name === 'aux/fisher/layer1/W');
      assert.deepEqual(w.shape, [5, 4]);
      w.shape = [4, 5];
    });
    rejects(dir, () => loadCheckpoint(dir), /aux array fisher of layer 1 is shaped \[4,5\]/);
    const missing = freshPath('auxmissing');
    saveCheckpoint(missing, perTaskModel());
    editJson(missing, (j) => j.aux.push('anchor'));
    rejects(missing, () => loadCheckpoint(missing), /aux\/anchor\/layer1\/W is missing/);
    const routing = freshPath('routing');
    saveCheckpoint(routing, perTaskModel());
    editJson(routing, (j) => (j.routing = 'shared'));
    rejects(routing, () => loadCheckpoint(routing), /inconsistent network: a shared model has exactly one network, got 3/);
  });

  it('still loads a version-1 checkpoint (one network, unprefixed names) as a shared, timestamped model', () => {
    // write the v1 layout by hand from a v2 checkpoint: same bytes, old names and fields
    const dir = savedCopy('v1');
    downgradeToVersion2(dir);
    editJson(dir, (j) => {
      j.formatVersion = 1;
      j.hiddenLayers = j.networks[0].hiddenLayers;
      j.tasks = j.networks[0].tasks;
      for (const key of ['networks', 'routing', 'timestamps', 'aux']) delete j[key];
      for (const w of j.weightsManifest[0].weights) w.name = w.name.replace(/^net1\//, '');
    });
    const { model } = loadCheckpoint(dir);
    assert.equal(model.routing, 'shared');
    assert.equal(model.timestamps, true);
    assert.deepEqual(model.aux, {});
    assertBitIdentical(model.networks[0], withoutLineage(grownState()));
  });

  it('still loads a version-2 checkpoint (no lineage): units born after task 1 have an unknown lineage, and saving it again keeps that', () => {
    const dir = savedCopy('v2');
    downgradeToVersion2(dir);
    const { model } = loadCheckpoint(dir);
    const expected = withoutLineage(grownState());
    assertBitIdentical(model.networks[0], expected);
    // the planted copy is not claimed: unit 6 was born at task 2, its origin is unknown
    assert.equal(model.networks[0].layers[0].copyOf[5], COPY_UNKNOWN);
    assert.equal(model.networks[0].layers[0].copyOf[0], NOT_A_COPY);
    const again = freshPath('v2-resaved');
    saveCheckpoint(again, model);
    assertBitIdentical(loadCheckpoint(again).model.networks[0], expected);
  });

  it('rejects a lineage that names a unit that is not an earlier one of the layer', () => {
    for (const [name, bad] of [
      ['self', 5],
      ['born at the same task', 4],
      ['out of range', 40],
      ['unknown for a task-1 unit', COPY_UNKNOWN],
    ] as const) {
      const s = grownState();
      if (name === 'unknown for a task-1 unit') s.layers[0].copyOf[0] = bad;
      else s.layers[0].copyOf[5] = bad;
      assert.throws(() => checkState(s), /layer 1: unit \d+ is recorded as a copy of/, name);
    }
  });
});

describe('checkpoint: a model of columns (progressive)', () => {
  /** Two columns on 5 inputs ([4, 3] then [2, 2] units) with non-zero laterals, and a head each. */
  function columnsModel(): ModelState {
    const rng = new Rng(9);
    const one = initialState(5, [4, 3], rng.fork('c1'));
    one.heads.push(newHead(3, 2, rng.fork('h1')));
    const two = addColumn(one, 2, initialState(5, [2, 2], rng.fork('c2')));
    for (let r = 0; r < 4; r++) for (let c = 3; c < 5; c++) two.layers[1].W.data[r * 5 + c] = rng.uniform(-1, 1);
    two.heads.push(columnHead(two, newHead(2, 1, rng.fork('h2'))));
    return { routing: 'columns', timestamps: true, networks: [two], aux: {} };
  }

  it('round-trips bit-identically, with routing "columns" in the same format version', () => {
    const model = columnsModel();
    const dir = freshPath('columns');
    saveCheckpoint(dir, model, { method: 'progressive' });
    const json = JSON.parse(fs.readFileSync(networkJson(dir), 'utf8'));
    assert.equal(json.routing, 'columns');
    assert.equal(json.formatVersion, CHECKPOINT_VERSION);
    assertModelBitIdentical(loadCheckpoint(dir).model, model);
  });

  it('rejects a checkpoint in which a column reads a later one, even with a matching checksum', () => {
    const dir = freshPath('columns-bad');
    saveCheckpoint(dir, columnsModel());
    // weight [row 5, column 1] of layer 2: column 2's first unit below into column 1's first unit above
    const json = JSON.parse(fs.readFileSync(networkJson(dir), 'utf8'));
    const specs: { name: string; shape: number[] }[] = json.weightsManifest[0].weights;
    const before = specs.slice(0, specs.findIndex((s) => s.name === 'net1/layer2/W')).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    const bytes = fs.readFileSync(weightsBin(dir));
    bytes.writeFloatLE(0.5, 4 * (before + 4 * 5 + 0));
    fs.writeFileSync(weightsBin(dir), bytes);
    editJson(dir, (j) => (j.weightsSha256 = crypto.createHash('sha256').update(bytes).digest('hex')));
    rejects(dir, () => loadCheckpoint(dir), /inconsistent network: layer 2: unit 1 \(column 1\) reads unit 5 of the later column 2 \(weight 0\.5\)/);
    // the same model under routing "shared" is a dense network and loads
    editJson(dir, (j) => (j.routing = 'shared'));
    assert.equal(loadCheckpoint(dir).model.routing, 'shared');
  });
});
