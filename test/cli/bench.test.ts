// npm run bench -- --quick, as CI runs it: every method on both default suites (the baselines under
// both weight-decay protocols), each run in its own process; JSON, tables and figures written;
// --check fails the run when a DEN target is not met (in quick mode, 3 short tasks, the capacity
// targets cannot be).
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DOMParser } from '@xmldom/xmldom';
import { METHODS } from '../../src/engine/experiment';
import { findTorchPython } from '../../src/bench/torchPeer';

const root = path.resolve(__dirname, '../..');
const FIGURES = ['quality-params', 'per-task', 'task1'];

describe('bench --quick', function () {
  this.timeout(600000);
  let out: string;
  before(() => (out = fs.mkdtempSync(path.join(os.tmpdir(), 'den-bench-quick-'))));
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('runs every method on both default suites, writes valid JSON, Markdown and figures for each, and --check fails on unmet targets', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'dist', 'bench.js'), '--quick', '--check', '--out', out], { cwd: root, encoding: 'utf8', timeout: 580000 });
    assert.equal(r.status, 1, `--check exits 1 when a DEN target is not met\n${r.stderr}`);
    assert.match(r.stderr, /bench --check: some DEN targets were not met/);
    assert.match(r.stdout, /ratio DEN stage \/ plain epoch on wasm: \d+\.\d\d×/);
    // the PyTorch peer in the same run when a python3 with torch is here, else a line saying why not
    const peer = 'python' in findTorchPython();
    if (peer) assert.match(r.stdout, /ratio to PyTorch: plain MLP epoch \(TF\.js Adam\), wasm: \d+\.\d\d×/);
    else assert.match(r.stdout, /PyTorch peer not measured: no python3 with torch/);
    const files = fs.readdirSync(out).filter((f) => !f.endsWith('.svg')).sort();
    assert.deepEqual(files.map((f) => f.replace(/-\d{4}-\d{2}-\d{2}/, '-DATE')), ['one-vs-rest-mnist-DATE.json', 'one-vs-rest-mnist-DATE.md', 'permuted-mnist-DATE.json', 'permuted-mnist-DATE.md']);
    for (const suite of ['permuted-mnist', 'one-vs-rest-mnist']) {
      const file = files.find((f) => f.startsWith(suite) && f.endsWith('.json'))!;
      const json = JSON.parse(fs.readFileSync(path.join(out, file), 'utf8'));
      assert.equal(json.format, 'den-lab-bench');
      assert.equal(json.formatVersion, 2);
      assert.equal(json.quick, true);
      assert.equal(json.tasks, 3);
      assert.deepEqual(json.seeds, [1]);
      // the methods that keep training shared layers under both protocols, the others in the experiment's
      const rows = json.methods.map((m: { method: string; protocol: string }) => `${m.method}/${m.protocol}`);
      const shared = ['finetune', 'l2', 'ewc', 'joint'];
      const expected = METHODS.flatMap((m) => (shared.includes(m) ? [`${m}/coupled`, `${m}/decoupled`] : [`${m}/coupled`]));
      assert.deepEqual(rows, expected);
      for (const m of json.methods) {
        for (const key of ['acc', 'bwt', 'fwt', 'forgetting', 'meanAuroc', 'validationAcc', 'params', 'paramsPctStl', 'secondsPerTask']) {
          assert.equal(typeof m[key].mean, 'number', `${suite} ${m.method}.${key}`);
        }
        assert.equal(m.curves.params.length, 3);
        assert.equal(m.runs.length, 1);
        const run = m.runs[0];
        assert.equal(run.spec.protocol, m.protocol);
        assert.ok(run.acc > 0 && run.acc <= 1);
        assert.equal(run.units.length, 2);
        assert.equal(run.tasks.length, 3);
        assert.equal(run.tensorsAfterTask.length, 3);
        assert.equal(run.tensorGrowth, false, `${suite} ${m.method}: no tensor growth`);
        assert.ok(run.memory.peakRssMB > 0 && run.memory.peakTfMB > 0);
        assert.match(run.backend, /^wasm /);
        assert.match(run.code, /^[0-9a-f]{7,}(\+changes)?$/, 'the commit the run came from');
      }
      // the protocols train differently: decoupled decay changes finetune's weights
      const ft = json.methods.filter((m: { method: string }) => m.method === 'finetune');
      assert.notDeepEqual(ft[0].runs[0].accuracy, ft[1].runs[0].accuracy, 'coupled and decoupled weight decay give different runs');
      const stl = json.methods.find((m: { method: string }) => m.method === 'stl');
      assert.equal(stl.runs[0].params, json.stlParams, "STL's parameters are the reference");
      assert.equal(stl.paramsPctStl.mean, 100);
      // a full column per task plus laterals: more than STL's independent networks
      const progressive = json.methods.find((m: { method: string }) => m.method === 'progressive');
      assert.ok(progressive.params.mean > stl.params.mean, `progressive ${progressive.params.mean} vs STL ${stl.params.mean}`);
      const den = json.methods.find((m: { method: string }) => m.method === 'den');
      assert.equal(den.runs[0].tasks[1].selectedUnits.length, 2, 'the mechanisms of every task are recorded');
      assert.equal(typeof den.mechanisms.changedShare.mean, 'number');
      assert.ok(json.targets.length >= 5, 'the DEN targets are checked');
      assert.ok(json.targets.some((t: { met: boolean }) => !t.met));
      assert.ok(json.throughput.length >= 3);
      assert.equal(json.throughput.some((t: { backend: string }) => t.backend.startsWith('pytorch ')), peer);
      const base = file.replace(/\.json$/, '');
      const md = fs.readFileSync(path.join(out, `${base}.md`), 'utf8');
      assert.match(md, /^\| method \| seeds \| ACC \| BWT \| FWT \| forgetting \| mean AUROC \| validation ACC \| params \| % of STL \|/m);
      for (const m of METHODS) assert.match(md, new RegExp(`^\\| ${m}( · coupled WD)? \\|`, 'm'));
      assert.match(md, /^\| finetune · decoupled WD \|/m);
      assert.match(md, /## DEN targets/);
      assert.match(md, /## What the mechanisms did/);
      assert.match(md, /## DEN task by task \(seed 1\)/);
      assert.match(md, /DEN − ewc = /);
      assert.match(md, /## Figures/);
      if (peer) assert.match(md, /^\| measurement \| backend \| samples\/s \| × PyTorch \|/m);
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

  it('runs the methods that keep training shared layers on --baseline-seeds, the others on --seeds', () => {
    const dir = path.join(out, 'seeds');
    const args = ['--quick', '--suite', path.join(root, 'examples', 'permuted-mnist.den.json'), '--methods', 'den,finetune', '--seeds', '1,2', '--baseline-seeds', '2', '--protocols', 'coupled', '--no-throughput', '--out', dir];
    const r = spawnSync(process.execPath, [path.join(root, 'dist', 'bench.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 300000 });
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.json'))!), 'utf8'));
    assert.deepEqual(json.baselineSeeds, [2]);
    const seedsOf = (method: string) => json.methods.find((m: { method: string }) => m.method === method).runs.map((run: { spec: { seed: number } }) => run.spec.seed).sort();
    assert.deepEqual(seedsOf('den'), [1, 2]);
    assert.deepEqual(seedsOf('finetune'), [2]);
  });

  it('--from writes the same report again from result files, also from one split in two, and refuses a run recorded twice', () => {
    const file = path.join(out, fs.readdirSync(out).find((f) => f.startsWith('permuted-mnist') && f.endsWith('.json'))!);
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const dir = path.join(out, 'from');
    fs.mkdirSync(dir);
    const [a, b] = [path.join(dir, 'a.json'), path.join(dir, 'b.json')];
    fs.writeFileSync(a, JSON.stringify({ ...json, methods: json.methods.filter((m: { method: string }) => m.method.startsWith('den')) }));
    fs.writeFileSync(b, JSON.stringify({ ...json, methods: json.methods.filter((m: { method: string }) => !m.method.startsWith('den')) }));
    const bench = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'dist', 'bench.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 60000 });
    const r = bench('--from', b, '--from', a, '--out', dir);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, path.basename(file)), 'utf8')), json);
    assert.equal(fs.readFileSync(path.join(dir, path.basename(file).replace(/\.json$/, '.md')), 'utf8'), fs.readFileSync(file.replace(/\.json$/, '.md'), 'utf8'));
    // runs of another commit: the report says which methods ran at which commit
    const other = path.join(dir, 'other.json');
    const recode = (m: { runs: object[] }) => ({ ...m, runs: m.runs.map((run) => ({ ...run, code: 'abc1234' })) });
    fs.writeFileSync(other, JSON.stringify({ ...json, methods: JSON.parse(fs.readFileSync(b, 'utf8')).methods.map(recode) }));
    const mixed = path.join(dir, 'mixed');
    assert.equal(bench('--from', a, '--from', other, '--out', mixed).status, 0);
    const mixedMd = fs.readFileSync(path.join(mixed, path.basename(file).replace(/\.json$/, '.md')), 'utf8');
    assert.match(mixedMd, /^Code: den, den-no-timestamps, den-constant, den-no-split at commit [0-9a-f]{7,}(\+changes)?; finetune · coupled WD, .* at commit abc1234\.$/m);
    assert.doesNotMatch(fs.readFileSync(file.replace(/\.json$/, '.md'), 'utf8'), /^Code: .*;/m, 'one invocation: one commit');
    const twice = bench('--from', file, '--from', a, '--out', dir);
    assert.equal(twice.status, 2);
    assert.match(twice.stderr, /^--from: den \(seed 1, coupled wd\) is in both \S+ and \S+a\.json\n$/);
  });
});
