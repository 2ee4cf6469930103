// A run folder holds everything about one sequence of trained tasks:
//   run.json          what the folder is (format, name, creation time, the parent if a branch)
//   experiment.json   the experiment as last used (defaults filled in, data paths absolute)
//   summary.json      metrics and growth after every completed task (see RunSummary)
//   events.jsonl      every engine event, one JSON object per line
//   tasks/task-NNN/   the checkpoint after task NNN (network.json, weights.bin, experiment.json)
//   branches/<id>/    runs that retrained a task from this one, each a run folder itself
// Every file except the append-only event log is written atomically.
import * as fs from 'fs';
import * as path from 'path';
import type { DenEvent, RunSummary } from '../../protocol';
import { appendLine, writeJsonAtomic } from '../atomicFile';

export const RUN_FORMAT = 'den-lab-run';

export interface RunInfo {
  format: typeof RUN_FORMAT;
  formatVersion: 1;
  name: string;
  created: string;
  /** For a branch: the parent run folder (relative to this one) and the last task shared with it. */
  parent: { dir: string; baseTask: number } | null;
}

/** Where a branch starts: the run it shares tasks 1..baseTask with (`dir` absolute or relative to the working folder). */
export interface RunOrigin {
  dir: string;
  baseTask: number;
}

/** A folder that is not a usable run; the message names it. */
export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunError';
  }
}

/** A timestamp usable in folder names: 20261125-163005. */
function stamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** A fresh folder `<parent>/<base>`, with -2, -3… appended if the name is taken. */
function freshDir(parent: string, base: string): string {
  fs.mkdirSync(parent, { recursive: true });
  for (let i = 1; ; i++) {
    const dir = path.join(parent, i === 1 ? base : `${base}-${i}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

export class RunFolder {
  private constructor(readonly dir: string, readonly info: RunInfo) {}

  /** Writes run.json into the empty folder `dir`; `parent` is the run a branch shares tasks 1..baseTask with. */
  private static init(dir: string, name: string, parent: RunOrigin | null): RunFolder {
    const info: RunInfo = {
      format: RUN_FORMAT,
      formatVersion: 1,
      name,
      created: new Date().toISOString(),
      parent: parent && { dir: path.relative(dir, parent.dir), baseTask: parent.baseTask },
    };
    writeJsonAtomic(path.join(dir, 'run.json'), info);
    return new RunFolder(path.resolve(dir), info);
  }

  /** Creates a new run folder `<runsDir>/<name>-<timestamp>`. */
  static create(runsDir: string, name: string): RunFolder {
    const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-');
    return RunFolder.init(freshDir(runsDir, `${safe}-${stamp()}`), name, null);
  }

  /**
   * The run folder at exactly `dir` (a sweep point's): created if there is none yet, else reopened,
   * which is allowed only if it has the same origin (`parent`, or none).
   */
  static at(dir: string, name: string, parent: RunOrigin | null): RunFolder {
    if (RunFolder.isRun(dir)) {
      const run = RunFolder.open(dir);
      run.checkOrigin(parent);
      return run;
    }
    fs.mkdirSync(dir, { recursive: true });
    if (fs.readdirSync(dir).length) throw new RunError(`${dir}: exists and is not a run folder; choose another folder or empty it`);
    return RunFolder.init(dir, name, parent);
  }

  /** Throws unless this run was started from `origin` (a branch of that run at that task; null: not a branch). */
  checkOrigin(origin: RunOrigin | null): void {
    const own = this.info.parent && { dir: path.resolve(this.dir, this.info.parent.dir), baseTask: this.info.parent.baseTask };
    const same = own === null || origin === null ? own === origin : own.dir === path.resolve(origin.dir) && own.baseTask === origin.baseTask;
    const describe = (o: RunOrigin | null) => (o ? `a branch of ${o.dir} after task ${o.baseTask}` : 'a run of its own');
    if (!same) throw new RunError(`${this.dir}: is ${describe(own)}, not ${describe(origin && { dir: path.resolve(origin.dir), baseTask: origin.baseTask })}; choose another folder`);
  }

  /** Opens an existing run folder. */
  static open(dir: string): RunFolder {
    const file = path.join(dir, 'run.json');
    let info: RunInfo;
    try {
      info = JSON.parse(fs.readFileSync(file, 'utf8')) as RunInfo;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new RunError(code === 'ENOENT' ? `${dir}: not a DEN Lab run folder (no run.json)` : `${file}: unreadable (${(err as Error).message})`);
    }
    if (info.format !== RUN_FORMAT) throw new RunError(`${file}: not a DEN Lab run (format ${JSON.stringify(info.format)})`);
    if (info.formatVersion !== 1) throw new RunError(`${file}: run format version ${info.formatVersion} is not supported by this DEN Lab`);
    return new RunFolder(path.resolve(dir), info);
  }

  /** True if `dir` looks like a run folder. */
  static isRun(dir: string): boolean {
    return fs.existsSync(path.join(dir, 'run.json'));
  }

  get summaryFile(): string {
    return path.join(this.dir, 'summary.json');
  }
  get eventsFile(): string {
    return path.join(this.dir, 'events.jsonl');
  }
  get experimentFile(): string {
    return path.join(this.dir, 'experiment.json');
  }

  readSummary(): RunSummary | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.summaryFile, 'utf8')) as RunSummary;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RunError(`${this.summaryFile}: unreadable (${(err as Error).message})`);
    }
  }

  writeSummary(summary: RunSummary): void {
    writeJsonAtomic(this.summaryFile, summary);
  }

  writeExperiment(experiment: unknown): void {
    writeJsonAtomic(this.experimentFile, experiment);
  }

  readExperiment(): unknown {
    try {
      return JSON.parse(fs.readFileSync(this.experimentFile, 'utf8'));
    } catch (err) {
      throw new RunError(`${this.experimentFile}: unreadable (${(err as Error).message})`);
    }
  }

  appendEvent(event: DenEvent): void {
    appendLine(this.eventsFile, JSON.stringify({ ...event, time: Date.now() }));
  }

  /** Tasks completed in this run (including those shared with a parent). */
  completedTasks(): number {
    return this.readSummary()?.tasks.length ?? 0;
  }

  /** The folder this run writes task `task`'s checkpoint to. */
  ownCheckpointDir(task: number): string {
    return path.join(this.dir, 'tasks', `task-${String(task).padStart(3, '0')}`);
  }

  /** The checkpoint after task `task`, from this run or, for a branch, its ancestors. */
  checkpointDir(task: number): string {
    const own = this.ownCheckpointDir(task);
    if (fs.existsSync(own)) return own;
    const parent = this.info.parent;
    if (parent && task <= parent.baseTask) return RunFolder.open(path.resolve(this.dir, parent.dir)).checkpointDir(task);
    throw new RunError(`${this.dir}: there is no checkpoint after task ${task}`);
  }

  /**
   * Removes checkpoint folders of tasks the summary does not list: a crash between writing a
   * checkpoint and the summary leaves one behind, and the task is then trained again.
   */
  removeUnlistedCheckpoints(): void {
    const completed = this.completedTasks();
    const tasksDir = path.join(this.dir, 'tasks');
    if (!fs.existsSync(tasksDir)) return;
    for (const entry of fs.readdirSync(tasksDir)) {
      const m = /^task-(\d+)$/.exec(entry);
      if ((m && Number(m[1]) > completed) || entry.startsWith('.')) fs.rmSync(path.join(tasksDir, entry), { recursive: true, force: true });
    }
  }

  /**
   * A new branch of this run that retrains task `task` (it shares tasks 1..task−1 with this run):
   * `branches/task<t>-<time>/`, or the folder `at` (see RunFolder.at).
   */
  createBranch(task: number, at?: string): RunFolder {
    const origin = { dir: this.dir, baseTask: task - 1 };
    if (at !== undefined) return RunFolder.at(at, this.info.name, origin);
    return RunFolder.init(freshDir(path.join(this.dir, 'branches'), `task${task}-${stamp()}`), this.info.name, origin);
  }

  /** Branch folders of this run. */
  branches(): RunFolder[] {
    const dir = path.join(this.dir, 'branches');
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .map((d) => path.join(dir, d))
      .filter((d) => RunFolder.isRun(d))
      .map((d) => RunFolder.open(d));
  }
}

/** Reads an event log, skipping a torn last line (the log is append-only, not atomic). */
export function readEvents(file: string): (DenEvent & { time?: number })[] {
  if (!fs.existsSync(file)) return [];
  const events: (DenEvent & { time?: number })[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      // a line cut short by a crash
    }
  }
  return events;
}
