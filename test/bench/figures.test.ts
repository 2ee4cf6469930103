// The bench's SVG figures from aggregated runs: parseable XML (an XML parser from npm), axes with
// ticks, one mark per method (and protocol), marks where the numbers put them.
import assert from 'node:assert/strict';
import { DOMParser, type Element } from '@xmldom/xmldom';
import type { MethodName } from '../../src/engine/experiment';
import { aggregate } from '../../src/bench/aggregate';
import { suiteFigures } from '../../src/bench/figures';
import type { Protocol, RunResult, SuiteInfo } from '../../src/bench/run';
import { linearScale, logScale } from '../../src/bench/svg';

const T = 4;

/**
 * A run whose R matrix has `score` everywhere except task 1, which decays by `forget` per later
 * task, and whose parameters grow by `growth` per task from `params`.
 */
function run(method: MethodName, protocol: Protocol, seed: number, score: number, params: number, growth = 0, forget = 0): RunResult {
  const R = Array.from({ length: T }, (_, t) => Array.from({ length: t + 1 }, (_, j) => (j === 0 ? score - forget * t : score)));
  const paramsAfterTask = Array.from({ length: T }, (_, t) => params + growth * t);
  const task = { unitsBefore: [10, 5], selectedUnits: null, selectedInputs: null, weightsAllowed: null, weightsChanged: null, weightsTotal: null, tauStatistic: null, expanded: false, added: [0, 0], pruned: [0, 0], split: [0, 0], maxDrift: null, driftP90: null, accuracy: score, auroc: score };
  const last = R[T - 1];
  const acc = last.reduce((a, b) => a + b, 0) / T;
  return {
    spec: { suite: 'x', method, seed, protocol, quick: true },
    acc,
    bwt: -forget * (T - 1) / T,
    fwt: 0,
    forgetting: 0,
    meanAuroc: acc,
    aurocBwt: 0,
    validationAcc: null,
    validationMeanAuroc: null,
    params: paramsAfterTask[T - 1],
    paramsAfterTask,
    paramsPctStl: 100,
    units: [10, 5],
    networks: 1,
    wallSeconds: 1,
    secondsPerTask: 1,
    samplesPerSecond: 1,
    backend: 'wasm',
    memory: { peakRssMB: 1, peakHeapMB: 1, peakTfMB: 1 },
    tensorsAfterTask: [],
    modelTensorsAfterTask: [],
    tensorGrowth: false,
    accuracy: R,
    auroc: R,
    tasks: Array.from({ length: T }, () => task),
    inputDim: 20,
  };
}

const info = (taskType: SuiteInfo['taskType'], suite = 'toy & <suite>'): SuiteInfo => ({ suite, experimentFile: 'x.den.json', taskType, tasks: T, hidden: [10, 5], loss: 'sigmoid-bce', inputDim: 20, stlParams: 4000 });

/** Two seeds per method; finetune and stl under both protocols (finetune stronger when decoupled). */
const runs = [
  run('den', 'coupled', 1, 0.95, 1000, 200),
  run('den', 'coupled', 2, 0.93, 1100, 220),
  run('finetune', 'coupled', 1, 0.5, 600, 0, 0.1),
  run('finetune', 'coupled', 2, 0.52, 600, 0, 0.1),
  run('finetune', 'decoupled', 1, 0.7, 600, 0, 0.05),
  run('finetune', 'decoupled', 2, 0.72, 600, 0, 0.05),
  run('stl', 'coupled', 1, 0.97, 1000, 1000),
  run('stl', 'coupled', 2, 0.97, 1000, 1000),
  run('progressive', 'coupled', 1, 0.98, 1000, 2000),
  run('progressive', 'coupled', 2, 0.96, 1000, 2000),
];

function parse(svg: string) {
  const problems: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => problems.push(`${level}: ${message}`) }).parseFromString(svg, 'image/svg+xml');
  assert.deepEqual(problems, [], 'well-formed XML');
  return doc.documentElement!;
}
const all = (root: Element, tag: string) => Array.from(root.getElementsByTagName(tag));
const byClass = (root: Element, cls: string) => all(root, 'g').filter((g) => g.getAttribute('class') === cls);
const marks = (root: Element) => byClass(root, 'mark').map((g) => ({ g, key: `${g.getAttribute('data-method')}|${g.getAttribute('data-protocol')}` }));
const num = (e: Element, a: string) => Number(e.getAttribute(a));

describe('bench figures (SVG)', () => {
  const stats = aggregate(runs);

  it('writes three figures per suite, each a parseable SVG document with a title, a white background and both axes', () => {
    const figures = suiteFigures(info('one-vs-rest'), stats);
    assert.deepEqual(figures.map((f) => f.name), ['quality-params', 'per-task', 'task1']);
    for (const f of figures) {
      const svg = parse(f.svg);
      assert.equal(svg.tagName, 'svg');
      assert.equal(svg.getAttribute('xmlns'), 'http://www.w3.org/2000/svg');
      assert.equal(all(svg, 'title')[0].textContent, f.title);
      assert.match(f.title, /^toy & <suite>: /, 'the suite name, escaped in the file and intact after parsing');
      const bg = all(svg, 'rect').find((r) => r.getAttribute('class') === 'background')!;
      assert.equal(bg.getAttribute('fill'), '#ffffff');
      for (const axis of ['axis x', 'axis y']) {
        const g = byClass(svg, axis);
        assert.equal(g.length, 1, `${f.name}: ${axis}`);
        assert.ok(all(g[0], 'text').length >= 3, `${f.name}: ${axis} has ticks and a title`);
      }
    }
  });

  it('quality against parameters: a mark per method and protocol at its mean, DEN over the tasks as a line', () => {
    const svg = parse(suiteFigures(info('one-vs-rest'), stats)[0].svg);
    const m = marks(svg);
    assert.deepEqual(m.map((x) => x.key).sort(), ['den|coupled', 'finetune|coupled', 'finetune|decoupled', 'progressive|coupled', 'stl|coupled']);
    const at = (key: string) => {
      const c = all(m.find((x) => x.key === key)!.g, 'circle')[0];
      return { x: num(c, 'cx'), y: num(c, 'cy'), fill: c.getAttribute('fill') };
    };
    // higher quality is higher up; more parameters further right
    assert.ok(at('progressive|coupled').y < at('den|coupled').y && at('den|coupled').y < at('finetune|decoupled').y && at('finetune|decoupled').y < at('finetune|coupled').y);
    assert.ok(at('finetune|coupled').x < at('den|coupled').x && at('den|coupled').x < at('stl|coupled').x && at('stl|coupled').x < at('progressive|coupled').x);
    assert.equal(at('finetune|coupled').x, at('finetune|decoupled').x);
    assert.equal(at('finetune|decoupled').fill, 'none', 'decoupled is a ring');
    assert.notEqual(at('finetune|coupled').fill, 'none');
    // DEN's error bars: its two seeds differ in quality and parameters
    assert.ok(all(m.find((x) => x.key === 'den|coupled')!.g, 'line').length === 6, 'vertical and horizontal bars with caps');
    const trajectory = byClass(svg, 'trajectory')[0];
    assert.equal(trajectory.getAttribute('data-method'), 'den');
    const pts = all(trajectory, 'polyline')[0].getAttribute('points')!.split(' ').map((p) => p.split(',').map(Number));
    assert.equal(pts.length, T);
    assert.ok(pts.every((p, i) => i === 0 || p[0] > pts[i - 1][0]), 'DEN grows task after task');
    // its last point is DEN's final point
    assert.ok(Math.abs(pts[T - 1][0] - at('den|coupled').x) < 0.02 && Math.abs(pts[T - 1][1] - at('den|coupled').y) < 0.02);
  });

  it('per-task bars and task-1 curves: a mark per method (its stronger protocol), a bar or point per task', () => {
    const [, bars, task1] = suiteFigures(info('permuted'), stats).map((f) => parse(f.svg));
    for (const svg of [bars, task1]) assert.deepEqual(marks(svg).map((x) => x.key), ['den|coupled', 'finetune|decoupled', 'stl|coupled', 'progressive|coupled']);
    for (const { g } of marks(bars)) assert.deepEqual(all(g, 'rect').map((r) => r.getAttribute('data-task')), ['1', '2', '3', '4']);
    // finetune's task 1 bar is lower than its task 2 bar (it forgot task 1)
    const ft = all(marks(bars)[1].g, 'rect');
    assert.ok(num(ft[0], 'y') > num(ft[1], 'y'));
    // task 1's curve: flat for stl, falling for finetune
    const line = (i: number) => all(marks(task1)[i].g, 'polyline')[0].getAttribute('points')!.split(' ').map((p) => Number(p.split(',')[1]));
    assert.equal(new Set(line(2)).size, 1, 'stl keeps task 1');
    assert.ok(line(1).every((y, i) => i === 0 || y > line(1)[i - 1]), 'finetune forgets task 1, task after task');
    assert.equal(line(1).length, T);
  });

  it('the same numbers give the same file', () => {
    assert.deepEqual(suiteFigures(info('permuted'), aggregate(runs)), suiteFigures(info('permuted'), stats));
  });

  it('scales: nice linear ticks, log ticks at 1-2-5 with compact labels', () => {
    const y = linearScale([0.93, 0.99], [500, 100]);
    assert.deepEqual(y.ticks.map((t) => t.label), ['0.93', '0.94', '0.95', '0.96', '0.97', '0.98', '0.99']);
    assert.equal(y(0.93), 500);
    assert.equal(y(0.99), 100);
    const x = logScale([150_000, 6_000_000], [0, 600]);
    assert.deepEqual(x.ticks.map((t) => t.label), ['200k', '500k', '1M', '2M', '5M']);
    assert.ok(Math.abs(x(1_000_000) - x(100_000) - (x(10_000_000) - x(1_000_000))) < 1e-9, 'equal decades');
  });
});
