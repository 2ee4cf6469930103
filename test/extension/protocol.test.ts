// The message schemas (src/common/protocol.ts) checked to the leaf, in every direction: trainer → host,
// host → trainer, host ⇄ webview, and run files read from disk. Real messages come from the
// recorded runs of test/webview/fixtures; fast-check corrupts one leaf at a time.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { RunError, RunFolder } from '../../src/engine/run/runFolder';
import type { DenEvent, HostToWebview, TrainerToHost } from '../../src/common/protocol';
import { checkEvent, checkHostToTrainer, checkHostToWebview, checkSummary, checkTrainerToHost, checkWebviewToHost, type Checked } from '../../src/common/protocolGuards';
import { FIXTURES, loadFixture, loadSweepFixture } from '../webview/fixtures';

const runs = FIXTURES.map(loadFixture);
const events = runs.flatMap((r) => r.events);
const ofType = <T extends DenEvent['type']>(type: T) => events.find((e): e is Extract<DenEvent, { type: T }> => e.type === type)!;

/** Every leaf of a value: its path (as valibot's dot path) and value. */
function leaves(v: unknown, at: string[] = []): { path: string[]; value: unknown }[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...at, String(i)]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => leaves(x, [...at, k]));
  return [{ path: at, value: v }];
}

/** A value of another type than `v`, which no leaf of these schemas accepts in its place. */
const wrongFor = (v: unknown): unknown => (typeof v === 'number' ? 'x' : typeof v === 'string' ? { s: v } : typeof v === 'boolean' ? 'yes' : v === null ? {} : null);

function corrupt<T>(msg: T, leafPath: string[]): T {
  const copy = structuredClone(msg) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const key of leafPath.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = leafPath[leafPath.length - 1];
  node[last] = wrongFor(node[last]);
  return copy as T;
}

/** Checks that every single-leaf corruption of `msg` is refused, naming the leaf's path. */
function everyLeafIsChecked(name: string, msg: object, checker: (m: unknown) => Checked<unknown>, skip: (p: string[]) => boolean = () => false) {
  const all = leaves(msg).filter((l) => l.path.length > 0 && l.path[l.path.length - 1] !== 'type' && !skip(l.path));
  assert.ok(all.length > 0);
  fc.assert(
    fc.property(fc.constantFrom(...all), (leaf) => {
      const result = checker(corrupt(msg, leaf.path));
      assert.equal(result.ok, false, `${name}: ${leaf.path.join('.')} = ${JSON.stringify(wrongFor(leaf.value))} was accepted`);
      if (!result.ok) {
        assert.ok(result.problem.includes(leaf.path.join('.')), `${name}: the problem names ${leaf.path.join('.')}: ${result.problem}`);
        assert.ok(!result.problem.includes('\n') && result.problem.length <= 301);
      }
    }),
    { numRuns: Math.min(200, all.length * 2), seed: 3 },
  );
}

describe('message schemas, checked to the leaf', () => {
  it('every event of two recorded runs is well-formed', () => {
    for (const e of events) assert.equal(checkEvent(e).ok, true, JSON.stringify(e).slice(0, 200));
    for (const r of runs) assert.equal(checkSummary(r.summary).ok, true);
  });

  it('trainer → host: a corrupted leaf of any event or of the summary in "done" is refused, naming it', () => {
    const time = (p: string[]) => p[p.length - 1] === 'time'; // run-start's time is a string or a number
    for (const type of ['run-start', 'stage-start', 'loss', 'stage-end', 'selection', 'tau-test', 'expansion', 'split', 'task-end', 'checkpoint', 'run-end'] as const) {
      everyLeafIsChecked(type, { type: 'event', event: ofType(type) } satisfies TrainerToHost, checkTrainerToHost, time);
    }
    everyLeafIsChecked('done', { type: 'done', runDir: '/r', cancelled: false, summary: runs[0].summary! } satisfies TrainerToHost, checkTrainerToHost);
    assert.equal(checkTrainerToHost({ type: 'ready', pid: 3, node: 'v20' }).ok, true);
    const nan = checkTrainerToHost({ type: 'event', event: { ...ofType('loss'), loss: Infinity } });
    assert.equal(nan.ok, false, 'a non-finite loss is not a number here');
  });

  it('host → trainer: a job is checked to its fields', () => {
    assert.equal(checkHostToTrainer({ type: 'train', job: { experimentFile: '/e', tasks: 2, backend: 'wasm' } }).ok, true);
    everyLeafIsChecked('train', { type: 'train', job: { experimentFile: '/e', runDir: '/r', retrainTask: 2, tasks: 1, runsDir: '/x', backend: 'cpu' } }, checkHostToTrainer);
    const bad = checkHostToTrainer({ type: 'train', job: { experimentFile: '/e', retrainTask: 0 } });
    assert.ok(!bad.ok && /'train'\.job\.retrainTask: Invalid value: Expected >=1 but received 0/.test(bad.problem), JSON.stringify(bad));
    assert.ok(!checkHostToTrainer({ type: 'rm -rf' }).ok);
  });

  it('host → webview: a corrupted leaf anywhere in a snapshot (summary, events, thresholds) is refused', () => {
    const snapshot: HostToWebview = {
      type: 'snapshot',
      runs: runs.map((r) => ({ id: r.id, label: r.label })),
      run: { ...runs[0], events: runs[0].events.filter((e) => e.type !== 'loss').slice(0, 40) },
      compare: [],
      experimentFile: '/w/e.den.json',
      thresholds: { tau: 0.01, sigma: 0.05, k: 25, mu: 1e-5, gamma: [0.001, 0.002], lambda: 0.5, epochs: 5, learningRate: 0.001 },
      training: { running: true, runId: runs[0].id, task: 3 },
    };
    assert.equal(checkHostToWebview(snapshot).ok, true);
    everyLeafIsChecked('snapshot', snapshot, checkHostToWebview, (p) => p[p.length - 1] === 'time');
    everyLeafIsChecked('events', { type: 'events', runId: 'abc', events: runs[1].events.slice(0, 30) }, checkHostToWebview, (p) => p[p.length - 1] === 'time');
  });

  it('webview → host: runs are named by id, never by path; every field is checked', () => {
    const ok = (m: unknown) => checkWebviewToHost(m).ok;
    assert.ok(ok({ type: 'selectRun', runId: 'Ab3_x-9' }));
    assert.ok(!ok({ type: 'selectRun', runDir: '/etc' }), 'a path is not a run id');
    for (const runId of ['../../etc/passwd', '/home/u/runs/x', 'C:\\runs\\x', '', 'a'.repeat(41)]) assert.ok(!ok({ type: 'selectRun', runId }), runId);
    assert.ok(!ok({ type: 'compareRuns', runIds: ['a', '/b'] }));
    assert.ok(!ok({ type: 'compareRuns', runIds: Array.from({ length: 17 }, (_, i) => `r${i}`) }), 'a bounded list');
    assert.ok(!ok({ type: 'setThreshold', field: 'name', value: 1 }));
    assert.ok(!ok({ type: 'setThreshold', field: 'sigma', value: [] }));
    assert.ok(!ok({ type: 'setThreshold', field: 'sigma', value: Infinity }));
    assert.ok(!ok({ type: 'retrainTask', task: 0 }));
    assert.ok(!ok({ type: 'savePng', chart: 'x', dataUrl: 'javascript:alert(1)' }));
    assert.ok(!ok({ type: 'savePng', chart: '../../.bashrc', dataUrl: 'data:image/png;base64,AA' }), 'no path in a chart name');
    assert.ok(!ok({ type: 'log', level: 'fatal', message: 'x' }));
    assert.ok(!ok(null) && !ok('ready') && !ok([]));
    everyLeafIsChecked('setThreshold', { type: 'setThreshold', field: 'gamma', value: [0.1, 0.2] }, checkWebviewToHost);
    everyLeafIsChecked('savePng', { type: 'savePng', chart: 'run-loss-task2', dataUrl: 'data:image/png;base64,AA' }, checkWebviewToHost);
  });

  it('host → webview: the Sweep tab’s message, sweep.json included, is checked to every leaf', () => {
    const sweep = loadSweepFixture();
    const msg: HostToWebview = { type: 'sweep', sweeps: [{ id: 's1', label: 'a' }, { id: 's2', label: 'b' }], shown: { id: 's1', label: 'a', sweep }, reveal: true };
    assert.equal(checkHostToWebview(msg).ok, true);
    assert.equal(checkHostToWebview({ ...msg, shown: null, sweeps: [] }).ok, true);
    everyLeafIsChecked('sweep', msg, checkHostToWebview);
    assert.ok(!checkHostToWebview({ ...msg, shown: { ...msg.shown!, id: '../x' } }).ok, 'a sweep is named by id');
  });

  it('the Units tab: a request names a run by id; the answer is checked to every leaf, its weights must be base64', () => {
    const ok = (m: unknown) => checkWebviewToHost(m).ok;
    assert.ok(ok({ type: 'requestUnits', runId: 'Ab3', task: 2, layer: 1 }));
    for (const bad of [{ runId: '/runs/x', task: 2, layer: 1 }, { runId: 'a', task: 0, layer: 1 }, { runId: 'a', task: 1, layer: 65 }]) assert.ok(!ok({ type: 'requestUnits', ...bad }), JSON.stringify(bad));
    everyLeafIsChecked('requestUnits', { type: 'requestUnits', runId: 'r1', task: 2, layer: 1 }, checkWebviewToHost);
    const view = {
      task: 2,
      layer: 1,
      inputs: 4,
      units: 2,
      weights: Buffer.from(new Float32Array([0.5, -1, 0, 2, 1, 1, -0.25, 0]).buffer).toString('base64'),
      scale: 2,
      born: [1, 2],
      copyOf: [-1, 0],
      image: [2, 2] as [number, number],
      pixelOrder: [[3, 2, 1, 0], null],
      outgoing: [[{ layer: 2, task: null, unit: 0, weight: 0.3 }], [{ layer: null, task: 2, unit: 1, weight: -0.1 }]],
    };
    const msg: HostToWebview = { type: 'units', runId: 'r1', task: 2, layer: 1, view, problem: null };
    assert.equal(checkHostToWebview(msg).ok, true);
    assert.equal(checkHostToWebview({ ...msg, view: null, problem: 'no checkpoint after task 2' }).ok, true);
    everyLeafIsChecked('units', msg, checkHostToWebview);
    assert.ok(!checkHostToWebview({ ...msg, view: { ...view, weights: '<script>' } }).ok, 'weights are base64');
    assert.ok(!checkHostToWebview({ ...msg, view: { ...view, copyOf: [-3, 0] } }).ok, 'a lineage below −2');
    assert.ok(!checkHostToWebview({ ...msg, view: { ...view, pixelOrder: [[0.5, 1, 2, 3], null] } }).ok, 'a pixel order of indices');
  });

  it('webview → host: sweeps and points are named by id, never by path; the values to adopt are never sent', () => {
    const ok = (m: unknown) => checkWebviewToHost(m).ok;
    assert.ok(ok({ type: 'selectSweep', sweepId: 'Ab3_x-9' }));
    assert.ok(ok({ type: 'adoptSweepPoint', sweepId: 'Ab3_x-9', pointId: '03-tau0.2-k10' }));
    assert.ok(ok({ type: 'openSweepRun', sweepId: 'Ab3_x-9', pointId: '01-gamma0.001_0.01' }));
    for (const pointId of ['../../etc/passwd', '/home/u/x', 'a b', '', 'x'.repeat(161)]) assert.ok(!ok({ type: 'adoptSweepPoint', sweepId: 's', pointId }), pointId);
    for (const sweepId of ['/s', '..', '']) assert.ok(!ok({ type: 'selectSweep', sweepId }), sweepId);
    const extra = checkWebviewToHost({ type: 'adoptSweepPoint', sweepId: 's', pointId: 'p', values: { 'den.tau': -1 } });
    assert.ok(extra.ok && !('values' in extra.value), 'values from the page are dropped: the host reads them from sweep.json');
    everyLeafIsChecked('adoptSweepPoint', { type: 'adoptSweepPoint', sweepId: 's1', pointId: '01-k2' }, checkWebviewToHost);
    everyLeafIsChecked('openSweepRun', { type: 'openSweepRun', sweepId: 's1', pointId: '01-k2' }, checkWebviewToHost);
  });

  it('an undeclared field (a newer version’s) is dropped, not refused; a declared one is never dropped', () => {
    const { time: _logged, ...expansion } = ofType('expansion') as DenEvent & { time?: number }; // the log's time stamp is not declared either
    const checked = checkEvent({ ...expansion, futureField: [1, 2] });
    assert.ok(checked.ok);
    assert.ok(!('futureField' in checked.value));
    assert.deepEqual(checked.value, expansion);
  });

  describe('summary.json read from disk', () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-summary-'));
      fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ format: 'den-lab-run', formatVersion: 1, name: 'x', created: '2026-01-01', parent: null }));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const write = (s: unknown) => fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(s));

    it('a newer run with fields this version does not know still reads, and keeps them', () => {
      const summary = structuredClone(runs[0].summary!) as Record<string, any>;
      summary.tasks[0].unitLineage = [[1, 2]];
      summary.validationScores = [0.9];
      write(summary);
      const read = RunFolder.open(dir).readSummary()! as unknown as Record<string, any>;
      assert.equal(read.tasks.length, runs[0].summary!.tasks.length);
      assert.deepEqual(read.validationScores, [0.9], 'kept for Export JSON and the sweep');
      assert.deepEqual(read.tasks[0].unitLineage, [[1, 2]]);
      // in a message, only what this version declares goes on
      const done = checkTrainerToHost({ type: 'done', runDir: dir, cancelled: false, summary: read });
      assert.ok(done.ok && done.value.type === 'done' && !('validationScores' in done.value.summary));
    });

    it('an older run without the optional fields reads; a wrong leaf is a RunError that names it', () => {
      const old = structuredClone(runs[0].summary!) as Record<string, any>;
      delete old.status;
      delete old.networks;
      for (const t of old.tasks) delete t.penalty;
      write(old);
      assert.equal(RunFolder.open(dir).readSummary()!.status, undefined);
      old.tasks[1].accuracy = 'high';
      write(old);
      assert.throws(() => RunFolder.open(dir).readSummary(), (err: Error) => err instanceof RunError && /summary\.json: not a DEN Lab summary this version can read \(tasks\.1\.accuracy: Invalid type: Expected number but received "high"\)/.test(err.message));
    });
  });
});
