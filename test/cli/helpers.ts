// Running the built den-lab CLI (dist/cli.js) as a user does, in a child process.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const root = path.resolve(__dirname, '../..');
export const cli = path.join(root, 'dist', 'cli.js');

/** Runs den-lab to the end. */
export function run(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 300000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface JsonProcess<E> {
  child: ChildProcess;
  /** The JSON lines printed so far. */
  events: E[];
  /** The exit status, or null if a signal ended it. */
  exited: Promise<number | null>;
  /** Resolves with the first event (printed already or later) that matches; rejects if den-lab exits first. */
  waitFor(match: (e: E) => boolean): Promise<E>;
}

/** Starts den-lab with --json and collects the lines it prints. */
export function startJson<E>(args: string[]): JsonProcess<E> {
  const child = spawn(process.execPath, [cli, ...args, '--json'], { cwd: root });
  const events: E[] = [];
  const waiters: { match: (e: E) => boolean; resolve: (e: E) => void }[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ? null : code)));
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const e = JSON.parse(line) as E;
      events.push(e);
      for (const w of waiters.filter((w) => w.match(e))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  const waitFor = (match: (e: E) => boolean) =>
    new Promise<E>((resolve, reject) => {
      const seen = events.find(match);
      if (seen) return resolve(seen);
      waiters.push({ match, resolve });
      // `exited` never rejects
      void exited.then((code) => reject(new Error(`den-lab exited (${code}) before the awaited event; stderr: ${stderr}`)));
    });
  return { child, events, exited, waitFor };
}

/** Resolves once `condition` holds; rejects after `timeoutMs`, naming `what`. */
export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Writes the sweep tests' small experiment to `dir/name`: 600 digits, two permuted tasks, a 784-16-8-10
 * network, 40 steps a stage; `patch` changes fields of its training and den sections.
 */
export function writeSweepExperiment(dir: string, name: string, patch: { training?: Record<string, unknown>; den?: Record<string, unknown> } = {}): string {
  const exp = {
    name: 'sweep-test',
    data: { source: 'mnist', limit: 600 },
    tasks: { type: 'permuted', count: 2 },
    network: { hidden: [16, 8] },
    training: { steps: 40, batchSize: 32, lossEvery: 5, ...patch.training },
    den: { sparseHeadSteps: 10, ...patch.den },
  };
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(exp, null, 2));
  return file;
}

/** Gone: no such process, or a zombie waiting to be reaped. */
export function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z');
  } catch {
    return true;
  }
}
