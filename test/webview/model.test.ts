// The dashboard's DOM-free parts in Node: the fold of a snapshot and live events into chart data,
// decimation, threshold parsing, view-state sanitising and message validation.
import { strict as assert } from 'node:assert';
import type { DenEvent } from '../../src/common/protocol';
import fc from 'fast-check';
import { MinMaxSeries, type Point } from '../../webview/decimate';
import { logTick } from '../../webview/logTicks';
import { messageHandler } from '../../webview/messages';
import { Pacer } from '../../webview/pacer';
import {
  applyEvents,
  averageScores,
  capacityCurve,
  compareLabels,
  emptyRun,
  histogram,
  knownTasks,
  markersOf,
  runFromSnapshot,
  scores,
  settle,
  shownTask,
  unitsAbove,
  type RunModel,
} from '../../webview/model';
import { parseThreshold, sameValue } from '../../webview/thresholdFields';
import { DEFAULT_VIEW, sanitizeViewState } from '../../webview/vscodeApi';
import { batches, eventsOfTask, loadFixture, longTaskEvents } from './fixtures';

const run02 = loadFixture('sigma-0.02');
const run05 = loadFixture('sigma-0.05');
const progressive = loadFixture('progressive');

/** The model's data without object identity, for deep comparison. */
const plain = (m: RunModel) => JSON.parse(JSON.stringify({ ...m, traces: [...m.traces.entries()] }));

describe('webview model: a recorded run', () => {
  const model = runFromSnapshot(run02);

  it('has a trace per task with every loss point, by stage, in order', () => {
    assert.deepEqual(knownTasks(model), [1, 2, 3]);
    for (const task of [1, 2, 3]) {
      const losses = eventsOfTask(run02.events, task).filter((e) => e.type === 'loss');
      const trace = model.traces.get(task)!;
      assert.equal(trace.points, losses.length, `task ${task} points`);
      assert.deepEqual(
        trace.segments.flatMap((s) => s.x),
        losses.map((e) => (e as Extract<DenEvent, { type: 'loss' }>).step),
      );
      assert.equal(trace.state, 'done');
    }
    assert.deepEqual(
      model.traces.get(1)!.segments.map((s) => s.stage),
      ['task1'],
    );
    assert.deepEqual(
      model.traces.get(3)!.segments.map((s) => s.stage),
      ['sparse-head', 'subnetwork', 'expansion', 'retrain'],
    );
    assert.ok(model.traces.get(3)!.stages.every((s) => s.end !== null));
  });

  it('marks the selection, the τ test, expansion, pruning and splits where they happened', () => {
    assert.deepEqual(markersOf(model.traces.get(1)!), []);
    // a run recorded before selection events had a step: the selection sits where subnetwork retraining starts
    const subnetwork = model.traces.get(2)!.stages.find((s) => s.stage === 'subnetwork')!;
    assert.equal(subnetwork.start, 430);
    assert.deepEqual(
      markersOf(model.traces.get(2)!).map((m) => [m.kind, m.step]),
      [
        ['selection', 430],
        ['tau', 575],
        ['expansion', 720],
        ['split', 720],
      ],
    );
    const task3 = markersOf(model.traces.get(3)!);
    assert.deepEqual(
      task3.map((m) => m.kind),
      ['selection', 'tau', 'expansion', 'prune', 'split'],
    );
    const sel3 = eventsOfTask(run02.events, 3).find((e) => e.type === 'selection') as Extract<DenEvent, { type: 'selection' }>;
    assert.equal(task3[0].label, `selected ${sel3.selected[0]}/${sel3.total[0]} · ${sel3.selected[1]}/${sel3.total[1]} units, ${sel3.inputsSelected}/${sel3.inputsTotal} inputs`);
    assert.equal(task3[3].label, 'pruned 1 unit (0 + 1 by layer)');
    assert.equal(task3[4].label, 'split 28 units (24 + 4 by layer)');
    // the default σ run expanded but split nothing
    assert.deepEqual(
      markersOf(runFromSnapshot(run05).traces.get(2)!).map((m) => m.kind),
      ['selection', 'tau', 'expansion'],
    );
    // a newer run's selection says how much of the old network retraining may change, at its own step
    const live = emptyRun('/r', 'r');
    applyEvents(live, [
      { type: 'task-start', task: 2, name: 't2', units: [4, 2] },
      { type: 'selection', task: 2, selected: [3, 1], total: [4, 2], inputsSelected: 5, inputsTotal: 8, weightsAllowed: [15, 3], weightsTotal: [32, 8], step: 12 },
    ]);
    assert.deepEqual(markersOf(live.traces.get(2)!), [{ kind: 'selection', step: 12, label: 'selected 3/4 · 1/2 units, 5/8 inputs, 45% of old weights trainable' }]);
  });

  it('counts the units above σ: at the trained σ exactly the units that split, fewer at a larger σ', () => {
    for (const task of [2, 3]) {
      const split = model.traces.get(task)!.split!;
      const at = unitsAbove(split, split.sigma);
      assert.deepEqual(at.units, split.splitUnits, `task ${task}`);
      const larger = unitsAbove(split, split.sigma * 1.25);
      larger.count.forEach((n, l) => assert.ok(n <= at.count[l]));
      assert.ok(larger.count.reduce((a, b) => a + b) < at.count.reduce((a, b) => a + b));
      assert.deepEqual(unitsAbove(split, 0).count, split.drift.map((l) => l.filter((r) => r > 0).length));
    }
  });

  it('computes ACC, BWT, FWT and forgetting as summary.json has them', () => {
    const s = run02.summary!;
    const acc = scores(model, 'accuracy');
    for (const k of ['acc', 'bwt', 'fwt', 'forgetting'] as const) assert.ok(Math.abs(acc[k]! - s[k]!) < 1e-12, `${k}: ${acc[k]} vs ${s[k]}`);
    const auc = scores(model, 'auroc');
    for (const k of ['acc', 'bwt', 'fwt', 'forgetting'] as const) assert.ok(Math.abs(auc[k]! - s.aurocMetrics[k]!) < 1e-12, `auroc ${k}`);
    averageScores(model, 'accuracy').forEach((a, i) => assert.ok(Math.abs(a! - s.averageAccuracy[i]) < 1e-12));
  });

  it('bins the drifts of every unit', () => {
    const split = model.traces.get(2)!.split!;
    const { centers, counts } = histogram(split.drift, 0.04, 20);
    assert.equal(centers.length, 20);
    counts.forEach((c, l) => assert.equal(c.reduce((a, b) => a + b), split.drift[l].length));
    assert.deepEqual(histogram([[0, 0.5, 1, 2]], 1, 2).counts, [[1, 3]]);
  });

  it('labels compared runs with the hyperparameters that differ', () => {
    const labels = compareLabels([model, runFromSnapshot(run05)]);
    assert.match(labels[0], /σ 0\.02/);
    assert.match(labels[1], /σ 0\.05/);
    assert.match(labels[0], /γ 0\.01/);
    assert.doesNotMatch(labels[0], /τ/);
    assert.deepEqual(compareLabels([model]), [model.label]);
  });

  it('labels runs of different methods with their method, and DEN thresholds only on DEN runs', () => {
    const [den02, den05, prog] = compareLabels([model, runFromSnapshot(run05), runFromSnapshot(progressive)]);
    // the progressive run recorded k = 25 (the DEN runs 10), but k means nothing to it
    assert.equal(den02, `${model.label} · den, σ 0.02, k 10, γ 0.01`);
    assert.equal(den05, `${run05.label} · den, σ 0.05, k 10, γ 0.001`);
    assert.equal(prog, `${progressive.label} · progressive`);
  });

  it('gives score against parameters after each task, for any method', () => {
    for (const snapshot of [run02, progressive]) {
      const run = runFromSnapshot(snapshot);
      const curve = capacityCurve(run, 'auroc');
      assert.deepEqual(curve.map((p) => p.params), snapshot.summary!.tasks.map((t) => t.params));
      assert.deepEqual(curve.map((p) => p.score), averageScores(run, 'auroc'));
      assert.deepEqual(curve.map((p) => p.task), [1, 2, 3]);
    }
    // progressive grows by a column (and laterals) per task: more than DEN's growth, same task 1
    const [den, prog] = [run02, progressive].map((s) => capacityCurve(runFromSnapshot(s), 'accuracy'));
    assert.equal(prog[0].params, den[0].params);
    assert.ok(prog[2].params > 2.5 * prog[0].params && prog[2].params > den[2].params);
    // the log axis of parameters: compact labels at 1, 2, 3, 5, 7 × 10^k only
    assert.deepEqual([300_000, 400_000, 500_000, 1_000_000, 2e6, 7e6, 1500].map(logTick), ['300k', '', '500k', '1M', '2M', '7M', '']);
  });
});

describe('webview model: live events', () => {
  it('folds a stream in any batching to the same model as the whole file', () => {
    const whole = plain(runFromSnapshot(run02));
    for (const size of [1, 7, 100]) {
      const model = emptyRun(run02.id, run02.label, null);
      for (const batch of batches(run02.events, size)) applyEvents(model, batch);
      model.summary = run02.summary;
      assert.deepEqual(plain(model), whole, `batches of ${size}`);
    }
  });

  it('ignores the events a snapshot and the first live batch both carry', () => {
    const cut = run02.events.findIndex((e) => e.type === 'split' && e.task === 3);
    const model = runFromSnapshot({ ...run02, events: run02.events.slice(0, cut) });
    assert.equal(model.current, 3);
    // the host's queue starts a little before the file's end
    const changes = applyEvents(model, run02.events.slice(cut - 12));
    assert.ok(changes.traces.has(3) && changes.tasks);
    assert.deepEqual(plain(model), plain(runFromSnapshot(run02)));
  });

  it('reports which tasks changed, and when the task list changed', () => {
    const model = runFromSnapshot({ ...run02, events: run02.events.filter((e) => !('task' in e) || (e.task ?? 0) < 3), summary: null });
    const start = run02.events.findIndex((e) => e.type === 'task-start' && e.task === 3);
    const first = applyEvents(model, run02.events.slice(start, start + 3));
    assert.ok(first.taskList && first.traces.has(3) && !first.tasks);
    assert.equal(shownTask(model, null), 3, 'follows the task in training');
    assert.equal(shownTask(model, 2), 2);
    const loss = applyEvents(model, [{ type: 'loss', task: 3, stage: 'sparse-head', step: 5000, loss: 0.1 }]);
    assert.ok(!loss.taskList && !loss.tasks && loss.traces.has(3));
  });

  it('settles a task that stopped without a word (killed process) unless it is training', () => {
    const cut = run02.events.findIndex((e) => e.type === 'tau-test' && e.task === 3);
    const model = runFromSnapshot({ ...run02, events: run02.events.slice(0, cut) });
    assert.equal(settle(model, { running: true, runId: run02.id, task: 3 }), false);
    assert.equal(model.traces.get(3)!.state, 'running');
    assert.equal(settle(model, { running: false, runId: null, task: null }), true);
    assert.equal(model.traces.get(3)!.state, 'cancelled');
    assert.equal(model.current, null);
  });

  it('never shows cancelled or failed work as a task: the last task stays the last completed one', () => {
    const model = runFromSnapshot(run02);
    const task4 = longTaskEvents(4, 30).slice(0, 12);
    applyEvents(model, task4);
    assert.deepEqual(knownTasks(model), [1, 2, 3, 4], 'the task in training is shown');
    assert.equal(shownTask(model, null), 4);
    applyEvents(model, [{ type: 'cancelled', task: 4, lastCompletedTask: 3 }]);
    assert.deepEqual(knownTasks(model), [1, 2, 3]);
    assert.equal(shownTask(model, null), 3);
    assert.equal(shownTask(model, 4), 3, 'a stale choice of the cancelled task falls back to the last task');
    const killed = runFromSnapshot(run02);
    applyEvents(killed, task4);
    settle(killed, { running: false, runId: null, task: null });
    assert.deepEqual(knownTasks(killed), [1, 2, 3], 'a task killed without a word is settled as cancelled');
    applyEvents(killed, [...task4.slice(0, 1), { type: 'error', message: 'loss became NaN', task: 4, stage: 'sparse-head' }]);
    assert.deepEqual(knownTasks(killed), [1, 2, 3], 'nor a failed one');
  });

  it('starts a task over when a new invocation trains it again', () => {
    const cut = run02.events.findIndex((e) => e.type === 'tau-test' && e.task === 3);
    const model = runFromSnapshot({ ...run02, events: run02.events.slice(0, cut) });
    const before = model.traces.get(3)!.points;
    assert.ok(before > 0);
    const restart = run02.events.filter((e) => e.type === 'run-start' || ('task' in e && e.task === 3));
    applyEvents(model, restart);
    assert.equal(model.traces.get(3)!.points, eventsOfTask(run02.events, 3).filter((e) => e.type === 'loss').length);
    assert.equal(model.traces.get(3)!.state, 'done');
  });

  it('records an error and a cancel on the running task', () => {
    const model = emptyRun('/r', 'r');
    applyEvents(model, longTaskEvents(1, 40).slice(0, 10));
    applyEvents(model, [{ type: 'error', message: 'loss became NaN', task: 1, stage: 'sparse-head' }]);
    assert.equal(model.traces.get(1)!.state, 'failed');
    assert.equal(model.error, 'loss became NaN');
    assert.equal(model.current, null);
    const other = emptyRun('/r', 'r');
    applyEvents(other, longTaskEvents(1, 40).slice(0, 10));
    applyEvents(other, [{ type: 'cancelled', task: 1, lastCompletedTask: 0 }]);
    assert.equal(other.traces.get(1)!.state, 'cancelled');
  });

  it('keeps 50,000 streamed loss points', () => {
    const model = emptyRun('/r', 'r');
    for (const batch of batches(longTaskEvents(1, 50_000), 500)) applyEvents(model, batch);
    assert.equal(model.traces.get(1)!.points, 50_000);
    assert.deepEqual(
      markersOf(model.traces.get(1)!).map((m) => m.kind),
      ['tau', 'expansion', 'prune', 'split'],
    );
  });
});

/** Decimates xs/ys in one update. */
const decimate = (xs: number[], ys: number[], width: number) => new MinMaxSeries().update(xs, ys, width);

/** Checks what min/max decimation promises, against the full series. */
function assertDecimated(out: readonly Point[], xs: number[], ys: number[], width: number): void {
  for (let i = 1; i < out.length; i++) assert.ok(out[i].x > out[i - 1].x, `x order at ${i}`);
  const buckets = new Map<number, { lo: number; hi: number; first: number; last: number; kept: number }>();
  xs.forEach((x, i) => {
    const b = Math.floor(x / width);
    const s = buckets.get(b);
    if (!s) buckets.set(b, { lo: ys[i], hi: ys[i], first: i, last: i, kept: 0 });
    else Object.assign(s, { lo: Math.min(s.lo, ys[i]), hi: Math.max(s.hi, ys[i]), last: i });
  });
  const index = new Map(xs.map((x, i) => [x, i]));
  const kept = new Map<number, Point[]>();
  for (const p of out) {
    const i = index.get(p.x);
    assert.ok(i !== undefined && ys[i] === p.y, `(${p.x}, ${p.y}) is a point of the series`);
    const b = Math.floor(p.x / width);
    buckets.get(b)!.kept++;
    kept.set(b, [...(kept.get(b) ?? []), p]);
  }
  for (const [b, s] of buckets) {
    const inBucket = kept.get(b) ?? [];
    assert.ok(s.kept >= 1 && s.kept <= 4, `bucket ${b} keeps ${s.kept}`);
    assert.ok(inBucket.some((p) => p.y === s.lo) && inBucket.some((p) => p.y === s.hi), `bucket ${b} keeps its lowest and highest`);
    assert.ok(inBucket.some((p) => p.x === xs[s.first]) && inBucket.some((p) => p.x === xs[s.last]), `bucket ${b} keeps its first and last`);
  }
}

describe('webview: min/max decimation', () => {
  it('keeps every point when a bucket is one step wide', () => {
    assert.deepEqual(decimate([1, 2, 3], [5, 4, 6], 1), [
      { x: 1, y: 5 },
      { x: 2, y: 4 },
      { x: 3, y: 6 },
    ]);
  });

  it('keeps at most four points per bucket, in x order, with every extreme, the first and the last', () => {
    const n = 50_000;
    const xs = Array.from({ length: n }, (_, i) => i + 1);
    const ys = xs.map((x) => Math.sin(x / 300) + (x === 31_337 ? 5 : 0) + (x === 777 ? -5 : 0));
    const out = decimate(xs, ys, n / 500);
    assert.ok(out.length <= 4 * 501 && out.length >= 2 * 500, `${out.length} points`);
    assert.deepEqual(out[0], { x: 1, y: ys[0] });
    assert.deepEqual(out[out.length - 1], { x: n, y: ys[n - 1] });
    assert.ok(out.some((p) => p.x === 31_337 && p.y === ys[31_336]));
    assert.ok(out.some((p) => p.x === 777 && p.y === ys[776]));
    assertDecimated(out, xs, ys, n / 500);
  });

  it('brought up to date batch by batch, draws what decimating the whole series at once draws', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.double({ min: -1e3, max: 1e3, noNaN: true })), { minLength: 1, maxLength: 400 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 20 }),
        fc.constantFrom(1, 2.5, 7, 40),
        (steps, cuts, width) => {
          const xs: number[] = [];
          const ys: number[] = [];
          for (const [dx, y] of steps) {
            xs.push((xs[xs.length - 1] ?? 0) + dx);
            ys.push(y);
          }
          const series = new MinMaxSeries();
          const seen: (readonly Point[])[] = [];
          let n = 0;
          for (let c = 0; n < xs.length; c++) {
            n = Math.min(xs.length, n + cuts[c % cuts.length]);
            seen.push(series.update(xs.slice(0, n), ys.slice(0, n), width));
          }
          const once = decimate(xs, ys, width);
          assert.deepEqual(seen[seen.length - 1], once);
          assertDecimated(once, xs, ys, width);
          // every update is a new array (chart.js compares them) and leaves the earlier ones as they were
          for (const s of seen) assert.ok(Object.isFrozen(s));
        },
      ),
    );
  });

  it('decimates anew when the bucket width changes', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const ys = xs.map((x) => (x * 7919) % 101);
    const series = new MinMaxSeries();
    series.update(xs, ys, 10);
    assert.deepEqual(series.update(xs, ys, 25), decimate(xs, ys, 25));
    assertDecimated(series.points, xs, ys, 25);
  });
});

/** A clock that moves only when told, with the timers it was given. */
function manualClock() {
  let t = 0;
  const timers: { at: number; run: () => void }[] = [];
  return {
    now: () => t,
    setTimeout: (run: () => void, ms: number) => timers.push({ at: t + ms, run }),
    pending: () => timers.length,
    /** Moves the time on, running the timers that fall due, in order. */
    advance(ms: number) {
      const end = t + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        if (!timers.length || timers[0].at > end) break;
        const next = timers.shift()!;
        t = next.at;
        next.run();
      }
      t = end;
    },
  };
}

describe('webview: the pacer of streamed redraws', () => {
  it('runs the first request at once and merges a burst into one run at the end of the interval', () => {
    const clock = manualClock();
    const runs: number[] = [];
    const pacer = new Pacer(100, () => runs.push(clock.now()), clock);
    pacer.request();
    assert.deepEqual(runs, [0]);
    for (let i = 0; i < 50; i++) {
      clock.advance(1);
      pacer.request();
    }
    assert.deepEqual(runs, [0]);
    assert.equal(clock.pending(), 1, 'one timer for the whole burst');
    clock.advance(100);
    assert.deepEqual(runs, [0, 100]);
    clock.advance(1000);
    assert.deepEqual(runs, [0, 100], 'nothing runs without a request');
    pacer.request();
    assert.deepEqual(runs, [0, 100, 1150], 'a request after a quiet interval runs at once');
  });

  it('never loses a request: a stream of requests of any rhythm ends with a run after the last one, and runs are an interval apart', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 250 }), { minLength: 1, maxLength: 60 }), (gaps) => {
        const clock = manualClock();
        const runs: number[] = [];
        let asked = 0;
        let seenByRun = 0;
        const pacer = new Pacer(100, () => {
          runs.push(clock.now());
          seenByRun = asked;
        }, clock);
        for (const gap of gaps) {
          clock.advance(gap);
          asked++;
          pacer.request();
        }
        clock.advance(100);
        assert.equal(seenByRun, asked, 'the last run came after the last request');
        for (let i = 1; i < runs.length; i++) assert.ok(runs[i] - runs[i - 1] >= 100, `runs at ${runs[i - 1]} and ${runs[i]}`);
      }),
    );
  });
});

describe('webview: threshold fields', () => {
  it('parses numbers, and γ as one number or one per layer', () => {
    assert.deepEqual(parseThreshold('sigma', ' 0.03 '), { value: 0.03 });
    assert.deepEqual(parseThreshold('tau', '1e-2'), { value: 0.01 });
    assert.deepEqual(parseThreshold('gamma', '0.001, 0.01'), { value: [0.001, 0.01] });
    assert.deepEqual(parseThreshold('gamma', '0.001'), { value: 0.001 });
  });

  it('says what is wrong with text that is not a value (ranges are the schema’s business)', () => {
    assert.match((parseThreshold('sigma', 'abc') as { error: string }).error, /^den\.sigma \[σ \(sigma\)\]: “abc” is not a number$/);
    assert.match((parseThreshold('k', '') as { error: string }).error, /enter a value/);
    assert.match((parseThreshold('tau', '0.1 0.2') as { error: string }).error, /one number/);
    assert.deepEqual(parseThreshold('sigma', '-1'), { value: -1 });
  });

  it('knows when typed text is the file’s value', () => {
    assert.ok(sameValue('sigma', '0.020', 0.02));
    assert.ok(sameValue('gamma', '1e-3,0.01', [0.001, 0.01]));
    assert.ok(!sameValue('sigma', '0.03', 0.02));
  });
});

describe('webview: view state', () => {
  it('is made safe whatever was stored', () => {
    assert.deepEqual(sanitizeViewState(undefined), { ...DEFAULT_VIEW, runId: undefined });
    assert.deepEqual(sanitizeViewState('junk'), { ...DEFAULT_VIEW, runId: undefined });
    assert.deepEqual(sanitizeViewState({ runId: 'r1', compare: ['a1', 3], tab: 'drift', task: 2, tables: ['loss'], score: 'auroc', logLoss: true, sweepColor: 'den.k' }), {
      runId: 'r1',
      compare: ['a1'],
      tab: 'drift',
      task: 2,
      tables: ['loss'],
      score: 'auroc',
      logLoss: true,
      sweepColor: 'den.k',
    });
    assert.equal(sanitizeViewState({ tab: 'sweep', sweepColor: 3 }).tab, 'sweep');
    assert.equal(sanitizeViewState({ sweepColor: 3 }).sweepColor, null);
    assert.equal(sanitizeViewState({ tab: 'nope', task: 0 }).tab, 'loss');
    assert.equal(sanitizeViewState({ task: 1.5 }).task, null);
  });
});

describe('webview: messages from the host', () => {
  const silence = <T>(fn: () => T): { result: T; errors: string[] } => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
    try {
      return { result: fn(), errors };
    } finally {
      console.error = original;
    }
  };

  it('dispatches a valid message by type', () => {
    const seen: string[] = [];
    const posted: unknown[] = [];
    const handle = messageHandler(
      { snapshot: () => seen.push('snapshot'), events: (m) => seen.push(`events ${m.events.length}`), runs: () => seen.push('runs'), thresholds: () => seen.push('thresholds'), training: () => seen.push('training'), sweep: () => seen.push('sweep'), units: (m) => seen.push(`units ${m.view?.units}`) },
      (m) => posted.push(m),
    );
    handle({ data: { type: 'events', runId: 'r1', events: [{ type: 'loss', task: 1, stage: 'task1', step: 1, loss: 1 }] } });
    handle({ data: { type: 'training', running: false, runId: null, task: null } });
    assert.deepEqual(seen, ['events 1', 'training']);
    assert.deepEqual(posted, []);
  });

  it('drops a malformed message and logs why, to the console and to the host', () => {
    const seen: string[] = [];
    const posted: { type: string; level?: string; message?: string }[] = [];
    const handle = messageHandler(
      { snapshot: () => seen.push('snapshot'), events: () => seen.push('events'), runs: () => seen.push('runs'), thresholds: () => seen.push('thresholds'), training: () => seen.push('training'), sweep: () => seen.push('sweep'), units: () => seen.push('units') },
      (m) => posted.push(m),
    );
    const { errors } = silence(() => {
      handle({ data: { type: 'events', runId: 42, events: [] } });
      handle({ data: { type: 'explode' } });
      handle({ data: 'snapshot' });
    });
    assert.deepEqual(seen, []);
    assert.equal(posted.length, 3);
    assert.ok(posted.every((m) => m.type === 'log' && m.level === 'error'));
    assert.match(posted[0].message!, /'events'\.runId: Invalid type: Expected string but received 42/);
    assert.match(posted[1].message!, /'explode'.*type: Invalid type: Expected \("snapshot" \| "events"/);
    assert.equal(errors.length, 3);
  });

  it('reports a handler that fails instead of dying silently', () => {
    const posted: { type: string; message?: string }[] = [];
    const handle = messageHandler(
      {
        snapshot: () => undefined,
        events: () => undefined,
        runs: () => undefined,
        thresholds: () => undefined,
        sweep: () => undefined,
        units: () => undefined,
        training: () => {
          throw new Error('boom');
        },
      },
      (m) => posted.push(m),
    );
    const { errors } = silence(() => handle({ data: { type: 'training', running: true, runId: 'r1', task: 1 } }));
    assert.match(posted[0].message!, /failed to handle 'training': Error: boom/);
    assert.equal(errors.length, 1);
  });
});
