// The Units tab's data, read from the checkpoints of a real two-task permuted run: every unit's
// incoming weights (the checkpoint's columns), lineage, the image shape, each task's pixel order
// (the one the task's data really uses), the strongest outgoing weights, and one-line problems.
import { strict as assert } from 'node:assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { unitsMessage } from '../../src/common/dashboard/unitsMessage';
import { loadCheckpoint } from '../../src/engine/run/checkpoint';
import { loadData } from '../../src/engine/data/load';
import { train } from '../../src/engine/session';
import { tasksOf, smallExperiment, useBackend } from '../engine/helpers';
import type { RunSummary, UnitWeights } from '../../src/common/protocol';

const decode = (v: UnitWeights) => {
  const bytes = Buffer.from(v.weights, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
};

describe('Units tab data from a checkpoint', function () {
  this.timeout(180_000);
  let dir: string;
  let runDir: string;
  let summary: RunSummary;
  before(async () => {
    await useBackend();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-units-'));
    const file = path.join(dir, 'units.den.json');
    // σ = 0 splits every drifted unit: task 2 has copies
    fs.writeFileSync(file, JSON.stringify({ name: 'units', data: { source: 'mnist', limit: 600 }, tasks: { type: 'permuted', count: 2 }, network: { hidden: [16, 8] }, den: { k: 3, sigma: 0 }, training: { steps: 15, batchSize: 64 } }));
    ({ runDir, summary } = await train({ experimentFile: file }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('layer 1 after task 2: every unit\'s incoming weights, its lineage, a 28×28 image and each task\'s pixel order', () => {
    const msg = unitsMessage(runDir, 'run1', 2, 1);
    assert.equal(msg.problem, null);
    const v = msg.view!;
    const { model } = loadCheckpoint(path.join(runDir, 'tasks', 'task-002'));
    const layer = model.networks[0].layers[0];
    assert.equal(v.units, summary.tasks[1].units[0]);
    assert.equal(v.inputs, 784);
    assert.deepEqual(v.image, [28, 28]);
    const w = decode(v);
    for (let u = 0; u < v.units; u += 5) for (let i = 0; i < v.inputs; i += 97) assert.equal(w[u * v.inputs + i], layer.W.data[i * layer.W.cols + u]);
    assert.equal(v.scale, Math.max(...Array.from(layer.W.data, Math.abs)));
    assert.deepEqual(v.born, Array.from(layer.born));
    assert.deepEqual(v.copyOf, Array.from(layer.copyOf));
    assert.equal(v.copyOf.filter((o) => o >= 0).length, summary.tasks[1].split[0], 'the copies task 2 made');
    // the pixel order of each task is the one its data uses: input j of task t is source pixel order[j]
    const exp = smallExperiment({ data: { source: 'mnist', limit: 600 }, tasks: { type: 'permuted', count: 2 } });
    const splits = loadData(exp.data, process.cwd());
    for (const t of tasksOf(exp)) {
      const order = v.pixelOrder[t.index - 1]!;
      assert.equal(new Set(order).size, 784, 'a permutation');
      const x = new Float32Array(784);
      t.test.fill(Int32Array.of(0), 0, 1, x, new Float32Array(t.outputs));
      for (let j = 0; j < 784; j++) assert.equal(x[j], Math.fround(splits.test.x[order[j]] * (1 / 255)), `task ${t.index}, input ${j}`);
    }
    // outgoing: into layer 2, the strongest first
    for (const out of v.outgoing) {
      assert.ok(out.length <= 3 && out.every((o) => o.layer === 2 && o.task === null));
      for (let i = 1; i < out.length; i++) assert.ok(Math.abs(out[i - 1].weight) >= Math.abs(out[i].weight));
    }
  });

  it('layer 2: no image, no pixel order; outgoing weights go to the heads a unit is visible to', () => {
    const v = unitsMessage(runDir, 'run1', 2, 2).view!;
    assert.equal(v.image, null);
    assert.deepEqual(v.pixelOrder, [null, null]);
    v.outgoing.forEach((out, u) => {
      for (const o of out) {
        assert.equal(o.layer, null);
        assert.ok(o.task === 2 || v.born[u] === 1, `unit ${u + 1} (born ${v.born[u]}) feeds task ${o.task}`);
      }
    });
  });

  it('a task without a checkpoint or a layer that does not exist: a one-line problem, no view', () => {
    const none = unitsMessage(runDir, 'run1', 3, 1);
    assert.equal(none.view, null);
    assert.match(none.problem!, /no checkpoint after task 3/);
    const layer = unitsMessage(runDir, 'run1', 1, 3);
    assert.match(layer.problem!, /2 hidden layers, not 3/);
    assert.ok(!/\n/.test(layer.problem!));
  });
});
