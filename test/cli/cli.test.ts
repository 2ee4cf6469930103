// The den-lab CLI as a user runs it: the built bundle (dist/cli.js) in a child process.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCheckpoint } from '../../src/engine/run/checkpoint';
import { RunFolder } from '../../src/engine/run/runFolder';
import type { DenEvent } from '../../src/common/protocol';
import { cli, run, startJson } from './helpers';

/** Starts the CLI with --json and resolves once `until` matches an event. */
async function startUntil(args: string[], until: (e: DenEvent) => boolean) {
  const p = startJson<DenEvent>(args);
  await p.waitFor(until);
  return p;
}

describe('den-lab CLI', function () {
  this.timeout(300000);
  let dir: string;
  const write = (name: string, exp: object) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(exp, null, 2));
    return file;
  };
  const small = (patch: Record<string, unknown> = {}) => ({
    name: 'cli-small',
    data: { source: 'mnist', limit: 1000 },
    tasks: { type: 'permuted', count: 3 },
    network: { hidden: [48, 24] },
    training: { epochs: 1, batchSize: 64, learningRate: 0.01 },
    den: { sparseHeadSteps: 20 },
    ...patch,
  });

  before(() => {
    assert.ok(fs.existsSync(cli), 'dist/cli.js exists (npm test builds it first)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-cli-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trains three tasks of the default permuted-MNIST experiment with live progress, a table and a run folder', () => {
    const out = path.join(dir, 'runs');
    const r = run(['train', 'examples/permuted-mnist.den.json', '--tasks', '3', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /backend wasm 4\.22\.0/);
    for (const stage of ['first task', 'sparse head', 'selection', 'selective retraining', 'τ test', 'expansion', 'split', 'retraining new units']) {
      assert.match(r.stdout, new RegExp(`task \\d+/10 ${stage}`), `a live line for ${stage}`);
    }
    const table = r.stdout.split('\n').filter((l) => /^\d+\s+permuted-\d/.test(l));
    assert.equal(table.length, 3, 'one table row per task');
    assert.match(r.stdout, /ACC 0\.\d{4}\s+BWT [+-]0\.\d{4}\s+FWT [+-]0\.\d{4}\s+forgetting -?0\.\d{4}/);
    const runs = fs.readdirSync(out);
    assert.equal(runs.length, 1);
    const summary = RunFolder.open(path.join(out, runs[0])).readSummary()!;
    assert.equal(summary.tasks.length, 3);
    assert.ok(summary.acc! > 0.85, `the default reaches a useful accuracy (ACC ${summary.acc})`);

    const ev = run(['eval', path.join(out, runs[0])]);
    assert.equal(ev.code, 0, ev.stderr);
    assert.match(ev.stdout, /after {2}3: 0\.\d{4} 0\.\d{4} 0\.\d{4}/);
    assert.match(ev.stdout, /largest difference from summary\.json: .* \(matches\)/);
  });

  it('--json prints one event per line and the result last; --from continues; --task branches', () => {
    const file = write('small.den.json', small());
    const r = run(['train', file, '--tasks', '2', '--json', '--out', path.join(dir, 'json-runs')]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines[0].type, 'run-start');
    const result = lines[lines.length - 1];
    assert.equal(result.type, 'result');
    assert.equal(result.summary.tasks.length, 2);
    assert.ok(lines.some((l) => l.type === 'loss'));

    const cont = run(['train', file, '--from', result.runDir, '--json']);
    assert.equal(cont.code, 0, cont.stderr);
    assert.equal(JSON.parse(cont.stdout.trim().split('\n').pop()!).summary.tasks.length, 3);

    const branch = run(['train', file, '--from', result.runDir, '--task', '2', '--json']);
    assert.equal(branch.code, 0, branch.stderr);
    const b = JSON.parse(branch.stdout.trim().split('\n').pop()!);
    assert.equal(path.dirname(b.runDir), path.join(result.runDir, 'branches'));
    assert.equal(b.summary.tasks.length, 2);
  });

  it('--method trains a baseline into the same kind of run folder, and eval matches it', () => {
    const file = write('method.den.json', small({ name: 'cli-method' }));
    const r = run(['train', file, '--tasks', '2', '--method', 'ewc', '--out', path.join(dir, 'method-runs')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /method ewc/);
    assert.match(r.stdout, /task 2\/3 training\s+\d+ steps/);
    assert.match(r.stdout, /ewc: diagonal Fisher of task 2 from 256 examples/);
    assert.match(r.stdout, /^method ewc$/m, 'the table names the method');
    const runDir = path.join(dir, 'method-runs', fs.readdirSync(path.join(dir, 'method-runs'))[0]);
    assert.equal(RunFolder.open(runDir).readSummary()!.method, 'ewc');
    const ev = run(['eval', runDir]);
    assert.equal(ev.code, 0, ev.stderr);
    assert.match(ev.stdout, /largest difference from summary\.json: .* \(matches\)/);
    const bad = run(['train', file, '--method', 'pnn']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--method must be one of den, den-no-timestamps, den-constant, den-no-split, finetune, l2, ewc, stl, joint, progressive, got 'pnn'/);
  });

  it('bad input exits with status 2 and a message naming the file or field', () => {
    const missing = run(['train', path.join(dir, 'nope.den.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.den\.json: cannot read the experiment file/);

    const bad = run(['train', write('bad.den.json', small({ den: { sigma: -0.5 } }))]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /den\.sigma \[σ \(split threshold\)\]: must be ≥ 0, got -0\.5/);
    assert.doesNotMatch(bad.stderr, /at .*\.js:\d+/, 'no stack trace for bad input');

    const syntax = path.join(dir, 'syntax.den.json');
    fs.writeFileSync(syntax, '{\n  "name": "x",\n  "den": { "tau": }\n}');
    const s = run(['train', syntax]);
    assert.equal(s.code, 2);
    assert.match(s.stderr, /line 3, column \d+: ValueExpected/);

    const unknown = run(['train', 'examples/permuted-mnist.den.json', '--epochs', '3']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--epochs'[\s\S]*Usage:/);

    assert.match(run(['train', 'examples/permuted-mnist.den.json', '--task', '2']).stderr, /--task needs --from/);
    assert.equal(run(['train', 'examples/permuted-mnist.den.json', '--tasks', '0']).code, 2);
    assert.equal(run(['train', 'examples/permuted-mnist.den.json', '--backend', 'gpu']).code, 2);
    const notRun = run(['eval', dir]);
    assert.equal(notRun.code, 2);
    assert.match(notRun.stderr, /not a DEN Lab run folder \(no run\.json\)/);
    const native = run(['train', write('native.den.json', small({ backend: 'tensorflow' }))]);
    assert.equal(native.code, 2);
    assert.match(native.stderr, /npm install @tensorflow\/tfjs-node/);
  });

  it('Ctrl-C stops at the next step and leaves the run at its last completed task', async () => {
    const file = write('long.den.json', small({ name: 'cli-sigint', training: { steps: 3000, batchSize: 64, learningRate: 0.01 } }));
    const { child, events, exited } = await startUntil(['train', file, '--out', path.join(dir, 'int')], (e) => e.type === 'stage-start' && e.task === 2 && e.stage === 'subnetwork');
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    const cancelled = events.find((e) => e.type === 'cancelled') as Extract<DenEvent, { type: 'cancelled' }>;
    assert.deepEqual({ task: cancelled.task, last: cancelled.lastCompletedTask }, { task: 2, last: 1 });
    const runDir = (events[0] as Extract<DenEvent, { type: 'run-start' }>).runDir;
    assert.equal(RunFolder.open(runDir).readSummary()!.tasks.length, 1);
  });

  it('a killed training (SIGKILL) leaves the last completed task intact, loadable and continuable', async () => {
    const file = write('kill.den.json', small({ name: 'cli-kill', training: { steps: 3000, batchSize: 64, learningRate: 0.01 } }));
    const { child, events, exited } = await startUntil(['train', file, '--out', path.join(dir, 'kill')], (e) => e.type === 'stage-start' && e.task === 2 && e.stage === 'subnetwork');
    child.kill('SIGKILL');
    assert.equal(await exited, null);
    const runDir = (events[0] as Extract<DenEvent, { type: 'run-start' }>).runDir;
    const folder = RunFolder.open(runDir);
    assert.equal(folder.readSummary()!.tasks.length, 1);
    assert.equal(loadCheckpoint(folder.checkpointDir(1)).model.networks[0].heads.length, 1);
    const cont = run(['train', write('kill-short.den.json', small({ name: 'cli-kill' })), '--from', runDir, '--tasks', '1']);
    assert.equal(cont.code, 0, cont.stderr);
    assert.equal(folder.readSummary()!.tasks.length, 2);
  });
});
