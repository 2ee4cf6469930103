// scripts/memory-sampler.cjs, preloaded into the built CLI as the README's Memory section runs
// it: the CLI's events still reach stdout, and stderr gets a table of the memory per task and
// stage (no assertion on the amounts: they are measurements, not guarantees).
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli, root } from './helpers';

describe('memory sampler (scripts/memory-sampler.cjs)', function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    assert.ok(fs.existsSync(cli), 'dist/cli.js exists (npm test builds it first)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-memory-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints the memory of every task and stage of a run, and passes the events through', () => {
    const experiment = path.join(dir, 'small.den.json');
    fs.writeFileSync(
      experiment,
      JSON.stringify({
        name: 'memory-small',
        data: { source: 'mnist', limit: 800 },
        tasks: { type: 'permuted', count: 2 },
        network: { hidden: [32, 16] },
        training: { epochs: 1, batchSize: 64 },
        den: { sparseHeadSteps: 10, tau: 0 },
      }),
    );
    const samples = path.join(dir, 'samples.jsonl');
    const r = spawnSync(process.execPath, ['--require', path.join(root, 'scripts', 'memory-sampler.cjs'), cli, 'train', experiment, '--json', '--out', path.join(dir, 'runs')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, DEN_LAB_MEMORY_SAMPLES: samples },
    });
    assert.equal(r.status, 0, r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.ok(events.some((e) => e.type === 'run-end'), 'the events reach stdout');

    const rows = r.stderr.split('\n').filter((l) => /^(start|baseline|task \d)/.test(l));
    const names = rows.map((l) => l.slice(0, 40).trim());
    // τ = 0: task 2 expands, so it has every stage
    assert.deepEqual(names, [
      'start',
      'baseline/run-start',
      'task 1 score-before',
      'task 1 task1',
      'task 1 after task1',
      'task 1 after checkpoint',
      'task 2 score-before',
      'task 2 sparse-head',
      'task 2 after sparse-head',
      'task 2 subnetwork',
      'task 2 after subnetwork',
      'task 2 expansion',
      'task 2 after expansion',
      'task 2 retrain',
      'task 2 after retrain',
      'task 2 after checkpoint',
    ]);
    for (const row of rows) {
      const values = row.slice(40).split('|').map(Number);
      assert.equal(values.length, 8, row);
      assert.ok(values.every((v) => Number.isFinite(v) && v >= 0), row);
      assert.ok(values[0] > 0 && values[5] > 0, `RSS and the WASM heap are read: ${row}`);
    }
    const subnetwork = rows.find((l) => l.startsWith('task 2 subnetwork'))!.slice(40).split('|').map(Number);
    assert.ok(subnetwork[6] > 0, 'TF.js tensor bytes are read while a stage trains');
    assert.match(r.stderr, /peak RSS \(VmHWM\): \d+\.\d MB/);

    const lines = fs.readFileSync(samples, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { where: string; rss: number; wasm: number });
    assert.ok(lines.length >= events.length, `a sample at every event (${lines.length} samples, ${events.length} events)`);
    assert.ok(lines.some((s) => s.where === 'task 2 expansion' && s.rss > 0 && s.wasm > 0));
  });
});
