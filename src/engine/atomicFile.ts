// Atomic writes: a reader (or a crash) never sees a half-written file. Data goes to a temporary
// file in the same folder, is flushed to disk, and is then renamed over the target.
import * as fs from 'fs';
import * as path from 'path';

function tempName(target: string): string {
  const rand = Math.random().toString(36).slice(2, 10);
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${rand}`);
}

/** Writes `data` to `file` atomically (temporary file + fsync + rename). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes a JSON document atomically, pretty-printed. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Creates the folder `dir` atomically: `fill` writes into a temporary sibling folder, which is
 * then renamed to `dir`. If `fill` throws, nothing is left behind. `dir` must not exist yet.
 */
export function writeDirAtomic(dir: string, fill: (tmpDir: string) => void): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  // rename(2) silently replaces an existing empty directory, so check first
  if (fs.existsSync(dir)) throw new Error(`cannot create ${dir}: it already exists`);
  const tmp = tempName(dir);
  fs.mkdirSync(tmp);
  try {
    fill(tmp);
    fs.renameSync(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Appends one line; used for the event log, where a torn last line is skipped by readers. */
export function appendLine(file: string, line: string): void {
  fs.appendFileSync(file, line.endsWith('\n') ? line : line + '\n');
}
