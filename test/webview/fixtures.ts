// Recorded runs for the dashboard tests, and synthetic event streams built from them.
import * as fs from 'fs';
import * as path from 'path';
import type { DenEvent, RunSnapshot, RunSummary, SweepFile, UnitWeights } from '../../src/common/protocol';

const root = path.resolve(__dirname, '..', '..');

/**
 * Real 3-task runs of examples/permuted-mnist.den.json (`den-lab train … --tasks 3`), their
 * paths rewritten to /workspace: σ = 0.02 with γ = 0.01 (splits in tasks 2 and 3, one unit pruned
 * in task 3), the file's σ = 0.05 (no split), and `--method progressive` (a column of [312, 128]
 * units per task).
 */
export const FIXTURES = ['sigma-0.02', 'sigma-0.05', 'progressive'] as const;
export type FixtureName = (typeof FIXTURES)[number];

/**
 * A real 5-task one-vs-rest run with the default den section (classes 0, 1, 6, 3, 1 of 4,000
 * digits: `den-lab train` of the experiment in den.test.ts's defaults test), recorded with unit
 * lineage: pruning in tasks 2–4, a split copy in task 2, τ letting task 5 through. Not among the
 * default runs of the fake host: the tests that need it pass it.
 */
export const LINEAGE_FIXTURE = 'lineage';

export function loadFixture(name: FixtureName | typeof LINEAGE_FIXTURE): RunSnapshot {
  const dir = path.join(__dirname, 'fixtures', name);
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
  const events = fs
    .readFileSync(path.join(dir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DenEvent);
  // the host's index gives a run an id; the fixture's name, made id-safe, stands in for it
  return { id: name.replace(/\./g, '_'), label: `${summary.name} · ${name}`, summary, events };
}

/** The experiment file of the σ = 0.02 run (what the fake host's editor holds). */
export function fixtureExperimentText(): string {
  return fs
    .readFileSync(path.join(root, 'examples', 'permuted-mnist.den.json'), 'utf8')
    .replace(/"sigma": [\d.e-]+/, '"sigma": 0.02')
    .replace(/"gamma": [\d.e-]+/, '"gamma": 1e-2');
}

export const eventsOfTask = (events: DenEvent[], task: number) => events.filter((e) => 'task' in e && e.task === task);

/** Splits `xs` into batches of `size`. */
export function batches<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/**
 * A long task as the trainer would stream it: task-start, then `points` loss events spread over
 * the five DEN stages (noisy decaying curves), with the τ test, expansion and split at their steps.
 */
export function longTaskEvents(task: number, points: number, seed = 1): DenEvent[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const stages = ['sparse-head', 'subnetwork', 'expansion', 'retrain'] as const;
  const per = Math.ceil(points / stages.length);
  const out: DenEvent[] = [{ type: 'task-start', task, name: `permuted-${task}`, units: [312, 128] }];
  let step = 0;
  let emitted = 0;
  for (const stage of stages) {
    const n = Math.min(per, points - emitted);
    out.push({ type: 'stage-start', task, stage, steps: n, step });
    for (let i = 0; i < n; i++) {
      step++;
      out.push({ type: 'loss', task, stage, step, loss: 0.05 + 0.5 * Math.exp(-i / (n / 4)) + 0.03 * rand() });
    }
    emitted += n;
    out.push({ type: 'stage-end', task, stage, steps: n, seconds: 1, loss: 0.06, step });
    if (stage === 'subnetwork') out.push({ type: 'tau-test', task, statistic: 'train', value: 0.2, tau: 0.01, expand: true, step });
    if (stage === 'expansion') {
      out.push({ type: 'expansion', task, added: [10, 10], kept: [10, 9], pruned: [0, 1], units: [322, 137], step });
      out.push({ type: 'split', task, sigma: 0.02, drift: [[0.01, 0.03], [0.025]], splitUnits: [[1], [0]], units: [323, 138], skipped: null, step });
    }
  }
  return out;
}

/**
 * A real finished sweep (`den-lab sweep fx.den.json --tasks 2 --grid den.tau=0.01,0.5 --grid
 * den.k=2,6,12 --quality acc` on 600 digits, 60 steps per stage), its paths rewritten to
 * /workspace. τ changes nothing here (both values expand), so the points come in equal pairs.
 */
export function loadSweepFixture(): SweepFile {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'sweep-tau-k', 'sweep.json'), 'utf8')) as SweepFile;
}

/** Task t's hand-made pixel order for the Units tests: input i reads pixel (i·step + t) mod n, step coprime with n. */
export function handMadeOrder(n: number, task: number): number[] {
  const step = 5; // coprime with 784
  return Array.from({ length: n }, (_, i) => (i * step + task) % n);
}

/** A diagonal stroke on a 28×28 image: 1 on the diagonal, 0 elsewhere. */
export const diagonal = (): Float32Array => Float32Array.from({ length: 784 }, (_, p) => (Math.floor(p / 28) === p % 28 ? 1 : 0));

/**
 * What the host would send the Units tab for a recorded run after `task` (layer 1, 28×28): the
 * lineage as the engine builds it (task-1 units, then per task its kept new units, then its split
 * copies of the split event's units), pseudo-random weights except unit 0, which learned a
 * diagonal stroke in task 1's (hand-made) pixel order.
 */
export function unitsViewOf(run: RunSnapshot, task: number, units = 0): UnitWeights {
  const tasks = run.summary!.tasks.slice(0, task);
  const born: number[] = new Array(units || tasks[0].units[0]).fill(1);
  const copyOf: number[] = born.map(() => -1);
  if (!units) {
    for (const t of tasks.slice(1)) {
      const kept = t.expanded ? t.added[0] - t.pruned[0] : 0;
      for (let i = 0; i < kept; i++) {
        born.push(t.index);
        copyOf.push(-1);
      }
      const split = run.events.find((e) => e.type === 'split' && e.task === t.index) as Extract<DenEvent, { type: 'split' }> | undefined;
      for (const u of split?.splitUnits[0] ?? []) {
        born.push(t.index);
        copyOf.push(u);
      }
    }
  }
  const n = born.length;
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const w = Float32Array.from({ length: n * 784 }, () => 0.3 * rand());
  const order = handMadeOrder(784, 1);
  const stroke = diagonal();
  for (let i = 0; i < 784; i++) w[i] = stroke[order[i]];
  let scale = 0;
  for (const v of w) scale = Math.max(scale, Math.abs(v));
  return {
    task,
    layer: 1,
    inputs: 784,
    units: n,
    weights: Buffer.from(w.buffer).toString('base64'),
    scale,
    born,
    copyOf,
    image: [28, 28],
    pixelOrder: Array.from({ length: task }, (_, i) => handMadeOrder(784, i + 1)),
    outgoing: born.map((_, u) => [{ layer: 2, task: null, unit: u % 7, weight: 0.5 - u / (2 * n) }]),
  };
}
