// A training SIGKILLed at 20 moments, as a crash or a closed laptop would: during set-up, during a
// training step, while a checkpoint is written, between the checkpoint and the summary, while the
// summary is written and in the middle of an event-log line (the named fault points of
// src/engine/faultPoints.ts), and at random times. After every kill, every run folder loads at
// its last completed task, `den-lab eval` agrees with its summary, the run continues, and nothing
// is left behind (no temporary file, no lock, no torn log line). Slow: npm run test:faults, in CI.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCheckpoint } from '../../src/engine/run/checkpoint';
import { RunFolder } from '../../src/engine/run/runFolder';
import { LOCK_FILE } from '../../src/engine/run/runLock';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist', 'cli.js');
const TASKS = 3;

const EXPERIMENT = {
  name: 'kills',
  backend: 'wasm',
  data: { source: 'mnist', limit: 1000 },
  tasks: { type: 'permuted', count: TASKS },
  network: { hidden: [32, 16] },
  training: { steps: 150, batchSize: 32, learningRate: 0.01, lossEvery: 2 },
  den: { sparseHeadSteps: 20, k: 3 },
};

interface Kill {
  what: string;
  /** DEN_LAB_FAULT: the process kills itself at this point. */
  fault?: string;
  /** Or: SIGKILL from outside after this share of an uninterrupted run's time (measured first, so that the kill falls inside the run however fast the machine trains). The killed run trains twice as many tasks, so that a run faster than the measured one is still killed inside it. */
  atShare?: number;
  /** Continue an existing run (--from) instead of starting one. */
  from?: boolean;
}

/** A seeded generator, so that a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

const random = rng(Number(process.env.KILL_SEED ?? 20261201));
const KILLS: Kill[] = [
  { what: 'during set-up, before the run folder is renamed into place', fault: 'run-setup' },
  { what: 'during set-up, while its summary is written', fault: 'rename:summary.json@1' },
  { what: 'while the checkpoint of task 1 is written', fault: 'rename:task-001' },
  { what: 'while the checkpoint of task 2 is written', fault: 'rename:task-002' },
  { what: 'while the checkpoint of task 2 is written, continuing a run', fault: 'rename:task-002', from: true },
  { what: 'between the checkpoint and the summary of task 1', fault: 'after-checkpoint@1' },
  { what: 'between the checkpoint and the summary of task 2', fault: 'after-checkpoint@2' },
  { what: 'between the checkpoint and the summary, continuing a run', fault: 'after-checkpoint@1', from: true },
  { what: 'while the summary after task 1 is written', fault: 'rename:summary.json@2' },
  { what: 'while the summary after task 2 is written', fault: 'rename:summary.json@3' },
  { what: 'in the middle of an event-log line (the 5th)', fault: 'append:events.jsonl@5' },
  { what: 'in the middle of an event-log line (the 120th)', fault: 'append:events.jsonl@120' },
  { what: 'in the middle of an event-log line, continuing a run', fault: 'append:events.jsonl@30', from: true },
  ...Array.from({ length: 7 }, (_, i): Kill => {
    const atShare = 0.1 + random() * 0.75;
    return { what: `at a random time (${Math.round(100 * atShare)}% of an uninterrupted run's time${i % 3 === 2 ? ', continuing a run' : ''})`, atShare, from: i % 3 === 2 };
  }),
];

function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `den-lab train` and SIGKILLs it after `ms`; resolves with how it ended. */
function killAfter(args: string[], ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Every file and folder under `dir`. */
function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? [p, ...walk(p)] : [p];
  });
}

describe('runs survive a SIGKILL at any moment (20 kills)', function () {
  this.timeout(900_000);
  let dir: string;
  let file: string;
  /** The same experiment with 2 × TASKS tasks, for the timed kills. */
  let longFile: string;
  let survived = 0;
  let runMs = 0;
  before(() => {
    assert.ok(fs.existsSync(cli), 'dist/cli.js exists (npm run test:faults builds it first)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-kills-'));
    file = path.join(dir, 'kills.den.json');
    fs.writeFileSync(file, JSON.stringify(EXPERIMENT));
    longFile = path.join(dir, 'kills-long.den.json');
    fs.writeFileSync(longFile, JSON.stringify({ ...EXPERIMENT, tasks: { ...EXPERIMENT.tasks, count: 2 * TASKS } }));
    const start = Date.now();
    const full = runCli(['train', file, '--out', path.join(dir, 'uninterrupted')]);
    assert.equal(full.code, 0, full.stderr);
    runMs = Date.now() - start;
  });
  after(() => {
    console.log(`      kills: ${survived} of ${KILLS.length} runs loadable at their last completed task, matching eval, and continued after the kill`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  KILLS.forEach((kill, i) => {
    it(`killed ${kill.what}`, async () => {
      const out = path.join(dir, `runs-${i}`);
      const experiment = kill.fault ? file : longFile;
      const count = kill.fault ? TASKS : 2 * TASKS;
      let args = ['train', experiment, '--out', out];
      let before = 0;
      if (kill.from) {
        // a run with one completed task, then the kill while it continues
        const first = runCli(['train', experiment, '--out', out, '--tasks', '1']);
        assert.equal(first.code, 0, first.stderr);
        const runDir = path.join(out, fs.readdirSync(out)[0]);
        args = ['train', experiment, '--from', runDir];
        before = 1;
      }
      const ended = kill.fault
        ? runCli(args, { DEN_LAB_FAULT: kill.fault })
        : // a share of the TASKS-task run's time, inside a run of 2 × TASKS tasks (or 2 × TASKS − 1 when continued)
          await killAfter(args, Math.round(kill.atShare! * runMs));
      assert.equal(ended.signal, 'SIGKILL', `the process was killed (exit ${ended.code})`);

      const runs = fs.existsSync(out) ? fs.readdirSync(out).filter((d) => !d.startsWith('.')) : [];
      if (runs.length === 0) {
        // killed before the run folder existed: at most a hidden temporary folder, removed by the next run
        assert.ok(!kill.from);
        const again = runCli(['train', experiment, '--out', out, '--tasks', '1']);
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual(fs.readdirSync(out).filter((d) => d.startsWith('.')), [], 'the killed set-up was cleaned');
        assert.equal(fs.readdirSync(out).length, 1);
        survived++;
        return;
      }
      assert.equal(runs.length, 1, `one run folder: ${runs.join(', ')}`);
      const runDir = path.join(out, runs[0]);
      const run = RunFolder.open(runDir);
      const summary = run.readSummary();
      assert.ok(summary, 'a run folder always has its summary');
      const done = summary.tasks.length;
      assert.ok(done >= before && done < count, `${done} completed tasks`);
      for (let t = 1; t <= done; t++) assert.equal(loadCheckpoint(run.checkpointDir(t)).model.networks[0].heads.length, t);
      if (done > 0) {
        const ev = runCli(['eval', runDir, '--json']);
        assert.equal(ev.code, 0, ev.stderr);
        assert.ok(JSON.parse(ev.stdout).maxDifference < 1e-6, 'eval agrees with summary.json');
      }

      const cont = runCli(['train', experiment, '--from', runDir, '--tasks', '1', '--json']);
      assert.equal(cont.code, 0, cont.stderr);
      assert.equal(run.readSummary()!.tasks.length, done + 1, 'the run continues with the next task');
      assert.equal(loadCheckpoint(run.checkpointDir(done + 1)).model.networks[0].heads.length, done + 1);
      const left = walk(runDir).filter((p) => /\.tmp-\d+-/.test(path.basename(p)) || path.basename(p) === LOCK_FILE);
      assert.deepEqual(left, [], 'no temporary file or lock is left');
      const tasks = fs.readdirSync(path.join(runDir, 'tasks'));
      assert.deepEqual(tasks, Array.from({ length: done + 1 }, (_, t) => `task-${String(t + 1).padStart(3, '0')}`), 'no checkpoint the summary does not list');
      const log = fs.readFileSync(run.eventsFile, 'utf8');
      assert.ok(log.endsWith('\n'));
      for (const line of log.trimEnd().split('\n')) assert.doesNotThrow(() => JSON.parse(line), `a torn line in the log: ${line.slice(0, 80)}`);
      survived++;
    });
  });
});
