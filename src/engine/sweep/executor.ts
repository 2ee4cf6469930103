// How a sweep's points get run. The sweep gives an executor its points (each a den-lab command
// line) and hears when each starts and ends; it never learns how they ran, and whether a point
// succeeded is read from its run folder, not from the executor. LocalExecutor runs them as child
// processes of this machine, `jobs` at a time; SlurmExecutor (slurm.ts) as the tasks of a job
// array, which run on without the sweep process: it is a DetachableExecutor, which a later
// process rebuilds from sweep.json's `executor` record to follow or cancel the points.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import type { LocalExecutorRecord, SweepExecutorRecord } from '../../common/protocol';

/** One point to train: `den-lab <args>` run in `cwd` (the sweep folder; paths in args are relative to it). */
export interface PointJob {
  id: string;
  args: string[];
  cwd: string;
  /** The run folder the command trains, relative to `cwd`. */
  run: string;
  /** File that receives the command's output (appended). */
  log: string;
}

export type PointUpdate =
  /** `job`: the executor's id of this attempt (Slurm: "1234_5"). */
  | { id: string; state: 'running'; time: string; pid: number | null; job?: string }
  /** Waiting in the executor's queue for a reason worth telling (Slurm: held, or requeued after it ran). */
  | { id: string; state: 'queued'; time: string; message: string }
  | {
      id: string;
      state: 'ended';
      time: string;
      exitCode: number | null;
      /** What stopped it when it did not exit by itself (a signal name, or an executor's state such as a Slurm TIMEOUT). */
      signal: string | null;
      /** Ended because the sweep was cancelled. */
      cancelled: boolean;
      /** An executor's own message (e.g. the process could not start; Slurm: the job's state). */
      message?: string;
      /** The executor's id of the attempt that ended, also when its start was not seen (Slurm: "1234_5"). */
      job?: string;
    };

export interface Executor {
  /** Names the executor in sweep.json and in messages. */
  readonly kind: SweepExecutorRecord['kind'];
  /** How many points run at once. */
  readonly jobs: number;
  /** sweep.json's `executor`: what a later process needs to find the points again (e.g. a Slurm job id). */
  record(): SweepExecutorRecord;
  /** Starts running `points`; `onUpdate` hears of every start and end. Call once. Throws if the points cannot be handed over (e.g. sbatch refused the job), and then none runs. */
  start(points: PointJob[], onUpdate: (update: PointUpdate) => void): void;
  /** Resolves when no point runs any more and none will start (or once detached). */
  finished(): Promise<void>;
  /** Starts no more points and stops the running ones at their next step; `force`: kills them now. */
  cancel(force?: boolean): void;
}

/** An executor whose points run on without this process (a batch system). */
export interface DetachableExecutor extends Executor {
  /** Stops following the points, which keep running or waiting; finished() resolves. */
  detach(): void;
  /**
   * Instead of start(), in a later process, on an executor rebuilt from sweep.json's record: reports the
   * current state of the points that were handed over (`points`: the sweep's, by id), then their changes
   * as start() would. Resolves, after that first report, with the ids of the points still queued or running.
   */
  follow(points: PointJob[], onUpdate: (update: PointUpdate) => void): Promise<string[]>;
}

export const isDetachable = (e: Executor): e is DetachableExecutor => 'detach' in e && 'follow' in e;

/** The command line of a point, as shown in its log and to users. */
export const commandLine = (args: string[]): string => ['den-lab', ...args].map((a) => (/^[\w./=,:+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');

/**
 * Child processes on this machine: `node <cli> <args>`. Each child gets an IPC channel so that it
 * stops (as on Ctrl-C) when this process dies, and its own process group so that a Ctrl-C in the
 * terminal reaches only this process, which then stops them.
 */
export class LocalExecutor implements Executor {
  readonly kind = 'local';
  private queue: PointJob[] = [];
  private readonly running = new Map<string, ChildProcess>();
  private readonly stopped = new Set<string>();
  private stopping = false;
  private onUpdate: (u: PointUpdate) => void = () => {};
  private resolveFinished!: () => void;
  private readonly done = new Promise<void>((resolve) => (this.resolveFinished = resolve));

  constructor(
    readonly jobs: number,
    private readonly cli: string,
    private readonly node = process.execPath,
  ) {}

  record(): LocalExecutorRecord {
    return { kind: this.kind, jobs: this.jobs };
  }

  start(points: PointJob[], onUpdate: (u: PointUpdate) => void): void {
    this.queue = [...points];
    this.onUpdate = onUpdate;
    this.pump();
  }

  finished(): Promise<void> {
    return this.done;
  }

  cancel(force = false): void {
    this.stopping = true;
    for (const [id, child] of this.running) {
      this.stopped.add(id);
      child.kill(force ? 'SIGKILL' : 'SIGINT');
    }
    this.pump();
  }

  private pump(): void {
    while (!this.stopping && this.running.size < this.jobs && this.queue.length) this.launch(this.queue.shift()!);
    if (this.running.size === 0 && (this.stopping || this.queue.length === 0)) this.resolveFinished();
  }

  private launch(job: PointJob): void {
    const fd = fs.openSync(job.log, 'a');
    let child: ChildProcess;
    try {
      fs.writeSync(fd, `\n# ${new Date().toISOString()} in ${job.cwd}\n$ ${commandLine(job.args)}\n`);
      child = spawn(this.node, [this.cli, ...job.args], { cwd: job.cwd, stdio: ['ignore', fd, fd, 'ipc'], detached: process.platform !== 'win32' });
    } finally {
      fs.closeSync(fd);
    }
    this.running.set(job.id, child);
    let ended = false;
    const end = (exitCode: number | null, signal: string | null, message?: string) => {
      if (ended) return;
      ended = true;
      this.running.delete(job.id);
      this.onUpdate({ id: job.id, state: 'ended', time: new Date().toISOString(), exitCode, signal, cancelled: this.stopped.has(job.id), message });
      this.pump();
    };
    child.on('error', (err) => end(null, null, `could not start ${this.node}: ${err.message}`));
    child.on('exit', (code, signal) => end(code, signal));
    this.onUpdate({ id: job.id, state: 'running', time: new Date().toISOString(), pid: child.pid ?? null });
  }
}

/** The executor in words, from its record: "local", "Slurm job array 1234". */
export function executorLabel(r: SweepExecutorRecord): string {
  return r.kind === 'slurm' ? `Slurm job array ${r.jobId ?? '(not submitted)'}` : r.kind;
}
