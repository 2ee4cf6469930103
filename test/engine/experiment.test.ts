import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Experiment,
  ExperimentError,
  defaultExperiment,
  incompatibilities,
  loadExperiment,
  parseExperimentText,
  validateExperiment,
  withAbsolutePaths,
} from '../../src/engine/experiment';

const root = path.resolve(__dirname, '..', '..');
/** The schema read from disk, independently of the module under test. */
const schema = JSON.parse(fs.readFileSync(path.join(root, 'media', 'experiment.schema.json'), 'utf8'));

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'den-experiment-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Expects an ExperimentError whose message contains every part; returns it. */
function fails(fn: () => unknown, ...parts: (string | RegExp)[]): ExperimentError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ExperimentError, `expected an ExperimentError, got ${String(caught)}`);
  for (const p of parts) {
    if (typeof p === 'string') assert.ok(caught.message.includes(p), `message ${JSON.stringify(caught.message)} should contain ${JSON.stringify(p)}`);
    else assert.match(caught.message, p);
  }
  return caught;
}

const invalid = (raw: Record<string, unknown>, ...parts: (string | RegExp)[]) =>
  fails(() => validateExperiment({ name: 'x', ...raw }, 'my.den.json'), 'my.den.json', ...parts);

describe('experiment: defaults', () => {
  it('fills every default of the schema', () => {
    const exp = validateExperiment({ name: 'x' });
    const props = schema.properties;
    assert.equal(exp.method, props.method.default);
    assert.equal(exp.backend, props.backend.default);
    assert.deepEqual(exp.tasks, props.tasks.default);
    assert.equal(exp.data.source, props.data.default.source);
    assert.equal(exp.data.seed, schema.definitions.dataSeed.default);
    assert.equal(exp.data.testFraction, schema.definitions.testFraction.default);
    assert.equal(exp.data.validationFraction, schema.definitions.validationFraction.default);
    assert.deepEqual(exp.network.hidden, props.network.properties.hidden.default);
    assert.equal(exp.network.loss, props.network.properties.loss.default);
    for (const section of ['den', 'baselines', 'training'] as const) {
      const fields = props[section].properties as Record<string, { default: unknown }>;
      assert.deepEqual(Object.keys(exp[section]).sort(), Object.keys(fields).sort(), `${section}: every field filled`);
      for (const [field, node] of Object.entries(fields)) {
        assert.deepEqual((exp[section] as unknown as Record<string, unknown>)[field], node.default, `${section}.${field}`);
      }
    }
    // a few literal values, so that a changed schema default is noticed here too
    assert.equal(exp.den.tau, 0.15);
    assert.equal(exp.den.sigma, 0.05);
    assert.equal(exp.den.k, 18);
    assert.equal(exp.den.proximal, 'adam');
    assert.equal(exp.network.loss, 'sigmoid-bce-sum');
    assert.equal(exp.den.maxSplitPerLayer, null);
    assert.equal(exp.training.learningRate, 0.001);
    assert.equal(exp.training.batchSize, 256);
    assert.deepEqual(exp.network.hidden, [312, 128]);
  });

  it('fills the defaults of the data source fields and keeps given values', () => {
    const exp = validateExperiment({
      name: 'x',
      data: { source: 'csv', train: 'a.csv', seed: 9 },
      den: { sigma: 0.2 },
      training: { epochs: 3 },
    });
    assert.deepEqual(exp.data, { source: 'csv', train: 'a.csv', seed: 9, labelColumn: 'label', testFraction: 0.2, validationFraction: 0.1 });
    assert.equal(exp.den.sigma, 0.2);
    assert.equal(exp.den.tau, 0.15);
    assert.equal(exp.training.epochs, 3);
    assert.equal(exp.training.batchSize, 256);
  });

  it('does not modify its input', () => {
    const raw = { name: 'x', den: { sigma: 0.2 } };
    validateExperiment(raw);
    assert.deepEqual(raw, { name: 'x', den: { sigma: 0.2 } });
  });

  it('defaultExperiment is a complete valid experiment', () => {
    const exp = defaultExperiment('demo');
    assert.equal(exp.name, 'demo');
    assert.deepEqual(validateExperiment(JSON.parse(JSON.stringify(exp))), exp);
  });
});

describe('experiment: parsing', () => {
  it('accepts comments and trailing commas', () => {
    const text = [
      '// an experiment',
      '{',
      '  "name": "commented", /* inline */',
      '  "den": {',
      '    "sigma": 0.125, // split threshold',
      '    "k": 4,',
      '  },',
      '  "network": { "hidden": [8, 4,], },',
      '}',
      '',
    ].join('\n');
    const exp = validateExperiment(parseExperimentText(text, 'c.den.json'), 'c.den.json');
    assert.equal(exp.name, 'commented');
    assert.equal(exp.den.sigma, 0.125);
    assert.equal(exp.den.k, 4);
    assert.deepEqual(exp.network.hidden, [8, 4]);
  });

  it('reports a syntax error with the file, line and column', () => {
    // line 4 misses the comma after 3: the error is at `"tau"`, line 4, column 3
    const text = '{\n  "name": "x",\n  "den": { "k": 3\n  "tau": 1 }\n}\n';
    const err = fails(() => parseExperimentText(text, 's.den.json'), 's.den.json', 'not valid JSON', 'line 4, column 3');
    assert.equal(err.problems[0].offset, text.indexOf('"tau"'));
    // an unterminated document: the error is at the end (line 2, column 14)
    fails(() => parseExperimentText('{\n  "name": "x"', 'u.den.json'), 'u.den.json', 'line 2, column 14');
  });

  it('rejects a document that is not an object', () => {
    fails(() => validateExperiment([1, 2], 'a.den.json'), 'a.den.json', 'must be a JSON object');
    fails(() => validateExperiment(null, 'a.den.json'), 'must be a JSON object');
  });
});

describe('experiment: errors name the field and the allowed range', () => {
  it('den.sigma = -1', () => {
    const err = invalid({ den: { sigma: -1 } }, 'den.sigma', 'must be ≥ 0, got -1');
    assert.deepEqual(err.problems.map((p) => p.path), ['den.sigma']);
  });

  it('training.learningRate = 0', () => {
    invalid({ training: { learningRate: 0 } }, 'training.learningRate', 'must be > 0 and ≤ 10, got 0');
  });

  it('den.k = 1.5', () => {
    invalid({ den: { k: 1.5 } }, 'den.k', 'integer', 'got 1.5', 'allowed: ≥ 0 and ≤ 4096');
  });

  it('an unknown field, listing the allowed ones', () => {
    const err = invalid({ den: { sigmaa: 0.1 } }, 'den.sigmaa', 'unknown field', /allowed here: tau, sigma, k, mu, firstTaskMu, gamma, proximal, lambda/, 'retrainEpochs');
    assert.deepEqual(err.problems.map((p) => p.path), ['den.sigmaa']);
    invalid({ epochs: 3 }, 'epochs: unknown field', /allowed here: .*name.*data.*tasks.*network.*den.*training/);
  });

  it('data.trainImages missing for source idx', () => {
    const err = invalid({ data: { source: 'idx', trainLabels: 'labels.idx' } }, 'data.trainImages', 'required');
    assert.deepEqual(err.problems.map((p) => p.path), ['data.trainImages']);
  });

  it('a bad data.source, listing the sources', () => {
    invalid({ data: { source: 'parquet' } }, 'data.source', '"mnist", "idx", "csv"', 'got "parquet"');
  });

  it('tasks.groups with a class in two groups', () => {
    invalid({ tasks: { type: 'split', groups: [[0, 1], [2, 3], [3, 4]] } }, 'tasks.groups[2]', 'class 3');
    assert.doesNotThrow(() => validateExperiment({ name: 'x', tasks: { type: 'split', groups: [[0, 1], [2, 3]] } }));
  });

  it('den.gamma as an array of the wrong length', () => {
    invalid({ den: { gamma: [1e-3, 1e-3, 1e-3] } }, 'den.gamma', '3 values', '2 layers');
    invalid({ network: { hidden: [16] }, den: { gamma: [1e-3, 1e-3] } }, 'den.gamma', '2 values', '1 layers');
    assert.deepEqual(validateExperiment({ name: 'x', den: { gamma: [1e-3, 2e-3] } }).den.gamma, [1e-3, 2e-3]);
  });

  it('rotated tasks on CSV data without data.imageShape', () => {
    const raw = { data: { source: 'csv', train: 'a.csv' }, tasks: { type: 'rotated', angles: [0, 90] } };
    invalid(raw, 'data.imageShape', 'rotated');
    const ok = validateExperiment({ name: 'x', ...raw, data: { ...raw.data, imageShape: [28, 28] } });
    assert.deepEqual((ok.data as { imageShape?: number[] }).imageShape, [28, 28]);
    // the embedded MNIST needs no shape
    assert.doesNotThrow(() => validateExperiment({ name: 'x', tasks: { type: 'rotated', angles: [0, 90] } }));
  });

  it('reports every problem at once', () => {
    const err = invalid({ den: { sigma: -1, k: 1.5 }, training: { learningRate: 0 } });
    assert.deepEqual(err.problems.map((p) => p.path).sort(), ['den.k', 'den.sigma', 'training.learningRate']);
  });
});

describe('experiment: files', () => {
  it('loadExperiment names a missing file', () => {
    const file = path.join(tmp, 'missing.den.json');
    fails(() => loadExperiment(file), file, 'cannot read', 'ENOENT');
  });

  it('loadExperiment reads, validates and resolves the folder', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'load-'));
    const file = path.join(dir, 'x.den.json');
    fs.writeFileSync(file, '// test\n{ "name": "loaded", "den": { "k": 2 }, }\n');
    const loaded = loadExperiment(file);
    assert.equal(loaded.file, file);
    assert.equal(loaded.dir, dir);
    assert.equal(loaded.experiment.name, 'loaded');
    assert.equal(loaded.experiment.den.k, 2);
    // errors in a file name the file
    fs.writeFileSync(file, '{ "name": "loaded", "den": { "sigma": -1 } }');
    fails(() => loadExperiment(file), file, 'den.sigma');
    fs.writeFileSync(file, '{ "name": "loaded", ');
    fails(() => loadExperiment(file), file, 'line 1');
  });

  it('the shipped examples load without error', () => {
    const dir = path.join(root, 'examples');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.den.json'));
    assert.ok(files.length >= 2, `expected the shipped examples, found ${files}`);
    for (const f of files) {
      const { experiment } = loadExperiment(path.join(dir, f));
      assert.equal(experiment.name, f.replace(/\.den\.json$/, ''), `${f}: name`);
      assert.equal(experiment.method, 'den');
    }
    assert.equal(loadExperiment(path.join(dir, 'permuted-mnist.den.json')).experiment.tasks.type, 'permuted');
    assert.equal(loadExperiment(path.join(dir, 'one-vs-rest-mnist.den.json')).experiment.tasks.type, 'one-vs-rest');
  });
});

describe('experiment: incompatibilities and paths', () => {
  const base = (): Experiment => validateExperiment({ name: 'x', network: { hidden: [16, 8] } });

  it('reports a changed data, tasks or network section, naming the run', () => {
    const run = base();
    assert.deepEqual(incompatibilities(run, base(), 'runs/x-1'), []);

    const data = incompatibilities(run, validateExperiment({ name: 'x', network: { hidden: [16, 8] }, data: { source: 'mnist', seed: 2 } }), 'runs/x-1');
    assert.equal(data.length, 1);
    assert.match(data[0], /^data: /);
    assert.ok(data[0].includes('runs/x-1'));

    const tasks = incompatibilities(run, validateExperiment({ name: 'x', network: { hidden: [16, 8] }, tasks: { type: 'permuted', count: 3 } }), 'r');
    assert.deepEqual(tasks.map((m) => m.split(':')[0]), ['tasks']);

    const network = incompatibilities(run, validateExperiment({ name: 'x', network: { hidden: [16, 9] } }), 'r');
    assert.deepEqual(network.map((m) => m.split(':')[0]), ['network']);

    const all = incompatibilities(
      run,
      validateExperiment({ name: 'x', network: { hidden: [16] }, tasks: { type: 'one-vs-rest' }, data: { source: 'mnist', limit: 100 } }),
      'r',
    );
    assert.deepEqual(all.map((m) => m.split(':')[0]), ['data', 'tasks', 'network']);
  });

  it('does not report changed den, training, name or backend settings', () => {
    const changed = validateExperiment({
      name: 'y',
      backend: 'cpu',
      network: { hidden: [16, 8] },
      den: { sigma: 0.5, tau: 1, k: 3 },
      training: { epochs: 1, learningRate: 0.1 },
    });
    assert.deepEqual(incompatibilities(base(), changed, 'r'), []);
  });

  it('withAbsolutePaths resolves relative data paths only, without modifying its input', () => {
    const dir = path.join(tmp, 'exp-dir');
    const abs = path.join(tmp, 'elsewhere', 'labels.idx');
    const exp = validateExperiment({
      name: 'x',
      data: { source: 'idx', trainImages: 'data/train-images.idx', trainLabels: abs, testImages: '../t10k-images.idx', testLabels: 't10k-labels.idx' },
    });
    const frozen = JSON.parse(JSON.stringify(exp));
    const out = withAbsolutePaths(exp, dir);
    assert.deepEqual(exp, frozen, 'input unchanged');
    assert.deepEqual(out.data, {
      ...frozen.data,
      trainImages: path.join(dir, 'data', 'train-images.idx'),
      trainLabels: abs,
      testImages: path.join(tmp, 't10k-images.idx'),
      testLabels: path.join(dir, 't10k-labels.idx'),
    });
    assert.deepEqual({ ...out, data: null }, { ...exp, data: null });

    const csv = withAbsolutePaths(validateExperiment({ name: 'x', data: { source: 'csv', train: 'train.csv', labelColumn: 'digit' } }), dir);
    assert.deepEqual(csv.data, { source: 'csv', train: path.join(dir, 'train.csv'), labelColumn: 'digit', seed: 1, testFraction: 0.2, validationFraction: 0.1 });

    const mnist = validateExperiment({ name: 'x' });
    assert.deepEqual(withAbsolutePaths(mnist, dir).data, mnist.data);
  });
});
