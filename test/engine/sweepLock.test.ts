// sweep.lock between real processes: what one process does under the lock, another cannot do at the
// same time, and the lock of a process killed while it held it does not block the sweep.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SWEEP_LOCK, withSweepLock } from '../../src/engine/sweep/sweepLock';

const lockModule = path.resolve(__dirname, '../../src/engine/sweep/sweepLock.ts');

/** A node process that takes the lock of `dir` and, under it, prints "in", waits for its stdin to close, then appends `name` to `dir`/order. */
function holder(dir: string, name: string): { child: ChildProcess; inside: Promise<void>; exited: Promise<number | null> } {
  const script = `
    const fs = require('fs');
    const { withSweepLock } = require(${JSON.stringify(lockModule)});
    process.stdout.write('started\\n');
    withSweepLock(${JSON.stringify(dir)}, () => {
      process.stdout.write('in\\n');
      try { fs.readSync(0, Buffer.alloc(1)); } catch {}
      fs.appendFileSync(${JSON.stringify(path.join(dir, 'order'))}, ${JSON.stringify(name + '\n')});
    });`;
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: path.resolve(__dirname, '../..'), stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const inside = new Promise<void>((resolve) => child.stdout!.on('data', (b: Buffer) => (out += b.toString()).includes('in\n') && resolve()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, inside, exited };
}

describe('sweep.lock (sweep.json read-modify-write between processes)', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'den-sweep-lock-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a second process enters only after the first has left', async () => {
    const first = holder(dir, 'first');
    await first.inside;
    const second = holder(dir, 'second');
    second.child.stdin!.end(); // it does not wait inside
    // Once started, the second would append at once without the lock; it waits for the first instead.
    await new Promise<void>((resolve) => second.child.stdout!.on('data', (b: Buffer) => b.toString().includes('started') && resolve()));
    assert.equal(fs.existsSync(path.join(dir, 'order')), false);
    first.child.stdin!.end();
    assert.deepEqual([await first.exited, await second.exited], [0, 0]);
    assert.equal(fs.readFileSync(path.join(dir, 'order'), 'utf8'), 'first\nsecond\n', 'the second entered after the first left');
    assert.equal(fs.existsSync(path.join(dir, SWEEP_LOCK)), false);
  });

  it('the lock of a process killed while it held it is taken over', async () => {
    const killed = holder(dir, 'killed');
    await killed.inside;
    killed.child.kill('SIGKILL');
    await killed.exited;
    assert.ok(fs.existsSync(path.join(dir, SWEEP_LOCK)), 'left behind');
    assert.equal(withSweepLock(dir, () => 'entered'), 'entered');
    assert.equal(fs.existsSync(path.join(dir, SWEEP_LOCK)), false);
    assert.equal(fs.existsSync(path.join(dir, 'order')), false, 'the killed process never finished inside');
  });
});
