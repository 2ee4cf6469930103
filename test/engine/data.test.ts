import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DataConfig, IdxSource, MnistSource, TaskStreamConfig } from '../../src/engine/experiment';
import { Rng } from '../../src/engine/random';
import { loadCsv, parseCsv, scaleCsvFeatures } from '../../src/engine/data/csv';
import { classesOf, DataError, DataSplits, Dataset, subset } from '../../src/engine/data/dataset';
import { encodeIdx, loadIdxPair, parseIdx, readIdxImages, readIdxLabels } from '../../src/engine/data/idx';
import { loadData } from '../../src/engine/data/load';
import { EMBEDDED_MNIST_FILES, loadEmbeddedMnist, readPackedMnist, writeEmbeddedMnistIdx } from '../../src/engine/data/mnist';
import { buildTasks, materialized, Task } from '../../src/engine/data/tasks';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'den-data-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** An IDX file built by hand (independent of encodeIdx): magic, big-endian dims, payload. */
function idxBytes(type: number, dims: number[], payload: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(payload)]);
}

function write(name: string, data: Uint8Array | string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, data);
  return file;
}

function randomBytes(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

function throwsData(fn: () => unknown, ...parts: (string | RegExp)[]): DataError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DataError, `expected a DataError, got ${String(caught)}`);
  for (const p of parts) {
    if (typeof p === 'string') assert.ok(caught.message.includes(p), `message ${JSON.stringify(caught.message)} should contain ${JSON.stringify(p)}`);
    else assert.match(caught.message, p);
  }
  return caught;
}

function rowOf(t: Task['train'], e: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(t.features);
  const y = new Float32Array(t.outputs);
  t.fill([e], 0, 1, x, y);
  return { x, y };
}

describe('data: IDX files', () => {
  const images = randomBytes(5 * 3 * 4, 7);
  const labels = Uint8Array.from([3, 1, 4, 1, 5]);

  for (const gz of [false, true]) {
    it(`round-trips ${gz ? 'gzipped' : 'plain'} image and label files`, () => {
      const wrap = (b: Buffer) => (gz ? zlib.gzipSync(b) : b);
      const imgFile = write(`img-${gz}.idx3`, wrap(idxBytes(8, [5, 3, 4], images)));
      const lblFile = write(`lbl-${gz}.idx1`, wrap(idxBytes(8, [5], labels)));
      const img = readIdxImages(imgFile);
      assert.deepEqual([img.count, img.rows, img.cols], [5, 3, 4]);
      assert.deepEqual(Array.from(img.data), Array.from(images));
      assert.deepEqual(Array.from(readIdxLabels(lblFile).data), Array.from(labels));
      const ds = loadIdxPair(imgFile, lblFile);
      assert.equal(ds.count, 5);
      assert.equal(ds.features, 12);
      assert.deepEqual(ds.imageShape, [3, 4]);
      assert.ok(ds.x instanceof Uint8Array);
      assert.deepEqual(Array.from(ds.x), Array.from(images));
      assert.deepEqual(Array.from(ds.labels), [3, 1, 4, 1, 5]);
    });
  }

  it('encodeIdx writes what parseIdx (and the hand-built format) agree on', () => {
    const enc = encodeIdx([5, 3, 4], images);
    assert.deepEqual(Buffer.from(enc), idxBytes(8, [5, 3, 4], images));
    const parsed = parseIdx(encodeIdx([5, 3, 4], images, true), 'x.gz');
    assert.deepEqual(parsed.dims, [5, 3, 4]);
    assert.deepEqual(Array.from(parsed.data), Array.from(images));
  });

  it('rejects a bad magic number', () => {
    const bytes = idxBytes(8, [5], labels);
    bytes[0] = 0x50;
    throwsData(() => readIdxLabels(write('bad-magic.idx1', bytes)), 'bad-magic.idx1', 'not an IDX file');
  });

  it('rejects non-ubyte data types', () => {
    const file = write('float.idx1', idxBytes(0x0d, [2], new Uint8Array(8)));
    throwsData(() => readIdxLabels(file), 'float.idx1', 'float32', 'only unsigned-byte (ubyte');
  });

  it('rejects a bad number of dimensions', () => {
    const file = write('dims0.idx', idxBytes(8, [], new Uint8Array(0)));
    throwsData(() => readIdxLabels(file), 'dims0.idx', '0 dimensions');
  });

  it('rejects a truncated payload, saying expected and actual bytes', () => {
    const file = write('short.idx3', idxBytes(8, [5, 3, 4], images.subarray(0, 50)));
    throwsData(() => readIdxImages(file), 'short.idx3', 'truncated', '60 bytes', 'has 50');
  });

  it('rejects trailing bytes', () => {
    const file = write('long.idx1', Buffer.concat([idxBytes(8, [5], labels), Buffer.from([0, 0])]));
    throwsData(() => readIdxLabels(file), 'long.idx1', 'trailing');
  });

  it('rejects corrupt and truncated gzip data', () => {
    const gz = zlib.gzipSync(idxBytes(8, [5, 3, 4], images));
    throwsData(() => readIdxImages(write('cut.idx3.gz', gz.subarray(0, gz.length - 10))), 'cut.idx3.gz', 'gzip');
    const bad = Buffer.from(gz);
    for (let i = 10; i < bad.length - 8; i++) bad[i] ^= 0xa5;
    throwsData(() => readIdxImages(write('garbled.idx3.gz', bad)), 'garbled.idx3.gz', 'gzip');
  });

  it('rejects images with the wrong dimensionality', () => {
    const file = write('flat.idx', idxBytes(8, [60], images));
    throwsData(() => readIdxImages(file), 'flat.idx', '3 dimensions');
  });

  it('rejects image and label files with different counts, naming both', () => {
    const imgFile = write('five.idx3', idxBytes(8, [5, 3, 4], images));
    const lblFile = write('four.idx1', idxBytes(8, [4], labels.subarray(0, 4)));
    throwsData(() => loadIdxPair(imgFile, lblFile), imgFile, lblFile, '5 images', '4 labels');
  });

  it('reports a missing file with its path and the experiment field', () => {
    const missing = path.join(tmp, 'nope', 'train-images.idx3-ubyte.gz');
    throwsData(() => loadIdxPair(missing, missing, { images: 'data.trainImages' }), missing, 'file not found', 'data.trainImages');
    const cfg: IdxSource = { source: 'idx', trainImages: 'absent.idx3', trainLabels: 'absent.idx1', seed: 1, testFraction: 0.2, validationFraction: 0.1 };
    throwsData(() => loadData(cfg, tmp), path.join(tmp, 'absent.idx3'), 'data.trainImages');
  });
});

describe('data: CSV files', () => {
  it('parses a header, quoted fields, CRLF and blank trailing lines', () => {
    const text = '\ufeff"a,1",label,"say ""b"""\r\n0.5,"3",2\r\n"1e1",0,-4\r\n\r\n\r\n';
    const p = parseCsv(text, 'q.csv', 'label');
    assert.equal(p.count, 2);
    assert.equal(p.features, 2);
    assert.deepEqual(p.columns, ['a,1', 'say "b"']);
    assert.deepEqual(Array.from(p.labels), [3, 0]);
    assert.deepEqual(Array.from(p.x), [0.5, 2, 10, -4]);
  });

  it('counts lines across a quoted field with a newline', () => {
    const text = 'label,"multi\nline"\n1,2\n2,x\n';
    throwsData(() => parseCsv(text, 'ml.csv', 'label'), 'ml.csv', 'line 4', 'column "multi\nline"');
  });

  it('scales features with the training min/max; constant columns become 0; test values are clipped', () => {
    const train = { x: Float32Array.from([0, 5, 10, 10, 5, 20]), count: 3, features: 2 };
    const test = { x: Float32Array.from([-10, 5, 5, 30]), count: 2, features: 2 };
    // rows (0,5), (10,10), (5,20): column 0 spans 0..10, column 1 spans 5..20
    const stats = scaleCsvFeatures(train, test);
    assert.deepEqual(Array.from(stats.min), [0, 5]);
    assert.deepEqual(Array.from(stats.max), [10, 20]);
    assert.deepEqual(Array.from(train.x), [0, 0, 1, 5 / 15, 0.5, 1].map(Math.fround));
    assert.deepEqual(Array.from(test.x), [0, 0, 0.5, 1]);
    const constant = { x: Float32Array.from([7, 7]), count: 2, features: 1 };
    const constantTest = { x: Float32Array.from([9]), count: 1, features: 1 };
    scaleCsvFeatures(constant, constantTest);
    assert.deepEqual(Array.from(constant.x), [0, 0]);
    assert.deepEqual(Array.from(constantTest.x), [0]);
  });

  it('loads train and test files, scaling the test file with the training statistics', () => {
    write('train.csv', 'f1,f2,f3,f4,y\n0,0,0,0,0\n10,2,4,8,1\n5,1,2,4,2\n');
    write('test.csv', 'f1,f2,f3,f4,y\n20,1,2,-1,1\n');
    const { train, test } = loadCsv({ source: 'csv', train: 'train.csv', test: 'test.csv', labelColumn: 'y', imageShape: [2, 2], seed: 1, testFraction: 0.2, validationFraction: 0.1 }, tmp);
    assert.equal(train.count, 3);
    assert.ok(train.x instanceof Float32Array);
    assert.deepEqual(Array.from(train.x.subarray(8)), [0.5, 0.5, 0.5, 0.5]);
    assert.deepEqual(train.imageShape, [2, 2]);
    assert.deepEqual(Array.from(test!.x), [1, 0.5, 0.5, 0]);
    assert.deepEqual(Array.from(test!.labels), [1]);
    const bad = () => loadCsv({ source: 'csv', train: 'train.csv', labelColumn: 'y', imageShape: [3, 3], seed: 1, testFraction: 0.2, validationFraction: 0.1 }, tmp);
    throwsData(bad, path.join(tmp, 'train.csv'), 'imageShape', '9 pixels', '4 feature columns');
  });

  it('reports bad content with file, line and column', () => {
    throwsData(() => parseCsv('a,b\n1,2\n', 'nolabel.csv', 'label'), 'nolabel.csv', '"label"', 'a, b');
    throwsData(() => parseCsv('label,a\n1,2\n1.5,3\n', 'frac.csv', 'label'), 'frac.csv', 'line 3', 'column "label"', '1.5');
    throwsData(() => parseCsv('label,a\n-1,2\n', 'neg.csv', 'label'), 'neg.csv', 'line 2', 'column "label"');
    throwsData(() => parseCsv('label,a\n1,2\n\n2,abc\n', 'nan.csv', 'label'), 'nan.csv', 'line 4', 'column "a"', 'abc');
    throwsData(() => parseCsv('label,a\n1,\n', 'empty.csv', 'label'), 'empty.csv', 'line 2', 'column "a"');
    throwsData(() => parseCsv('label,a\n1,2,3\n', 'wide.csv', 'label'), 'wide.csv', 'line 2', '3 fields', '2 columns');
    throwsData(() => parseCsv('label,a\r\n\r\n', 'rows.csv', 'label'), 'rows.csv', 'no data rows');
    throwsData(() => parseCsv('', 'blank.csv', 'label'), 'blank.csv', 'empty');
    throwsData(() => parseCsv('label,a\n1,"2\n', 'open.csv', 'label'), 'open.csv', 'line 2', 'never closed');
  });
});

describe('data: embedded MNIST', () => {
  const digitsDir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const json = (d: number): number[] => JSON.parse(fs.readFileSync(path.join(digitsDir, `${d}.json`), 'utf8')).data;

  it('has 10,000 28×28 digits, labels 0..9 in order with the package counts', () => {
    const ds = loadEmbeddedMnist();
    assert.equal(ds.count, 10000);
    assert.equal(ds.features, 784);
    assert.deepEqual(ds.imageShape, [28, 28]);
    assert.ok(ds.x instanceof Uint8Array);
    assert.deepEqual(classesOf(ds), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let row = 0;
    for (let d = 0; d < 10; d++) {
      const values = json(d);
      const n = values.length / 784;
      for (let i = row; i < row + n; i++) assert.equal(ds.labels[i], d);
      // first and last image of each digit match the package values
      for (const [e, k] of [[row, 0], [row + n - 1, n - 1]]) {
        const pixels: number[] = Array.from(ds.x.subarray(e * 784, (e + 1) * 784), (v: number) => +(v / 255).toFixed(3));
        assert.deepEqual(pixels, values.slice(k * 784, (k + 1) * 784));
      }
      row += n;
    }
    assert.equal(row, 10000);
    assert.equal(loadEmbeddedMnist(), ds, 'cached');
  });

  it('the packed IDX files give exactly the same data set', () => {
    const dir = path.join(tmp, 'packed');
    assert.equal(readPackedMnist(dir), undefined);
    writeEmbeddedMnistIdx(dir);
    assert.ok(fs.statSync(path.join(dir, EMBEDDED_MNIST_FILES.images)).size < 4_000_000);
    const packed = readPackedMnist(dir)!;
    const ds = loadEmbeddedMnist();
    assert.deepEqual(packed, ds);
  });
});

describe('data: loadData', () => {
  const mnist = (over: Partial<MnistSource> = {}): DataConfig => ({ source: 'mnist', seed: 1, testFraction: 0.2, validationFraction: 0.1, ...over });

  it('splits the embedded set 7200 / 800 / 2000', () => {
    const s = loadData(mnist(), tmp);
    assert.deepEqual([s.train.count, s.validation.count, s.test.count], [7200, 800, 2000]);
    assert.equal(s.description, 'embedded MNIST: 7200 train / 800 validation / 2000 test');
  });

  it('limit 1000 gives 720 / 80 / 200, deterministically; other seeds give other splits', () => {
    const a = loadData(mnist({ limit: 1000 }), tmp);
    const b = loadData(mnist({ limit: 1000 }), tmp);
    assert.deepEqual([a.train.count, a.validation.count, a.test.count], [720, 80, 200]);
    assert.match(a.description, /limit 1000.*720 train \/ 80 validation \/ 200 test/);
    assert.deepEqual(a, b);
    const c = loadData(mnist({ limit: 1000, seed: 2 }), tmp);
    assert.notDeepEqual(Array.from(c.test.x), Array.from(a.test.x));
    assert.notDeepEqual(Array.from(c.train.labels), Array.from(a.train.labels));
  });

  // Images whose first two bytes hold their index, so the parts can be checked for overlap.
  function indexedIdx(name: string, n: number, offset: number): IdxSource['trainImages'][] {
    const px = new Uint8Array(n * 4);
    const lb = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      px[i * 4] = (i + offset) >> 8;
      px[i * 4 + 1] = (i + offset) & 255;
      lb[i] = i % 3;
    }
    return [write(`${name}-images.idx3.gz`, zlib.gzipSync(idxBytes(8, [n, 2, 2], px))), write(`${name}-labels.idx1`, idxBytes(8, [n], lb))];
  }
  const ids = (ds: Dataset): number[] => Array.from({ length: ds.count }, (_, i) => ds.x[i * 4] * 256 + ds.x[i * 4 + 1]);

  it('partitions IDX data without overlap and resolves relative paths', () => {
    indexedIdx('idx500', 500, 0);
    const s = loadData({ source: 'idx', trainImages: 'idx500-images.idx3.gz', trainLabels: 'idx500-labels.idx1', seed: 3, testFraction: 0.3, validationFraction: 0.2 }, tmp);
    assert.deepEqual([s.train.count, s.validation.count, s.test.count], [280, 70, 150]);
    const all = [...ids(s.train), ...ids(s.validation), ...ids(s.test)].sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 500 }, (_, i) => i));
    assert.match(s.description, /^IDX idx500-images\.idx3\.gz: 280 train/);
  });

  it('with test files, uses them and shares the limit proportionally', () => {
    indexedIdx('tr', 600, 0);
    indexedIdx('te', 200, 1000);
    const cfg: IdxSource = { source: 'idx', trainImages: 'tr-images.idx3.gz', trainLabels: 'tr-labels.idx1', testImages: 'te-images.idx3.gz', testLabels: 'te-labels.idx1', seed: 1, testFraction: 0.2, validationFraction: 0.1 };
    const full = loadData(cfg, tmp);
    assert.deepEqual([full.train.count, full.validation.count, full.test.count], [540, 60, 200]);
    assert.ok(ids(full.test).every((i) => i >= 1000));
    const lim = loadData({ ...cfg, limit: 400 }, tmp);
    assert.deepEqual([lim.train.count, lim.validation.count, lim.test.count], [270, 30, 100]);
    assert.ok(ids(lim.test).every((i) => i >= 1000));
    assert.ok([...ids(lim.train), ...ids(lim.validation)].every((i) => i < 600));
    assert.equal(new Set(ids(lim.test)).size, 100);
  });
});

describe('data: task streams', () => {
  let splits: DataSplits;
  before(() => {
    splits = loadData({ source: 'mnist', seed: 1, limit: 1000, testFraction: 0.2, validationFraction: 0.1 }, tmp);
  });

  it('permuted: each task permutes the pixels of the same example; targets are the labels', () => {
    const tasks = buildTasks({ type: 'permuted', count: 3 }, splits, 1);
    assert.deepEqual(tasks.map((t) => [t.index, t.name, t.outputs]), [[1, 'permuted-1', 10], [2, 'permuted-2', 10], [3, 'permuted-3', 10]]);
    const e = 5;
    const raw = Array.from(splits.train.x.subarray(e * 784, (e + 1) * 784), (v) => Math.fround(v / 255));
    const a = rowOf(tasks[0].train, e);
    const b = rowOf(tasks[1].train, e);
    const sorted = (v: ArrayLike<number>) => Array.from(v).sort((p, q) => p - q);
    assert.deepEqual(sorted(a.x), sorted(raw));
    assert.deepEqual(sorted(b.x), sorted(a.x));
    assert.notDeepEqual(Array.from(b.x), Array.from(a.x));
    for (const t of tasks) for (const p of ['train', 'validation', 'test'] as const) assert.deepEqual(Array.from(t[p].targets), Array.from(splits[p].labels));
    const oneHot = Array.from({ length: 10 }, (_, k) => (k === splits.train.labels[e] ? 1 : 0));
    assert.deepEqual(Array.from(a.y), oneHot);
    // the same permutation for validation/test rows, and the same again on a rebuild
    const again = buildTasks({ type: 'permuted', count: 3 }, splits, 1);
    assert.deepEqual(rowOf(again[1].test, 7).x, rowOf(tasks[1].test, 7).x);
    assert.notDeepEqual(rowOf(buildTasks({ type: 'permuted', count: 2 }, splits, 9)[1].train, e).x, b.x);
  });

  it('materialized: the same batches as the task data it copies, for permuted, rotated, split and binary tasks', () => {
    const streams: TaskStreamConfig[] = [{ type: 'permuted', count: 2 }, { type: 'rotated', angles: [0, 35] }, { type: 'split', groups: [[0, 1], [2, 5, 7]] }, { type: 'one-vs-rest' }];
    for (const stream of streams) {
      const data = buildTasks(stream, splits, 1)[1].train;
      const copy = materialized(data);
      // rows that are already in memory in order (split, one-vs-rest) are not copied
      assert.equal(copy === data, stream.type === 'split' || stream.type === 'one-vs-rest', stream.type);
      assert.deepEqual([copy.count, copy.features, copy.outputs, copy.targets], [data.count, data.features, data.outputs, data.targets]);
      const order = Int32Array.from([7, 0, data.count - 1, 3, 7]);
      const batch = (d: typeof data) => {
        const x = new Float32Array(4 * d.features).fill(-1);
        const y = new Float32Array(4 * d.outputs).fill(-1);
        d.fill(order, 1, 5, x, y);
        return { x: Array.from(x), y: Array.from(y) };
      };
      assert.deepEqual(batch(copy), batch(data), stream.type);
    }
  });

  it('fill writes a batch from an index list', () => {
    const [t] = buildTasks({ type: 'permuted', count: 1 }, splits, 1);
    const idx = [9, 3, 0, 4];
    const x = new Float32Array(2 * 784);
    const y = new Float32Array(2 * 10);
    t.train.fill(idx, 1, 3, x, y);
    assert.deepEqual(x.subarray(0, 784), rowOf(t.train, 3).x);
    assert.deepEqual(x.subarray(784), rowOf(t.train, 0).x);
    assert.equal(y[t.train.targets[3]], 1);
    assert.equal(y[10 + t.train.targets[0]], 1);
    assert.equal(y.reduce((s, v) => s + v, 0), 2);
    assert.throws(() => t.train.fill(idx, 0, 4, x, y), RangeError);
  });

  it('split: keeps the group classes; targets are positions in the group', () => {
    const tasks = buildTasks({ type: 'split', groups: [[0, 1], [7, 2, 3]] }, splits, 1);
    assert.deepEqual(tasks.map((t) => [t.name, t.outputs]), [['split-0-1', 2], ['split-7-2-3', 3]]);
    for (const [k, group] of [[0, 1], [7, 2, 3]].entries()) {
      for (const p of ['train', 'test'] as const) {
        const labels = Array.from(splits[p].labels).filter((l) => group.includes(l));
        assert.equal(tasks[k][p].count, labels.length);
        assert.deepEqual(Array.from(tasks[k][p].targets), labels.map((l) => group.indexOf(l)));
      }
    }
    // the first example of task 2 is the first training example labelled 7, 2 or 3
    const first = Array.from(splits.train.labels).findIndex((l) => [7, 2, 3].includes(l));
    const { x, y } = rowOf(tasks[1].train, 0);
    assert.deepEqual(Array.from(x), Array.from(splits.train.x.subarray(first * 784, (first + 1) * 784), (v) => Math.fround(v / 255)));
    assert.deepEqual(Array.from(y), [0, 1, 2].map((i) => (i === [7, 2, 3].indexOf(splits.train.labels[first]) ? 1 : 0)));
    throwsData(() => buildTasks({ type: 'split', groups: [[0, 42]] }, splits, 1), 'class 42', 'no training examples');
  });

  it('one-vs-rest: binary targets, one task per class', () => {
    const tasks = buildTasks({ type: 'one-vs-rest' }, splits, 1);
    assert.deepEqual(tasks.map((t) => t.name), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((c) => `class-${c}-vs-rest`));
    const [t3] = buildTasks({ type: 'one-vs-rest', classes: [3] }, splits, 1);
    assert.equal(t3.outputs, 1);
    assert.equal(t3.train.count, splits.train.count);
    const positives = Array.from(splits.train.labels).filter((l) => l === 3).length;
    assert.ok(positives > 0);
    assert.equal(t3.train.targets.reduce((s, v) => s + v, 0), positives);
    const e = Array.from(splits.train.labels).indexOf(3);
    assert.deepEqual(Array.from(rowOf(t3.train, e).y), [1]);
    assert.deepEqual(Array.from(rowOf(t3.train, e === 0 ? 1 : 0).y), [0]);
  });

  describe('rotated', () => {
    // A 4×4 image (Float32 features) with distinct values, and a 3×3 one with a single lit pixel.
    const image = (h: number, w: number, values: number[]): DataSplits => {
      const ds: Dataset = { count: 1, features: h * w, x: Float32Array.from(values), labels: Int32Array.from([0]), imageShape: [h, w] };
      return { train: ds, validation: subset(ds, []), test: ds, description: 'hand-made' };
    };
    const grid = Array.from({ length: 16 }, (_, i) => (i + 1) / 16);

    it('0° is the identity and 360° is (almost) the identity', () => {
      const [r0, r360] = buildTasks({ type: 'rotated', angles: [0, 360] }, image(4, 4, grid), 1);
      assert.equal(r0.name, 'rotated-0');
      assert.deepEqual(Array.from(rowOf(r0.train, 0).x), grid.map(Math.fround));
      rowOf(r360.train, 0).x.forEach((v, i) => assert.ok(Math.abs(v - grid[i]) < 1e-5, `pixel ${i}`));
      // and on real digits, for validation and test rows too
      const [m0, m360] = buildTasks({ type: 'rotated', angles: [0, 360] }, splits, 1);
      const raw = Array.from(splits.test.x.subarray(0, 784), (v) => Math.fround(v / 255));
      assert.deepEqual(Array.from(rowOf(m0.test, 0).x), raw);
      rowOf(m360.test, 0).x.forEach((v, i) => assert.ok(Math.abs(v - raw[i]) < 1e-5));
    });

    it('90° turns the image counter-clockwise', () => {
      const one = [0, 0, 0, 0, 0, 1, 0, 0, 0]; // right-middle pixel of a 3×3 image
      const [r90] = buildTasks({ type: 'rotated', angles: [90] }, image(3, 3, one), 1);
      assert.deepEqual(Array.from(rowOf(r90.train, 0).x), [0, 1, 0, 0, 0, 0, 0, 0, 0]); // now top-middle
      // on 4×4 (centre between pixels): top-left goes to bottom-left, the whole image turns
      const [g90] = buildTasks({ type: 'rotated', angles: [90] }, image(4, 4, grid), 1);
      const out = rowOf(g90.train, 0).x;
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) assert.equal(out[(3 - c) * 4 + r], Math.fround(grid[r * 4 + c]));
    });

    it('45° interpolates and leaves zeros outside the image', () => {
      const ones = new Array(9).fill(1);
      const [r45] = buildTasks({ type: 'rotated', angles: [45] }, image(3, 3, ones), 1);
      const x = rowOf(r45.train, 0).x;
      assert.equal(x[4], 1); // centre stays
      for (const corner of [0, 2, 6, 8]) assert.ok(x[corner] > 0 && x[corner] < 1, `corner ${corner} = ${x[corner]}`);
    });

    it('needs an image shape', () => {
      const ds: Dataset = { count: 1, features: 4, x: new Float32Array(4), labels: new Int32Array(1) };
      throwsData(() => buildTasks({ type: 'rotated', angles: [10] }, { train: ds, validation: ds, test: ds, description: '' }, 1), 'imageShape');
    });
  });
});
