// Property-based tests of experiment validation (fast-check): malformed files always get one short
// line that names the file and the field, and nothing else than an ExperimentError ever comes out.
// The same generator drives the CLI batch in test/faults/cliFuzz.test.ts.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { Experiment, ExperimentError, loadExperiment, parseExperimentText, validateExperiment } from '../../src/engine/experiment';
import { malformedExperiment, messageProblem } from '../faults/malformedExperiments';

/** Every number in a value, with where it is. */
function numbers(v: unknown, at = ''): [string, number][] {
  if (typeof v === 'number') return [[at, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => numbers(x, `${at}.${i}`));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => numbers(x, at ? `${at}.${k}` : k));
  return [];
}

describe('experiment validation under fuzzing (fast-check)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-fuzz-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('300 generated malformed files: each is rejected with one line naming the file and the field', () => {
    const file = path.join(dir, 'fuzz.den.json');
    let rejected = 0;
    fc.assert(
      fc.property(malformedExperiment, (c) => {
        fs.writeFileSync(file, c.bytes);
        let error: unknown;
        try {
          loadExperiment(file);
        } catch (err) {
          error = err;
        }
        assert.ok(error instanceof ExperimentError, `${c.what}: ${error === undefined ? 'accepted' : `threw ${error instanceof Error ? error.message : JSON.stringify(error)}`}`);
        const problem = messageProblem(error.message, file, c);
        assert.equal(problem, null, `${c.what}: ${problem}`);
        rejected++;
      }),
      { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 20261201) },
    );
    assert.equal(rejected, 300);
  });

  it('any JSON put anywhere in a valid experiment: either a valid experiment with finite numbers, or one short line', () => {
    const sections = ['', 'data', 'tasks', 'network', 'den', 'baselines', 'training'];
    fc.assert(
      fc.property(fc.constantFrom(...sections), fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), (section, key, value) => {
        const doc: Record<string, any> = { name: 'fuzz', data: { source: 'mnist' }, tasks: { type: 'permuted', count: 2 }, den: {}, training: {}, network: {}, baselines: {} };
        (section ? doc[section] : doc)[key] = value;
        let exp: Experiment;
        try {
          exp = validateExperiment(parseExperimentText(JSON.stringify(doc), 'any.den.json'), 'any.den.json');
        } catch (err) {
          assert.ok(err instanceof ExperimentError, `${section}.${key} = ${JSON.stringify(value)}: threw ${String(err)}`);
          assert.ok(!err.message.includes('\n') && err.message.length < 1500 && err.message.length > 'any.den.json: '.length, err.message);
          return;
        }
        for (const [at, n] of numbers(exp)) assert.ok(Number.isFinite(n), `${at} = ${n}`);
        assert.match(exp.name, /^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/);
      }),
      { numRuns: 400, seed: 7 },
    );
  });

  it('1e309, a UTF-8 BOM, __proto__, deep nesting and a 20 MB file, one by one', () => {
    const write = (bytes: string | Buffer) => {
      const file = path.join(dir, 'one.den.json');
      fs.writeFileSync(file, bytes);
      return file;
    };
    const rejects = (bytes: string | Buffer, pattern: RegExp) =>
      assert.throws(() => loadExperiment(write(bytes)), (err: Error) => err instanceof ExperimentError && pattern.test(err.message) && !err.message.includes('\n'));
    rejects('{"name": "x", "den": {"tau": 1e309}}', /den\.tau \[τ \(expansion threshold\)\]: must be a finite number, got a number too large to represent \(Infinity\)/);
    rejects('{"name": "x", "training": {"steps": 1e309}}', /training\.steps .*must be an integer or null, got a number too large/);
    rejects('{"name": "x", "tasks": {"type": "permuted", "count": true}}', /tasks\.count: must be an integer, got true \(allowed: ≥ 1 and ≤ 100\)/);
    rejects('{"name": "x", "data": {"source": "idx", "trainImages": 5, "trainLabels": "l"}}', /data\.trainImages: must be a string, got 5/);
    rejects(`{"name": "${'a'.repeat(240)}"}`, /name: must NOT have more than 64 characters, got "a{40,}… \(242 characters\)$/);
    rejects('{"name": "x", "__proto__": {"den": {"tau": -5}}}', /: __proto__: unknown field; allowed here: name, method/);
    rejects(`{"name": "x", "den": ${'['.repeat(10000)}${']'.repeat(10000)}}`, /line 1, column \d+: nested more than 20 levels deep/);
    rejects(Buffer.alloc(20 << 20, 0x20), /the file is 20\.0 MB; an experiment file is at most 1 MB/);
    rejects(Buffer.from([0x7b, 0x22, 0x6e, 0xff, 0x22, 0x7d]), /not valid UTF-8 text .*line 1, column 4.*save it as UTF-8/);
    assert.equal(loadExperiment(write('\uFEFF{"name": "with-bom"}')).experiment.name, 'with-bom', 'a UTF-8 BOM is accepted');
    // a huge value is shortened in the message
    assert.throws(() => loadExperiment(write(JSON.stringify({ name: 'x', den: { tau: 'y'.repeat(200000) } }))), (err: Error) => err.message.length < 200 && /\(200002 characters\)/.test(err.message));
  });
});
