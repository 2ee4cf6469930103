// One writer per run: `run.lock` in the run folder, created exclusively (O_EXCL) by the process
// that trains the run (the CLI or the extension's trainer) and removed when it is done. A lock
// whose process is gone (killed, crashed) is stale and taken over: on this host the pid is
// checked, and on Linux also the process's start time, so a reused pid is not mistaken for it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RunError } from './runError';

export const LOCK_FILE = 'run.lock';

export interface LockInfo {
  pid: number;
  host: string;
  /** The process's start time as /proc/<pid>/stat has it (Linux), to tell a reused pid. */
  startTime: string | null;
  /** ISO time the lock was taken. */
  since: string;
  /** Who holds it, e.g. "den-lab train" or "the DEN Lab extension". */
  owner: string;
}

/** Start time of a process in clock ticks since boot (Linux), or null where /proc has none. */
function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export const mtimeOf = (file: string) => {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
};

/** Whether a process with this pid runs (EPERM: it does, under another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerName(): string {
  const entry = path.basename(process.argv[1] ?? '');
  return entry === 'cli.js' ? 'den-lab train' : entry === 'trainer.js' ? 'the DEN Lab extension' : `node ${entry}`;
}

export function readLock(file: string): LockInfo | 'unreadable' | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return 'unreadable';
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return Number.isInteger(info.pid) && typeof info.host === 'string' ? info : 'unreadable';
  } catch {
    return 'unreadable'; // cut short by a kill between create and write
  }
}

/** Whether the lock's process still runs (a lock of another host is assumed to). */
export function isLive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true;
  if (!isAlive(info.pid)) return false;
  const start = processStartTime(info.pid);
  return info.startTime === null || start === null || start === info.startTime;
}

/** The live holder of a run's lock, or null (no lock, or a stale one). */
export function runLockHolder(runDir: string): LockInfo | null {
  const info = readLock(path.join(runDir, LOCK_FILE));
  return info && info !== 'unreadable' && isLive(info) ? info : null;
}

export function describeHolder(info: LockInfo): string {
  const where = info.host === os.hostname() ? '' : ` on ${info.host}`;
  return `process ${info.pid}${where} (${info.owner}, since ${info.since.replace('T', ' ').slice(0, 19)})`;
}

export class RunLock {
  private constructor(readonly file: string) {}

  /** The lock content for this process. */
  static info(): LockInfo {
    return { pid: process.pid, host: os.hostname(), startTime: processStartTime(process.pid), since: new Date().toISOString(), owner: ownerName() };
  }

  /** Takes the lock of `runDir`, or throws a RunError naming the process that trains the run. */
  static acquire(runDir: string): RunLock {
    const file = path.join(runDir, LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(file, JSON.stringify(RunLock.info()) + '\n', { flag: 'wx' });
        return new RunLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new RunError(`${runDir}: cannot lock the run (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      }
      const holder = readLock(file);
      if (holder && holder !== 'unreadable' && isLive(holder)) {
        const other = holder.host !== os.hostname() ? `; if it is not running any more, delete ${file}` : '';
        throw new RunError(`${runDir}: this run is being trained by ${describeHolder(holder)}; wait for it to finish or stop it${other}`);
      }
      // an unreadable lock may be one being written this very moment: stale only after a while
      if (holder === 'unreadable' && Date.now() - mtimeOf(file) < 2000) {
        throw new RunError(`${runDir}: this run is being locked by another process; try again in a moment`);
      }
      // stale (its process is gone) or cut short: remove it if nobody replaced it meanwhile
      if (holder !== null && JSON.stringify(readLock(file)) === JSON.stringify(holder)) fs.rmSync(file, { force: true });
    }
    throw new RunError(`${runDir}: cannot lock the run: ${file} keeps reappearing`);
  }

  /** Writes this process's lock into a folder that is not a run yet (a run being created). */
  static placeIn(dir: string): void {
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(RunLock.info()) + '\n', { flag: 'wx' });
  }

  /** The lock of a run created with placeIn. */
  static adopt(runDir: string): RunLock {
    return new RunLock(path.join(runDir, LOCK_FILE));
  }

  release(): void {
    const info = readLock(this.file);
    if (info && info !== 'unreadable' && info.pid === process.pid) fs.rmSync(this.file, { force: true });
  }
}
