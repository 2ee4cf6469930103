// The threaded WASM build as users get it: the built bundles (dist/cli.js, dist/threads-probe.js)
// in child processes, since a process initialises the WASM backend only once.
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { THREADED_WORKER_SCRIPT } from '../../src/engine/wasmThreads';
import { parseThreads, probeCacheFile } from '../../src/engine/wasmThreadsChoice';
import type { DenEvent, RunSummary } from '../../src/common/protocol';
import { cli, root } from './helpers';

const dist = path.join(root, 'dist');

describe('WASM on several threads', function () {
  this.timeout(300000);
  let dir: string;
  let experiment: string;

  /** den-lab train … --json with extra environment; the process must exit by itself within 4 minutes. */
  function train(args: string[], env: Record<string, string> = {}) {
    const r = spawnSync(process.execPath, [cli, 'train', experiment, '--out', path.join(dir, 'runs'), '--json', ...args], { cwd: dir, encoding: 'utf8', timeout: 240000, env: { ...process.env, ...env } });
    assert.equal(r.signal, null, `den-lab exited by itself (it was killed by ${r.signal}: a worker kept it alive?)`);
    assert.equal(r.status, 0, r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as DenEvent | { type: 'result'; runDir: string; summary: RunSummary });
    const result = events.find((e) => e.type === 'result') as { runDir: string; summary: RunSummary };
    const start = events.find((e) => e.type === 'run-start') as Extract<DenEvent, { type: 'run-start' }>;
    const losses = events.filter((e): e is Extract<DenEvent, { type: 'loss' }> => e.type === 'loss').map((e) => e.loss);
    const summary = JSON.parse(fs.readFileSync(path.join(result.runDir, 'summary.json'), 'utf8')) as RunSummary;
    return { start, losses, summary, stderr: r.stderr };
  }

  before(() => {
    assert.ok(fs.existsSync(path.join(dist, 'wasm', THREADED_WORKER_SCRIPT)), 'npm run build wrote the threaded worker script');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-threads-'));
    experiment = path.join(dir, 'small.den.json');
    fs.writeFileSync(
      experiment,
      JSON.stringify({
        name: 'threads',
        data: { source: 'mnist', limit: 800 },
        tasks: { type: 'permuted', count: 2 },
        network: { hidden: [64, 32] },
        training: { epochs: 1, batchSize: 64, lossEvery: 2 },
        den: { sparseHeadSteps: 10 },
      }),
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a run on 2 threads reports them, gives the losses of a single-threaded run within float32 noise, and exits', () => {
    const one = train(['--threads', '1']);
    const two = train(['--threads', '2']);
    assert.equal(one.start.backend.threads, 1);
    assert.equal(two.start.backend.threads, 2, two.start.backend.detail);
    assert.equal(two.summary.backend.threads, 2);
    assert.match(two.summary.backend.detail, /2 threads \(2 asked for\)/);
    assert.ok(one.losses.length > 10);
    assert.equal(two.losses.length, one.losses.length);
    one.losses.forEach((l, i) => assert.ok(Math.abs(l - two.losses[i]) <= 1e-4 * (1 + Math.abs(l)), `loss ${i}: ${l} vs ${two.losses[i]}`));
    assert.deepEqual(two.summary.tasks.map((t) => t.units), one.summary.tasks.map((t) => t.units));
  });

  it('a threaded build that fails to load falls back to one thread in the same process, with the reason in one line', () => {
    const bad = path.join(dir, 'bad-wasm');
    fs.cpSync(path.join(dist, 'wasm'), bad, { recursive: true });
    const binary = path.join(bad, 'tfjs-backend-wasm-threaded-simd.wasm');
    fs.writeFileSync(binary, fs.readFileSync(binary).subarray(0, 1000)); // a truncated binary: WebAssembly cannot compile it
    const r = train(['--threads', '2'], { DEN_LAB_WASM_DIR: bad });
    assert.equal(r.start.backend.threads, 1);
    assert.match(r.start.backend.detail, /^WebAssembly, SIMD, 1 thread \(2 asked for, but the threaded build failed to load \(Aborted\(CompileError: [^\n]*\)\)\)/);
    assert.equal(r.stderr, '', "Emscripten's own error lines are kept out of the output");
    assert.ok(r.losses.length > 10 && r.losses.every(Number.isFinite));

    fs.rmSync(path.join(bad, THREADED_WORKER_SCRIPT));
    const missing = train(['--threads', '2'], { DEN_LAB_WASM_DIR: bad });
    assert.equal(missing.start.backend.threads, 1);
    assert.ok(missing.start.backend.detail.includes(`but ${path.join(bad, THREADED_WORKER_SCRIPT)} is missing (npm run build writes it)`), missing.start.backend.detail);
  });

  it("'auto' measures 1 against N threads once, caches the result, and follows it", () => {
    const cache = path.join(dir, 'cache');
    const first = train(['--threads', 'auto'], { DEN_LAB_CACHE_DIR: cache });
    const n = os.availableParallelism();
    if (n < 2) {
      assert.match(first.start.backend.detail, /1 thread \(auto: one core\)/);
      return;
    }
    const file = path.join(cache, path.basename(probeCacheFile(n)));
    const probe = JSON.parse(fs.readFileSync(file, 'utf8')) as { threads: number; single: number; threaded: number };
    assert.equal(probe.threads, n);
    assert.ok(probe.single > 0 && probe.threaded > 0);
    const faster = probe.threaded / probe.single >= 1.1;
    assert.equal(first.start.backend.threads, faster ? n : 1, first.start.backend.detail);
    assert.match(first.start.backend.detail, new RegExp(`auto: ${n} threads measured ${(probe.threaded / probe.single).toFixed(2)}× of 1\\)`));
    assert.match(first.stderr, /measuring whether \d+ WASM threads train faster than 1/, 'the wait of a fresh probe is announced');
    // A second run reads the cache: the same choice, said to be cached. A doctored cache shows it is read.
    fs.writeFileSync(file, JSON.stringify({ ...probe, single: 100, threaded: 500 }));
    const second = train([], { DEN_LAB_CACHE_DIR: cache, DEN_LAB_WASM_THREADS: 'auto' });
    assert.equal(second.start.backend.threads, n);
    assert.match(second.start.backend.detail, new RegExp(`auto: ${n} threads measured 5\\.00× of 1 \\(cached `));
    assert.doesNotMatch(second.stderr, /measuring whether/, 'a cached choice measures nothing');
  });

  it('the probe trains the threaded MLP and DEN stage without leaving WASM buffers behind', () => {
    const r = spawnSync(process.execPath, [path.join(dist, 'threads-probe.js'), '2', '4'], { encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as { threads: number; plain: number; den: number; leakedDataIds: number };
    assert.equal(out.threads, 2);
    assert.ok(out.plain > 0 && out.den > 0);
    assert.equal(out.leakedDataIds, 0);
  });

  it('bad thread counts are refused with one line (exit 2)', () => {
    assert.deepEqual(['auto', '1', '2', '64', '0', '65', '1.5', 'two', ''].map(parseThreads), ['auto', 1, 2, 64, undefined, undefined, undefined, undefined, undefined]);
    const r = spawnSync(process.execPath, [cli, 'train', experiment, '--threads', 'many'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.split('\n')[0], "den-lab: --threads must be auto or a thread count from 1 to 64, got 'many'");
    const env = spawnSync(process.execPath, [cli, 'train', experiment, '--out', path.join(dir, 'runs')], { encoding: 'utf8', env: { ...process.env, DEN_LAB_WASM_THREADS: '0' } });
    assert.equal(env.status, 2);
    assert.equal(env.stderr.split('\n')[0], "den-lab: DEN_LAB_WASM_THREADS must be auto or a thread count from 1 to 64, got '0'");
  });
});
