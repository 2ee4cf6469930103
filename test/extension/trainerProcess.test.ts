// The trainer child process as the extension host uses it: a real fork of the built dist/trainer.js.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fork } from 'child_process';
import { TRAINER_NICE, TrainerCrashedError, TrainerProcess, TrainerStartError, TrainingFailedError } from '../../src/common/trainerProcess';
import { RunFolder } from '../../src/engine/run/runFolder';
import type { DenEvent } from '../../src/common/protocol';
import { fakeNativePackage } from '../fakeNativePackage';

const script = path.resolve(__dirname, '../../dist/trainer.js');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const waitFor = async (cond: () => boolean, ms = 10000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('trainer process (real fork of dist/trainer.js)', function () {
  this.timeout(120000);
  let dir: string;
  let file: string;
  const logs: string[] = [];
  const make = () => new TrainerProcess({ script, log: (level, m) => logs.push(`${level}: ${m}`), cancelGraceMs: 20000 });
  const experiment = (patch: object = {}) => ({
    name: 'trainer-test',
    data: { source: 'mnist', limit: 600 },
    tasks: { type: 'permuted', count: 3 },
    network: { hidden: [32, 16] },
    training: { steps: 40, batchSize: 32, learningRate: 0.01 },
    den: { sparseHeadSteps: 10 },
    ...patch,
  });

  before(() => {
    assert.ok(fs.existsSync(script), 'dist/trainer.js exists (npm test builds it)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-trainer-'));
    file = path.join(dir, 'exp.den.json');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs a job, streams its events and exits', async () => {
    fs.writeFileSync(file, JSON.stringify(experiment()));
    const trainer = make();
    const events: DenEvent[] = [];
    trainer.onEvent((e) => events.push(e));
    const outcome = await trainer.start({ experimentFile: file, tasks: 2 });
    assert.equal(outcome.cancelled, false);
    assert.equal(outcome.summary.tasks.length, 2);
    assert.equal(RunFolder.open(outcome.runDir).readSummary()!.tasks.length, 2);
    assert.deepEqual([events[0].type, events[events.length - 1].type], ['run-start', 'run-end']);
    assert.equal(events.filter((e) => e.type === 'task-end').length, 2);
    assert.equal(trainer.running, false);
  });

  it("runs below the editor's priority (nice TRAINER_NICE), unless told otherwise", async () => {
    fs.writeFileSync(file, JSON.stringify(experiment()));
    for (const [options, expected] of [
      [{}, TRAINER_NICE],
      [{ nice: 0 }, os.getPriority()],
    ] as const) {
      const trainer = new TrainerProcess({ script, log: () => undefined, ...options });
      let seen: number | undefined;
      trainer.onEvent((e) => {
        if (e.type === 'run-start') seen = os.getPriority(trainer.pid!);
      });
      await trainer.start({ experimentFile: file, tasks: 1 });
      assert.equal(seen, expected);
    }
    assert.ok(TRAINER_NICE > os.getPriority(), 'the trainer yields to the process that started it');
  });

  it('cancel stops at the next step, keeps the run at its last task, and the process exits', async () => {
    // task 2's sparse-head stage is long (cheap steps), so the job is surely inside task 2
    fs.writeFileSync(file, JSON.stringify(experiment({ den: { sparseHeadSteps: 1000000 } })));
    const trainer = make();
    let pid = 0;
    trainer.onEvent((e) => {
      if (e.type === 'stage-start' && e.task === 2) {
        pid = trainer.pid!;
        trainer.cancel();
      }
    });
    const outcome = await trainer.start({ experimentFile: file });
    assert.equal(outcome.cancelled, true);
    assert.equal(outcome.summary.tasks.length, 1);
    await waitFor(() => !alive(pid));
  });

  it('reports an engine failure with its kind and message', async () => {
    fs.writeFileSync(file, JSON.stringify(experiment({ den: { sigma: -1 } })));
    await assert.rejects(make().start({ experimentFile: file }), (err: Error) => {
      assert.ok(err instanceof TrainingFailedError);
      assert.equal(err.kind, 'ExperimentError');
      assert.match(err.message, /den\.sigma/);
      return true;
    });
  });

  it('a killed trainer is reported as a crash and the run keeps its completed task', async () => {
    // task 2's sparse-head stage is long (cheap steps), so the job is surely inside task 2
    fs.writeFileSync(file, JSON.stringify(experiment({ den: { sparseHeadSteps: 1000000 } })));
    const trainer = make();
    let runDir = '';
    trainer.onEvent((e) => {
      if (e.type === 'run-start') runDir = e.runDir;
      if (e.type === 'stage-start' && e.task === 2) process.kill(trainer.pid!, 'SIGKILL');
    });
    await assert.rejects(trainer.start({ experimentFile: file }), (err: Error) => {
      assert.ok(err instanceof TrainerCrashedError);
      assert.equal(err.signal, 'SIGKILL');
      assert.match(err.message, /killed \(SIGKILL\)/);
      return true;
    });
    assert.equal(RunFolder.open(runDir).readSummary()!.tasks.length, 1);
  });

  it('refuses a second job while one runs, and dispose kills the process', async () => {
    // task 2's sparse-head stage is long (cheap steps), so the job is surely inside task 2
    fs.writeFileSync(file, JSON.stringify(experiment({ den: { sparseHeadSteps: 1000000 } })));
    const trainer = make();
    const started = trainer.start({ experimentFile: file });
    await waitFor(() => trainer.pid !== undefined);
    await assert.rejects(trainer.start({ experimentFile: file }), /already running/);
    const pid = trainer.pid!;
    trainer.dispose();
    await assert.rejects(started, TrainerCrashedError);
    await waitFor(() => !alive(pid));
  });

  it('the host ignores malformed messages from the trainer (and logs them)', async () => {
    // a fake trainer script that sends garbage first, then behaves
    const fake = path.join(dir, 'fake-trainer.js');
    fs.writeFileSync(
      fake,
      `process.send({ type: 'event' }); process.send('nonsense'); process.send({ type: 'failed', name: 'X', message: 'bye' }); process.on('message', (m) => { if (m.type === 'shutdown') process.exit(0); });`,
    );
    logs.length = 0;
    const trainer = new TrainerProcess({ script: fake, log: (level, m) => logs.push(`${level}: ${m}`) });
    await assert.rejects(trainer.start({ experimentFile: file }), /bye/);
    assert.ok(logs.some((l) => /malformed message from the trainer: 'event'\.event: Invalid key: Expected "event"/.test(l)), logs.join('\n'));
    assert.ok(logs.some((l) => /malformed message from the trainer: message: Invalid type: Expected Object but received "nonsense"/.test(l)));
  });

  it('logs the trainer’s output a line at a time, however the pipe cuts it', async () => {
    // lines cut across writes (and a multi-byte character split between two), flushed apart in time
    const fake = path.join(dir, 'chunky-trainer.js');
    fs.writeFileSync(
      fake,
      `const euro = Buffer.from('€'); const parts = ['first li', 'ne\\nsecond ', Buffer.concat([Buffer.from('line '), euro.subarray(0, 1)]), Buffer.concat([euro.subarray(1), Buffer.from('\\n')])];
       let i = 0; const next = () => { if (i < parts.length) { process.stdout.write(parts[i]); process.stderr.write(parts[i++]); setTimeout(next, 60); } else process.send({ type: 'failed', name: 'X', message: 'done' }); }; next();
       process.on('message', (m) => { if (m.type === 'shutdown') process.exit(0); });`,
    );
    logs.length = 0;
    const trainer = new TrainerProcess({ script: fake, log: (level, m) => logs.push(`${level}: ${m}`) });
    await assert.rejects(trainer.start({ experimentFile: file }), /done/);
    await waitFor(() => logs.filter((l) => / trainer: second/.test(l)).length >= 2);
    assert.deepEqual(logs.filter((l) => l.startsWith('info: trainer:')), ['info: trainer: first line', 'info: trainer: second line €']);
    assert.deepEqual(logs.filter((l) => l.startsWith('error: trainer:')), ['error: trainer: first line', 'error: trainer: second line €']);
  });

  it('a denLab.nodePath that does not exist fails at once with a message naming the setting', async () => {
    const trainer = new TrainerProcess({ script, nodePath: path.join(dir, 'no-such-node'), log: () => undefined });
    const started = Date.now();
    await assert.rejects(trainer.start({ experimentFile: file }), (err: Error) => {
      assert.ok(err instanceof TrainerStartError, String(err));
      assert.match(err.message, /denLab\.nodePath is ".*no-such-node", which does not exist\. Set denLab\.nodePath to a Node 20\+ executable, or clear it/);
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'it does not wait for an exit that never comes');
    assert.equal(trainer.running, false, 'a new job can start');
  });

  it('a nodePath that is not Node (it never says ready) times out instead of waiting forever', async () => {
    const notNode = path.join(dir, 'not-node.sh');
    fs.writeFileSync(notNode, '#!/bin/sh\nsleep 30\n', { mode: 0o755 });
    const trainer = new TrainerProcess({ script, nodePath: notNode, log: () => undefined, readyTimeoutMs: 1500 });
    await assert.rejects(trainer.start({ experimentFile: file }), (err: Error) => err instanceof TrainerStartError && /did not start within 2 s/.test(err.message));
    assert.equal(trainer.running, false);
  });

  it("runs in the given folder with no execArgv of the host, and finds tfjs-node in the folder's node_modules or in nodeModulesPath", async () => {
    fs.writeFileSync(file, JSON.stringify(experiment({ backend: 'tensorflow' })));
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'den-ws-'));
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'den-native-'));
    const saved = process.execArgv.slice();
    process.execArgv.push('--title=den-host-flag'); // what fork() would pass on by default
    try {
      fakeNativePackage(workspace);
      fakeNativePackage(elsewhere);
      for (const options of [{ cwd: workspace }, { cwd: dir, nodeModulesPath: path.join(elsewhere, 'node_modules') }]) {
        const trainer = new TrainerProcess({ script, log: () => undefined, ...options });
        trainer.onEvent((e) => {
          if (e.type === 'run-start') {
            const cmdline = fs.readFileSync(`/proc/${trainer.pid}/cmdline`, 'utf8');
            assert.doesNotMatch(cmdline, /den-host-flag/, 'the host execArgv is not inherited');
            assert.equal(fs.realpathSync(fs.readlinkSync(`/proc/${trainer.pid}/cwd`)), fs.realpathSync(options.cwd));
            assert.deepEqual({ name: e.backend.name, version: e.backend.version }, { name: 'tensorflow', version: '4.22.0-test' });
            trainer.cancel();
          }
        });
        const outcome = await trainer.start({ experimentFile: file, tasks: 1 });
        assert.equal(outcome.summary.backend.name, 'tensorflow');
      }
    } finally {
      process.execArgv.splice(0, process.execArgv.length, ...saved);
      fs.rmSync(workspace, { recursive: true, force: true });
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('a cancel that the trainer does not honour escalates to SIGKILL after the grace period', async () => {
    fs.writeFileSync(file, JSON.stringify(experiment({ den: { sparseHeadSteps: 1000000 } })));
    const trainer = new TrainerProcess({ script, log: () => undefined, cancelGraceMs: 1000 });
    let pid = 0;
    trainer.onEvent((e) => {
      if (e.type === 'stage-start' && e.task === 2 && !pid) {
        pid = trainer.pid!;
        process.kill(pid, 'SIGSTOP'); // a trainer stuck in a step: it cannot read the cancel
        trainer.cancel();
      }
    });
    const started = trainer.start({ experimentFile: file });
    await assert.rejects(started, (err: Error) => {
      assert.ok(err instanceof TrainerCrashedError);
      assert.equal(err.killedAfterCancel, true);
      assert.equal(err.signal, 'SIGKILL');
      return true;
    });
    await waitFor(() => !alive(pid));
  });

  it('a trainer whose host is killed stops and exits within a few seconds', async () => {
    fs.writeFileSync(file, JSON.stringify(experiment({ den: { sparseHeadSteps: 1000000 } })));
    // a stand-in extension host: forks the trainer as TrainerProcess does and reports its pid once task 2 trains
    const hostScript = path.join(dir, 'host.js');
    fs.writeFileSync(
      hostScript,
      `const { fork } = require('child_process');
const t = fork(${JSON.stringify(script)}, [], { execArgv: [], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
t.on('message', (m) => {
  if (m.type === 'ready') t.send({ type: 'train', job: { experimentFile: ${JSON.stringify(file)} } });
  if (m.type === 'event' && m.event.type === 'stage-start' && m.event.task === 2) process.send({ trainer: t.pid });
});`,
    );
    const host = fork(hostScript, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const trainerPid = await new Promise<number>((resolve) => host.on('message', (m: { trainer: number }) => resolve(m.trainer)));
    assert.ok(alive(trainerPid));
    host.kill('SIGKILL');
    const killed = Date.now();
    await waitFor(() => !alive(trainerPid), 10000);
    assert.ok(Date.now() - killed < 6000, `the trainer outlived its host by ${Date.now() - killed} ms`);
  });
});
