// DEN's invariants on small real data (embedded MNIST digits, a small network, the WASM backend).
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { learnTask } from '../../src/engine/den/learnTask';
import { meanLoss, predict } from '../../src/engine/evaluate';
import { Experiment } from '../../src/engine/experiment';
import { Network } from '../../src/engine/network/network';
import { NetworkState } from '../../src/engine/network/state';
import { selectSubnetwork, selectionMasks } from '../../src/engine/network/structure';
import { Task } from '../../src/engine/data/tasks';
import type { DenEvent, RunSummary } from '../../src/common/protocol';
import { train } from '../../src/engine/session';
import { loadCheckpoint } from '../../src/engine/run/checkpoint';
import { headLoss } from '../../src/engine/methods/method';
import { addHead, freshNetwork, smallExperiment, tasksOf, useBackend, variableCount } from './helpers';

/** Trains task 1, adds task 2's head, and returns the network. */
async function afterTaskOne(exp: Experiment, tasks: Task[]): Promise<Network> {
  const net = freshNetwork(exp, tasks);
  addHead(net, tasks[0]);
  await learnTask(net, tasks[0], { experiment: exp, emit: () => {} });
  addHead(net, tasks[1]);
  return net;
}

/** Runs learnTask on task 2, taking snapshots of the network when the named events are emitted. */
async function learnWithSnapshots(net: Network, exp: Experiment, task: Task, at: (e: DenEvent) => string | null) {
  const snaps: Record<string, NetworkState> = { start: net.toState() };
  const events: DenEvent[] = [];
  await learnTask(net, task, {
    experiment: exp,
    emit: (e) => {
      events.push(e);
      const name = at(e);
      if (name) snaps[name] = net.toState();
    },
  });
  return { snaps, events, end: net.toState() };
}

describe('DEN on real data', function () {
  this.timeout(120000);
  before(useBackend);

  it('selective retraining changes only the selected subnetwork; everything else stays bit-identical', async () => {
    // A strong L1 makes the sparse head drop units, so the selection is a strict subset.
    const exp = smallExperiment({ training: { learningRate: 0.01 }, den: { mu: 0.01, sparseHeadSteps: 150, tau: 1e9, sigma: 1e9 } });
    const tasks = tasksOf(exp);
    const net = await afterTaskOne(exp, tasks);
    const { snaps, events } = await learnWithSnapshots(net, exp, tasks[1], (e) => (e.type === 'selection' ? 'selected' : e.type === 'tau-test' ? 'retrained' : null));
    const eps = exp.den.zeroEps;
    const sel = selectSubnetwork(snaps.selected, 2, eps, false);
    const selection = events.find((e) => e.type === 'selection') as Extract<DenEvent, { type: 'selection' }>;
    assert.deepEqual(selection.selected, sel.units.map((u) => u.reduce((a, b) => a + b, 0)));
    assert.ok(selection.selected[1] < 16, `some top units are not selected (${selection.selected})`);
    // the masks the engine trains with: selected units, and only their connections with |w| > zeroEps
    const masks = selectionMasks(snaps.selected, sel, exp.den.subnetworkWeights === 'non-zero', eps);
    let frozen = 0;
    let moved = 0;
    let tiny = 0;
    snaps.selected.layers.forEach((layer, l) => {
      const after = snaps.retrained.layers[l];
      layer.W.data.forEach((v, i) => {
        if (masks[l].W[i]) moved += v !== after.W.data[i] ? 1 : 0;
        else {
          frozen++;
          if (v !== 0 && Math.abs(v) <= eps) tiny++;
          assert.ok(Object.is(v, after.W.data[i]), `layer ${l + 1} weight ${i} outside the subnetwork (or within ±zeroEps) is unchanged`);
        }
      });
      layer.b.forEach((v, i) => {
        if (!masks[l].b[i]) assert.ok(Object.is(v, after.b[i]), `layer ${l + 1} bias ${i} of an unselected unit is unchanged`);
      });
    });
    // the old task's head is never touched
    assert.deepEqual(snaps.retrained.heads[0]!.W.data, snaps.start.heads[0]!.W.data);
    assert.ok(frozen > 0 && moved > 0, `both frozen (${frozen}) and trained (${moved}) weights exist`);
    // the default tolerance acts: non-zero weights within ±zeroEps exist and were left alone
    assert.ok(eps > 0 && tiny > 0, `zeroEps ${eps}: ${tiny} non-zero weights within it`);
    net.dispose();
  });

  it('subnetwork retraining changes only the head rows of selected top units', async () => {
    const exp = smallExperiment({ training: { learningRate: 0.01 }, den: { mu: 0.01, sparseHeadSteps: 150, tau: 1e9, sigma: 1e9 } });
    const tasks = tasksOf(exp);
    const net = await afterTaskOne(exp, tasks);
    const { snaps } = await learnWithSnapshots(net, exp, tasks[1], (e) => (e.type === 'selection' ? 'selected' : e.type === 'tau-test' ? 'retrained' : null));
    const top = selectSubnetwork(snaps.selected, 2, exp.den.zeroEps, false).units[1];
    const before = snaps.selected.heads[1]!.W;
    const after = snaps.retrained.heads[1]!.W;
    let moved = 0;
    for (let r = 0; r < before.rows; r++) {
      for (let o = 0; o < before.cols; o++) {
        const i = r * before.cols + o;
        if (top[r]) moved += before.data[i] !== after.data[i] ? 1 : 0;
        else assert.ok(Object.is(before.data[i], after.data[i]), `head row ${r} of an unselected top unit is unchanged`);
      }
    }
    assert.ok(top.includes(0) && moved > 0, `some top units are unselected (${top.filter(Boolean).length} of ${top.length}) and selected rows moved (${moved})`);
    net.dispose();
  });

  it('the τ statistic is the selectively retrained network\'s loss on the training set, and expansion follows it', async () => {
    const exp = smallExperiment({ den: { sigma: 1e9 } });
    const tasks = tasksOf(exp);
    const net = await afterTaskOne(exp, tasks);
    const { snaps, events } = await learnWithSnapshots(net, exp, tasks[1], (e) => (e.type === 'tau-test' ? 'tested' : null));
    const tau = events.find((e) => e.type === 'tau-test') as Extract<DenEvent, { type: 'tau-test' }>;
    const probe = new Network(snaps.tested);
    const loss = meanLoss(probe, 2, tasks[1].train, headLoss(exp, tasks[1].outputs));
    probe.dispose();
    assert.ok(Math.abs(loss - tau.value) < 1e-6, `statistic ${tau.value} = training BCE of the retrained network ${loss}`);
    assert.equal(tau.expand, tau.value > exp.den.tau);
    // the same task with τ just above and just below the statistic: skipped, then expanded
    for (const [t, expands] of [[tau.value * 1.01, false], [tau.value * 0.99, true]] as const) {
      const again = await afterTaskOne(smallExperiment({ den: { sigma: 1e9, tau: t } }), tasks);
      const run = await learnWithSnapshots(again, smallExperiment({ den: { sigma: 1e9, tau: t } }), tasks[1], () => null);
      const test = run.events.find((e) => e.type === 'tau-test') as Extract<DenEvent, { type: 'tau-test' }>;
      assert.ok(Math.abs(test.value - tau.value) < 1e-6, 'same training, same statistic');
      assert.equal(test.expand, expands, `τ = ${t}`);
      assert.equal(run.events.some((e) => e.type === 'expansion'), expands);
      again.dispose();
    }
    net.dispose();
  });

  it('over three tasks with every drifted unit split, earlier tasks compute exactly what they did, copies of copies included', async () => {
    // k = 0: no expansion, so every unit born at task 2 is a split copy
    const exp = smallExperiment({ den: { k: 0, sigma: 0, driftBias: true } });
    const tasks = tasksOf(exp);
    const net = freshNetwork(exp, tasks);
    const outputs: Float32Array[][] = [];
    const splits: Extract<DenEvent, { type: 'split' }>[] = [];
    for (const task of tasks) {
      addHead(net, task);
      await learnTask(net, task, { experiment: exp, emit: (e) => e.type === 'split' && splits.push(e) });
      outputs.push(tasks.slice(0, task.index).map((j) => predict(net, j.index, j.test, 'sigmoid-bce')));
      for (let j = 0; j < task.index - 1; j++) {
        const was = outputs[task.index - 2][j];
        assert.ok(outputs[task.index - 1][j].every((v, i) => Object.is(v, was[i])), `task ${j + 1}'s outputs after task ${task.index} are bit-identical`);
      }
    }
    const born = net.born();
    // task 3 split some unit born at task 2, i.e. a copy made in task 2
    const copiesOfCopies = splits[1].splitUnits.map((units, l) => units.filter((u) => born[l][u] === 2).length);
    assert.ok(copiesOfCopies.some((n) => n > 0), `task 3 split copies made in task 2 (${copiesOfCopies})`);
    // lineage: every copy records its original, in the order split chose them; task 3's copies of task-2 copies point at copies
    const state = net.toState();
    state.layers.forEach((layer, l) => {
      const recorded = (task: number) => Array.from(layer.copyOf.filter((_, u) => layer.born[u] === task));
      assert.deepEqual(recorded(2), splits[0].splitUnits[l], `layer ${l + 1}: the copies of task 2`);
      assert.deepEqual(recorded(3), splits[1].splitUnits[l], `layer ${l + 1}: the copies of task 3`);
      assert.ok(recorded(1).every((o) => o === -1), 'the initial units are not copies');
      for (const o of recorded(3)) if (layer.born[o] === 2) assert.ok(layer.copyOf[o] >= 0, `a copy of a copy: unit ${o + 1} is itself a copy`);
    });
    net.dispose();
  });

  it('adding units for a later task leaves earlier tasks\' outputs bit-identical (timestamps)', async () => {
    const exp = smallExperiment({ den: { tau: 0, sigma: 1e9, k: 6 } });
    const tasks = tasksOf(exp);
    const net = await afterTaskOne(exp, tasks);
    let beforeGrowth: Float32Array | undefined;
    const { end, events } = await learnWithSnapshots(net, exp, tasks[1], (e) => {
      if (e.type === 'tau-test') beforeGrowth = predict(net, 1, tasks[0].test, 'sigmoid-bce');
      return null;
    });
    assert.deepEqual(end.layers.map((l) => l.b.length), [38, 22], 'k = 6 units were added per layer');
    assert.ok(events.some((e) => e.type === 'stage-end' && e.stage === 'retrain'));
    const afterGrowth = predict(net, 1, tasks[0].test, 'sigmoid-bce');
    assert.ok(beforeGrowth!.every((v, i) => Object.is(v, afterGrowth[i])), 'task 1 outputs are bit-identical after expansion and retraining');
    net.dispose();
  });

  it('splitting every drifted unit restores what old tasks compute exactly', async () => {
    const exp = smallExperiment({ den: { tau: 1e9, sigma: 0 } });
    const tasks = tasksOf(exp);
    const net = await afterTaskOne(exp, tasks);
    const atStart = predict(net, 1, tasks[0].test, 'sigmoid-bce');
    const { events, snaps } = await learnWithSnapshots(net, exp, tasks[1], (e) => (e.type === 'tau-test' ? 'retrained' : null));
    const split = events.find((e) => e.type === 'split') as Extract<DenEvent, { type: 'split' }>;
    const drifted = split.drift.map((d) => d.filter((r) => r > 0).length);
    assert.deepEqual(split.splitUnits.map((u) => u.length), drifted, 'every unit with ρ > σ = 0 split');
    assert.ok(drifted[0] > 0 && drifted[1] > 0);
    assert.deepEqual(net.sizes(), [32 + drifted[0], 16 + drifted[1]]);
    const sr2Outputs = (() => {
      const probe = new Network(snaps.retrained);
      const p = predict(probe, 1, tasks[0].test, 'sigmoid-bce');
      probe.dispose();
      return p;
    })();
    assert.ok(sr2Outputs.some((v, i) => v !== atStart[i]), 'selective retraining did move task 1 outputs');
    const afterSplit = predict(net, 1, tasks[0].test, 'sigmoid-bce');
    assert.ok(afterSplit.every((v, i) => Object.is(v, atStart[i])), 'after the split task 1 computes exactly what it did before task 2');
    net.dispose();
  });

  it('expansion adds k units per layer and removes exactly the new units whose incoming group is zero', async () => {
    // a large γ on layer 2 only: its new units' groups collapse, layer 1's survive
    const exp = smallExperiment({ training: { learningRate: 0.01 }, den: { tau: 0, sigma: 1e9, k: 5, gamma: [0, 1] } });
    const tasks = tasksOf(exp);
    const net = await afterTaskOne(exp, tasks);
    const { snaps, events } = await learnWithSnapshots(net, exp, tasks[1], (e) => (e.type === 'stage-end' && e.stage === 'expansion' ? 'expanded' : null));
    const zeroGroups = snaps.expanded.layers.map((l, li) => {
      let zero = 0;
      for (let c = [32, 16][li]; c < l.W.cols; c++) {
        let all = true;
        for (let r = 0; r < l.W.rows; r++) if (l.W.data[r * l.W.cols + c] !== 0) all = false;
        if (all) zero++;
      }
      return zero;
    });
    const expansion = events.find((e) => e.type === 'expansion') as Extract<DenEvent, { type: 'expansion' }>;
    assert.deepEqual(expansion.added, [5, 5]);
    assert.deepEqual(expansion.pruned, zeroGroups);
    assert.equal(zeroGroups[0], 0);
    assert.ok(zeroGroups[1] > 0, 'γ = 1 removed some layer-2 units');
    assert.deepEqual(expansion.units, [32 + 5 - zeroGroups[0], 16 + 5 - zeroGroups[1]]);
    assert.deepEqual(net.sizes(), expansion.units);
    net.dispose();
  });

  it('keeps the tensor count stable over three tasks (only the new head\'s variables are added)', async () => {
    const exp = smallExperiment({ den: { tau: 0, sigma: 0.01, k: 4 } });
    const tasks = tasksOf(exp);
    const baseline = tf.memory().numTensors;
    const net = freshNetwork(exp, tasks);
    const counts: number[] = [];
    for (const task of tasks) {
      addHead(net, task);
      await learnTask(net, task, { experiment: exp, emit: () => {} });
      predict(net, 1, tasks[0].test, 'sigmoid-bce');
      counts.push(tf.memory().numTensors - baseline);
      assert.equal(tf.memory().numTensors - baseline, variableCount(net), `after task ${task.index}: only the network's variables are alive`);
    }
    assert.deepEqual(counts, [6, 8, 10]);
    net.dispose();
    assert.equal(tf.memory().numTensors, baseline);
  });
});

// With DEN's default hyperparameters every mechanism must act on real digits, else the product
// has nothing to show: these fail when one of them is inert again.
describe('DEN mechanisms with the default hyperparameters', function () {
  this.timeout(300000);
  let summary: RunSummary;
  let runDir: string;
  let dir: string;
  before(async () => {
    await useBackend();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-defaults-'));
    // one-vs-rest on a slice of the digits, the den section left at its defaults; the last task
    // repeats digit 1, which the network has learned already: τ should let it through
    const file = path.join(dir, 'defaults.den.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'defaults', data: { source: 'mnist', limit: 4000 }, tasks: { type: 'one-vs-rest', classes: [0, 1, 6, 3, 1] } }));
    ({ summary, runDir } = await train({ experimentFile: file }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const later = () => summary.tasks.slice(1);
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);

  it('selection keeps fewer than all of the old units, and retraining changes fewer than all old weights', () => {
    assert.ok(later().some((t) => sum(t.selectedUnits!) < sum(summary.tasks[t.index - 2].units)), `selected ${later().map((t) => t.selectedUnits).join(' | ')}`);
    // input selection: pixels without a path (|w| > zeroEps) to the new head are left out
    assert.ok(later().every((t) => t.selectedInputs! < 784), `inputs selected ${later().map((t) => t.selectedInputs).join(', ')} of 784`);
    for (const t of later()) {
      const sw = t.subnetworkWeights!;
      assert.ok(sum(sw.changed) < sum(sw.total), `task ${t.index}: changed ${sum(sw.changed)} of ${sum(sw.total)}`);
    }
  });

  it('the τ test expands new tasks and lets a task the network already knows through', () => {
    const expanded = later().map((t) => t.expanded);
    const why = `expanded per task: ${expanded} (statistics ${later().map((t) => t.tauStatistic?.toFixed(3))})`;
    assert.ok(expanded.includes(true), why);
    assert.equal(summary.tasks[4].expanded, false, why);
  });

  it('the group lasso removes some of the added units', () => {
    const added = sum(later().flatMap((t) => t.added));
    const pruned = sum(later().flatMap((t) => t.pruned));
    assert.ok(pruned > 0 && pruned < added, `pruned ${pruned} of ${added}`);
  });

  it('split fires', () => {
    assert.ok(later().some((t) => sum(t.split) > 0), `split per task: ${later().map((t) => t.split).join(' | ')} (largest ρ ${later().map((t) => t.maxDrift).join(' | ')})`);
  });

  it('lineage accounts for every unit: births, pruning and split copies per task, older groups unchanged, the checkpoint agrees', () => {
    for (const t of summary.tasks) {
      t.lineage!.forEach((groups, l) => {
        const where = `task ${t.index}, layer ${l + 1}`;
        assert.equal(sum(groups.map((g) => g.units)), t.units[l], `${where}: the groups hold every unit`);
        const own = groups.find((g) => g.born === t.index);
        const born = t.index === 1 ? t.units[l] : (t.expanded ? t.added[l] - t.pruned[l] : 0) + t.split[l];
        assert.equal(own?.units ?? 0, born, `${where}: units born = added − pruned + copies`);
        if (own) assert.deepEqual([own.copies, own.pruned], [t.split[l], t.pruned[l]], `${where}: copies and pruned`);
        if (t.index > 1) assert.deepEqual(groups.filter((g) => g.born < t.index), summary.tasks[t.index - 2].lineage![l], `${where}: older groups unchanged`);
        for (const g of groups) for (const o of g.copiesOf!) assert.ok(o < summary.tasks[g.born - 2].units[l], `${where}: a copy of unit ${o + 1}, which existed before task ${g.born}`);
      });
    }
    assert.ok(summary.tasks.some((t) => t.lineage!.some((groups) => groups.some((g) => g.pruned > 0 && g.copies! > 0))), 'some task both pruned and split: the test sees both');
    const last = summary.tasks[summary.tasks.length - 1];
    const { model } = loadCheckpoint(path.join(runDir, 'tasks', `task-${String(last.index).padStart(3, '0')}`));
    model.networks[0].layers.forEach((layer, l) => {
      for (const g of last.lineage![l]) {
        const recorded = Array.from(layer.copyOf.filter((o, u) => layer.born[u] === g.born && o >= 0));
        assert.deepEqual(recorded, g.copiesOf, `layer ${l + 1}, born ${g.born}: the checkpoint's lineage is the summary's`);
      }
    });
  });
});
