// npm run bench -- --quick, as CI runs it: every method on both default suites, JSON and tables written.
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { METHODS } from '../../src/engine/experiment';

const root = path.resolve(__dirname, '../..');

describe('bench --quick', function () {
  this.timeout(300000);
  let out: string;
  before(() => (out = fs.mkdtempSync(path.join(os.tmpdir(), 'den-bench-quick-'))));
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('runs every method on both default suites and writes valid JSON and a Markdown table for each', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'dist', 'bench.js'), '--quick', '--out', out], { cwd: root, encoding: 'utf8', timeout: 280000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ratio DEN stage \/ plain epoch on wasm: \d+\.\d\d×/);
    const files = fs.readdirSync(out).sort();
    assert.deepEqual(files.map((f) => f.replace(/-\d{4}-\d{2}-\d{2}/, '-DATE')), ['one-vs-rest-mnist-DATE.json', 'one-vs-rest-mnist-DATE.md', 'permuted-mnist-DATE.json', 'permuted-mnist-DATE.md']);
    for (const suite of ['permuted-mnist', 'one-vs-rest-mnist']) {
      const file = files.find((f) => f.startsWith(suite) && f.endsWith('.json'))!;
      const json = JSON.parse(fs.readFileSync(path.join(out, file), 'utf8'));
      assert.equal(json.format, 'den-lab-bench');
      assert.equal(json.quick, true);
      assert.equal(json.tasks, 3);
      assert.deepEqual(json.methods.map((m: { method: string }) => m.method), [...METHODS]);
      for (const m of json.methods) {
        for (const key of ['acc', 'bwt', 'fwt', 'forgetting', 'meanAuroc', 'params', 'paramsPctStl', 'secondsPerTask', 'samplesPerSecond']) {
          assert.equal(typeof m[key], 'number', `${suite} ${m.method}.${key}`);
        }
        assert.ok(m.acc > 0 && m.acc <= 1);
        assert.equal(m.units.length, 2);
        assert.equal(m.tensorsAfterTask.length, 3);
        assert.equal(m.tensorGrowth, false, `${suite} ${m.method}: no tensor growth`);
        assert.ok(m.memory.peakRssMB > 0 && m.memory.peakTfMB > 0);
        assert.match(m.backend, /^wasm /);
      }
      const stl = json.methods.find((m: { method: string }) => m.method === 'stl');
      assert.equal(stl.params, json.stlParams, "STL's parameters are the reference");
      assert.equal(stl.paramsPctStl, 100);
      assert.ok(json.targets.length >= 2, 'the DEN targets are checked');
      assert.ok(json.throughput.length >= 3);
      const md = fs.readFileSync(path.join(out, file.replace(/\.json$/, '.md')), 'utf8');
      assert.match(md, /^\| method \| ACC \| BWT \| FWT \| forgetting \| mean AUROC \| params \| % of STL \|/m);
      for (const m of METHODS) assert.match(md, new RegExp(`^\\| ${m} \\|`, 'm'));
      assert.match(md, /## DEN targets/);
    }
  });
});
