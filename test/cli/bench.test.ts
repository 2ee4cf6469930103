// npm run bench -- --quick, as CI runs it: every method on both default suites, JSON, tables and figures written.
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DOMParser } from '@xmldom/xmldom';
import { METHODS } from '../../src/engine/experiment';

const root = path.resolve(__dirname, '../..');
const FIGURES = ['quality-params', 'per-task', 'task1'];

describe('bench --quick', function () {
  this.timeout(600000);
  let out: string;
  before(() => (out = fs.mkdtempSync(path.join(os.tmpdir(), 'den-bench-quick-'))));
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('runs every method on both default suites and writes valid JSON, a Markdown table and the figures for each', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'dist', 'bench.js'), '--quick', '--out', out], { cwd: root, encoding: 'utf8', timeout: 580000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ratio DEN stage \/ plain epoch on wasm: \d+\.\d\d×/);
    const files = fs.readdirSync(out).sort();
    const suites = ['one-vs-rest-mnist', 'permuted-mnist'];
    assert.deepEqual(
      files.map((f) => f.replace(/-\d{4}-\d{2}-\d{2}/, '-DATE')),
      suites.flatMap((s) => [`${s}-DATE.json`, `${s}-DATE.md`, ...FIGURES.map((f) => `${s}-DATE-${f}.svg`)]).sort(),
    );
    for (const suite of suites) {
      const file = files.find((f) => f.startsWith(suite) && f.endsWith('.json'))!;
      const json = JSON.parse(fs.readFileSync(path.join(out, file), 'utf8'));
      assert.equal(json.format, 'den-lab-bench');
      assert.equal(json.quick, true);
      assert.equal(json.tasks, 3);
      assert.deepEqual([...new Set(json.methods.map((m: { method: string }) => m.method))], [...METHODS]);
      for (const m of json.methods) {
        for (const key of ['acc', 'bwt', 'fwt', 'forgetting', 'meanAuroc', 'params', 'paramsPctStl', 'secondsPerTask', 'samplesPerSecond']) {
          assert.equal(typeof m[key].mean, 'number', `${suite} ${m.method}.${key}`);
        }
        assert.ok(m.acc.mean > 0 && m.acc.mean <= 1);
        assert.equal(m.curves.params.length, 3);
        for (const run of m.runs) {
          assert.equal(run.units.length, 2);
          assert.equal(run.tensorsAfterTask.length, 3);
          assert.equal(run.tensorGrowth, false, `${suite} ${m.method}: no tensor growth`);
          assert.ok(run.memory.peakRssMB > 0 && run.memory.peakTfMB > 0);
          assert.match(run.backend, /^wasm /);
        }
      }
      const stl = json.methods.find((m: { method: string }) => m.method === 'stl');
      assert.equal(stl.params.mean, json.stlParams, "STL's parameters are the reference");
      assert.equal(stl.paramsPctStl.mean, 100);
      // a full column per task plus laterals: more than STL's independent networks
      const progressive = json.methods.find((m: { method: string }) => m.method === 'progressive');
      assert.ok(progressive.params.mean > stl.params.mean, `progressive ${progressive.params.mean} vs STL ${stl.params.mean}`);
      assert.ok(json.targets.length >= 2, 'the DEN targets are checked');
      assert.ok(json.throughput.length >= 3);
      const base = file.replace(/\.json$/, '');
      const md = fs.readFileSync(path.join(out, `${base}.md`), 'utf8');
      assert.match(md, /^\| method \| seeds \| ACC \| BWT \| FWT \| forgetting \| mean AUROC \|/m);
      for (const m of METHODS) assert.match(md, new RegExp(`^\\| ${m}( · [a-z ]+WD)? \\|`, 'm'));
      assert.match(md, /## DEN targets/);
      assert.match(md, /## Figures/);
      for (const f of FIGURES) {
        assert.ok(md.includes(`](${base}-${f}.svg)`), `the table links ${f}`);
        const problems: string[] = [];
        const svg = new DOMParser({ onError: (level, msg) => problems.push(`${level}: ${msg}`) }).parseFromString(fs.readFileSync(path.join(out, `${base}-${f}.svg`), 'utf8'), 'image/svg+xml');
        assert.deepEqual(problems, [], `${base}-${f}.svg is well-formed`);
        const marks = Array.from(svg.getElementsByTagName('g')).filter((g) => g.getAttribute('class') === 'mark');
        // the scatter has every method and protocol, the others every method once
        assert.equal(marks.length, f === 'quality-params' ? json.methods.length : METHODS.length, `${base}-${f}.svg marks`);
      }
    }
  });
});
