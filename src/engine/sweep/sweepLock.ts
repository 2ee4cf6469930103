// sweep.json is written by more than one process: the one that runs or follows the sweep, a
// `--status` that brings it up to date, a `--cancel`. Each write reads the file and writes it back
// under sweep.lock (created exclusively), so that no process writes over what another has just
// decided, e.g. a follower registering itself in a sweep that another process has just ended. The
// lock is held for one read and one write; a lock whose process is gone, or older than STALE_MS
// (one of another host, whose process cannot be checked from here), is stale and taken over.
import * as fs from 'fs';
import * as path from 'path';
import { isLive, mtimeOf, readLock, RunLock } from '../run/runLock';
import { SweepError } from './grid';

export const SWEEP_LOCK = 'sweep.lock';
const STALE_MS = 10000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Runs `fn` (a read and a write of sweep.json) while this process holds the sweep folder's lock. */
export function withSweepLock<T>(dir: string, fn: () => T): T {
  const file = path.join(dir, SWEEP_LOCK);
  const deadline = Date.now() + 3 * STALE_MS;
  for (;;) {
    try {
      fs.writeFileSync(file, JSON.stringify(RunLock.info()) + '\n', { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new SweepError(`${dir}: cannot lock sweep.json (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    const holder = readLock(file);
    // An unreadable lock may be one being written this very moment: stale only by its age.
    const stale = holder !== null && ((holder !== 'unreadable' && !isLive(holder)) || Date.now() - mtimeOf(file) > STALE_MS);
    if (stale && JSON.stringify(readLock(file)) === JSON.stringify(holder)) fs.rmSync(file, { force: true });
    else if (Date.now() > deadline) throw new SweepError(`${dir}: ${file} has been held for ${(3 * STALE_MS) / 1000} s; if no den-lab process uses this sweep, delete it`);
    else Atomics.wait(pause, 0, 0, 5); // the holder only reads and writes one file
  }
  try {
    return fn();
  } finally {
    // not a lock that another process took over as stale meanwhile
    const held = readLock(file);
    if (held && held !== 'unreadable' && held.pid === process.pid) fs.rmSync(file, { force: true });
  }
}
