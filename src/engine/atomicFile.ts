// Atomic writes: a reader (or a crash) never sees a half-written file. Data goes to a temporary
// file in the same folder, is flushed to disk, and is then renamed over the target.
import * as fs from 'fs';
import * as path from 'path';
import { faultPoint } from './faultPoints';

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
  faultPoint(`rename:${path.basename(file)}`);
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
    faultPoint(`rename:${path.basename(dir)}`);
    fs.renameSync(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Appends one line in one write; used for the event log, whose torn last line the next writer cuts (repairLineLog). */
export function appendLine(file: string, line: string): void {
  const text = line.endsWith('\n') ? line : line + '\n';
  faultPoint(`append:${path.basename(file)}`, () => fs.appendFileSync(file, text.slice(0, Math.ceil(text.length / 2))));
  fs.appendFileSync(file, text);
}

/**
 * Cuts a torn last line (one without its newline, left by a kill in the middle of an append) off a
 * line log, so that the next append starts on a line of its own. Reads backwards from the end.
 */
export function repairLineLog(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      fs.readSync(fd, chunk, 0, end - start, start);
      const nl = chunk.subarray(0, end - start).lastIndexOf(0x0a);
      if (nl >= 0) {
        end = start + nl + 1;
        break;
      }
      end = start;
    }
    if (end < size) {
      fs.ftruncateSync(fd, end);
      fs.fsyncSync(fd);
    }
    return size - end;
  } finally {
    fs.closeSync(fd);
  }
}
