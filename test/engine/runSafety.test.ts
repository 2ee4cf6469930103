// Runs that two writers, a stop, a kill or a move cannot break: created whole with their summary,
// locked by their writer, a torn event log repaired, paths relative to the run.
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { evaluateRun } from '../../src/engine/evaluateRun';
import { RunError, RunFolder, readEvents } from '../../src/engine/run/runFolder';
import { LOCK_FILE, runLockHolder } from '../../src/engine/run/runLock';
import { comparablePath, isInside, samePath } from '../../src/engine/run/runPaths';
import { encodeIdx } from '../../src/engine/data/idx';
import { train } from '../../src/engine/session';
import { useBackend } from './helpers';

const experiment = (patch: Record<string, unknown> = {}) => ({
  name: 'safety',
  backend: 'wasm',
  data: { source: 'mnist', limit: 600 },
  tasks: { type: 'permuted', count: 2 },
  network: { hidden: [16, 8] },
  training: { steps: 12, batchSize: 32, learningRate: 0.01, lossEvery: 2 },
  den: { sparseHeadSteps: 4, k: 2 },
  ...patch,
});

/** A pid that surely belongs to no process: one that just exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('run folders that cannot be broken', function () {
  this.timeout(120000);
  let dir: string;
  let file: string;
  before(useBackend);
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-safety-'));
    file = path.join(dir, 'exp.den.json');
    fs.writeFileSync(file, JSON.stringify(experiment()));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a run exists whole from the start: stopped during task 1 it has summary.json (0 tasks, "started") and continues', async () => {
    const abort = new AbortController();
    let seenAtStart: { summary: boolean; experiment: boolean; locked: boolean } | undefined;
    const stopped = await train({
      experimentFile: file,
      signal: abort.signal,
      emit: (e) => {
        if (e.type === 'run-start') {
          seenAtStart = { summary: fs.existsSync(path.join(e.runDir, 'summary.json')), experiment: fs.existsSync(path.join(e.runDir, 'experiment.json')), locked: runLockHolder(e.runDir)?.pid === process.pid };
        }
        if (e.type === 'loss' && e.task === 1) abort.abort();
      },
    });
    assert.deepEqual(seenAtStart, { summary: true, experiment: true, locked: true });
    assert.equal(stopped.cancelled, true);
    const run = RunFolder.open(stopped.runDir);
    const summary = run.readSummary()!;
    assert.equal(summary.tasks.length, 0);
    assert.equal(summary.status, 'started');
    assert.equal(summary.taskNames.length, 2);
    assert.equal(runLockHolder(stopped.runDir), null, 'the lock is released');
    assert.ok(!fs.existsSync(path.join(stopped.runDir, LOCK_FILE)));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'runs')), [path.basename(stopped.runDir)], 'no temporary folder is left');

    const resumed = await train({ experimentFile: file, runDir: stopped.runDir, tasks: 1 });
    assert.equal(resumed.runDir, stopped.runDir);
    assert.equal(resumed.summary.tasks.length, 1);
    assert.equal(resumed.summary.status, 'in-progress');
    assert.equal(resumed.summary.created, summary.created, 'the run keeps its creation time');
    const done = await train({ experimentFile: file, runDir: stopped.runDir });
    assert.equal(done.summary.status, 'complete');
  });

  it('a second writer is refused with the process that trains the run; a stale lock is taken over', async () => {
    const first = await train({ experimentFile: file, tasks: 1 });
    let refused: unknown;
    await train({
      experimentFile: file,
      runDir: first.runDir,
      emit: (e) => {
        if (e.type === 'task-start' && refused === undefined) refused = train({ experimentFile: file, runDir: first.runDir }).catch((err) => err);
      },
    });
    const err = (await refused) as Error;
    assert.ok(err instanceof RunError, String(err));
    assert.match(err.message, new RegExp(`this run is being trained by process ${process.pid} \\(node .*, since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\); wait for it to finish or stop it$`));

    // a lock left by a killed process (its pid is gone) does not block the run
    const again = await train({ experimentFile: file, tasks: 1 });
    fs.writeFileSync(path.join(again.runDir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), startTime: null, since: new Date().toISOString(), owner: 'den-lab train' }));
    assert.equal(runLockHolder(again.runDir), null, 'a dead process holds nothing');
    assert.equal((await train({ experimentFile: file, runDir: again.runDir })).summary.tasks.length, 2);
    // nor does a lock that a kill cut short (empty), once it is not brand new
    const third = await train({ experimentFile: file, tasks: 1 });
    const lock = path.join(third.runDir, LOCK_FILE);
    fs.writeFileSync(lock, '');
    fs.utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    assert.equal((await train({ experimentFile: file, runDir: third.runDir })).summary.tasks.length, 2);
    // a lock of another machine is respected, and the message says what to do if it is stale
    const fourth = await train({ experimentFile: file, tasks: 1 });
    fs.writeFileSync(path.join(fourth.runDir, LOCK_FILE), JSON.stringify({ pid: 4242, host: 'elsewhere', startTime: null, since: new Date().toISOString(), owner: 'den-lab train' }));
    await assert.rejects(train({ experimentFile: file, runDir: fourth.runDir }), /being trained by process 4242 on elsewhere .*; if it is not running any more, delete .*run\.lock/);
  });

  it('a torn last line of events.jsonl is cut before the next append, never glued to it', async () => {
    const first = await train({ experimentFile: file, tasks: 1 });
    const log = path.join(first.runDir, 'events.jsonl');
    const whole = fs.readFileSync(log, 'utf8');
    fs.appendFileSync(log, '{"type":"loss","task":2,"sta'); // a kill in the middle of an append
    await train({ experimentFile: file, runDir: first.runDir });
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'the log ends with a newline');
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `every line parses: ${line.slice(0, 80)}`);
    assert.ok(fs.readFileSync(log, 'utf8').startsWith(whole), 'the complete lines are kept');
    assert.equal(readEvents(log).filter((e) => e.type === 'task-end').length, 2);
  });

  it('what a killed creator or writer left (temporary folders and files) is removed; a folder being created is not a run', async () => {
    const runs = path.join(dir, 'runs');
    fs.mkdirSync(runs);
    const stale = path.join(runs, `.safety-20260101-000000.tmp-${deadPid()}-abc123`);
    fs.mkdirSync(stale);
    fs.writeFileSync(path.join(stale, 'run.json'), '{}');
    const live = path.join(runs, `.safety-20260101-000000.tmp-${process.pid}-def456`);
    fs.mkdirSync(live);
    assert.equal(RunFolder.isRun(stale), false);
    const first = await train({ experimentFile: file, tasks: 1 });
    assert.ok(!fs.existsSync(stale), 'a dead creator’s temporary folder is removed');
    assert.ok(fs.existsSync(live), 'a live creator’s is not');
    const tmp = path.join(first.runDir, `.summary.json.tmp-${deadPid()}-x1y2`);
    fs.writeFileSync(tmp, '{');
    await train({ experimentFile: file, runDir: first.runDir });
    assert.ok(!fs.existsSync(tmp), 'a temporary file in the run is removed by its next writer');
  });

  it('paths in run files are relative to the run: a project moved elsewhere continues and evaluates', async () => {
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    const images = new Uint8Array(300 * 4 * 4).map((_, i) => (i * 37) % 256);
    const labels = new Uint8Array(300).map((_, i) => i % 3);
    fs.writeFileSync(path.join(data, 'img.idx3-ubyte'), encodeIdx([300, 4, 4], images));
    fs.writeFileSync(path.join(data, 'lab.idx1-ubyte'), encodeIdx([300], labels));
    fs.writeFileSync(file, JSON.stringify(experiment({ data: { source: 'idx', trainImages: 'data/img.idx3-ubyte', trainLabels: 'data/lab.idx1-ubyte' } })));
    const first = await train({ experimentFile: file, tasks: 1 });
    const onDisk = JSON.parse(fs.readFileSync(path.join(first.runDir, 'summary.json'), 'utf8'));
    assert.equal(onDisk.experimentFile, '../../exp.den.json');
    const exp = JSON.parse(fs.readFileSync(path.join(first.runDir, 'experiment.json'), 'utf8'));
    assert.equal(exp.data.trainImages, '../../data/img.idx3-ubyte');
    const logged = fs.readFileSync(path.join(first.runDir, 'events.jsonl'), 'utf8');
    assert.ok(!logged.includes(dir), 'no absolute path in the event log');
    // in memory, paths are absolute
    assert.equal(RunFolder.open(first.runDir).readSummary()!.experimentFile, file);

    const moved = fs.mkdtempSync(path.join(os.tmpdir(), 'den-moved-'));
    try {
      fs.cpSync(dir, moved, { recursive: true });
      fs.rmSync(dir, { recursive: true, force: true });
      const runDir = path.join(moved, 'runs', path.basename(first.runDir));
      const more = await train({ experimentFile: path.join(moved, 'exp.den.json'), runDir });
      assert.equal(more.summary.tasks.length, 2);
      assert.equal(more.summary.experimentFile, path.join(moved, 'exp.den.json'));
      assert.ok((await evaluateRun(runDir)).maxDifference < 1e-6, 'the moved run re-evaluates to its summary');
      assert.equal(readEvents(path.join(runDir, 'events.jsonl')).find((e) => e.type === 'run-start')!.type, 'run-start');
      const branch = await train({ experimentFile: path.join(moved, 'exp.den.json'), runDir, retrainTask: 2 });
      assert.equal(RunFolder.open(branch.runDir).readSummary()!.branch!.parent, runDir);
    } finally {
      fs.rmSync(moved, { recursive: true, force: true });
    }
  });

  it('bad data (IDX images of 0 pixels) fails before a run folder exists', async () => {
    fs.writeFileSync(path.join(dir, 'img.idx3-ubyte'), encodeIdx([10, 28, 0], new Uint8Array(0)));
    fs.writeFileSync(path.join(dir, 'lab.idx1-ubyte'), encodeIdx([10], new Uint8Array(10)));
    fs.writeFileSync(file, JSON.stringify(experiment({ data: { source: 'idx', trainImages: 'img.idx3-ubyte', trainLabels: 'lab.idx1-ubyte' } })));
    await assert.rejects(train({ experimentFile: file }), (err: Error) => err.name === 'DataError' && /10 images of 28×0 pixels; an image file needs at least one image of at least 1×1 pixels; check data\.trainImages/.test(err.message));
    assert.ok(!fs.existsSync(path.join(dir, 'runs')));
  });

  it('paths compare case-insensitively on Windows only', () => {
    assert.ok(samePath('C:\\Runs\\Exp.den.json', 'c:\\runs\\exp.DEN.json', 'win32'));
    assert.ok(!samePath('/runs/Exp.den.json', '/runs/exp.den.json', 'linux'));
    assert.ok(isInside('C:\\Work\\runs\\a\\branches\\b', 'c:\\work\\RUNS\\a', 'win32'));
    assert.ok(!isInside('/work/runs/ab', '/work/runs/a', 'linux'), 'a sibling with a longer name is not inside');
    assert.equal(comparablePath('/a/b/../c', 'linux'), '/a/c');
  });
});
