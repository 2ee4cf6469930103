// The trainer child process as the extension host uses it: a real fork of the built dist/trainer.js.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TrainerCrashedError, TrainerProcess, TrainingFailedError } from '../../src/extension/trainerProcess';
import { RunFolder } from '../../src/engine/run/runFolder';
import type { DenEvent } from '../../src/protocol';

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
    assert.ok(logs.some((l) => /malformed message.*'event': field 'event'/.test(l)), logs.join('\n'));
    assert.ok(logs.some((l) => /malformed message.*not an object/.test(l)));
  });
});
