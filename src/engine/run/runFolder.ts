// A run folder holds everything about one sequence of trained tasks:
//   run.json          what the folder is (format, name, creation time, the parent if a branch)
//   experiment.json   the experiment as last used (defaults filled in)
//   summary.json      metrics and growth after every completed task (see RunSummary); 0 tasks and
//                     status "started" from the moment the run exists
//   events.jsonl      every engine event, one JSON object per line
//   run.lock          while a process trains the run: which one (see runLock.ts)
//   tasks/task-NNN/   the checkpoint after task NNN (network.json, weights.bin, experiment.json)
//   branches/<id>/    runs that retrained a task from this one, each a run folder itself
// A run is created whole: its files are written into a hidden temporary folder that is renamed
// into place, so a folder with a run's name is always complete. Every file except the
// append-only event log is written atomically, and the event log's torn tail is cut before the
// next append. Paths inside the files are relative to the run (a run survives a move or a clone);
// this module resolves them on reading, so everything outside it sees absolute paths.
import * as fs from 'fs';
import * as path from 'path';
import type { DenEvent, RunSummary } from '../../common/protocol';
import { checkEvent, checkSummary } from '../../common/protocolGuards';
import { appendLine, repairLineLog, writeJsonAtomic } from '../atomicFile';
import { mapDataPaths } from '../experiment';
import { faultPoint } from '../faultPoints';
import { RunError } from './runError';
import { isAlive, RunLock } from './runLock';
import { fromRun, mapEventPaths, samePath, toRun } from './runPaths';

export { RunError } from './runError';

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

/** What a new run folder starts with. */
export interface RunStart {
  /** The experiment as used (absolute data paths; stored relative to the run). */
  experiment: object;
  /** The summary before the first task (0 tasks of this run, status "started"). */
  summary: RunSummary;
}

/** A timestamp usable in folder names: 20261125-163005. */
function stamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** The folder-name form of an experiment name: letters, digits, '.', '_' and '-', at most 64 characters. */
export function runFolderName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '').slice(0, 64).replace(/[.-]+$/, '');
  return safe || 'run';
}

/** A hidden temporary folder of a run being created: `.<name>.tmp-<pid>-<random>`. */
const TEMP = /^\..+\.tmp-(\d+)-[a-z0-9]+$/;

/** Removes what creators killed before the rename left behind (their process is gone). */
function removeStaleTemps(parent: string): void {
  for (const entry of fs.readdirSync(parent)) {
    const m = TEMP.exec(entry);
    if (m && !isAlive(Number(m[1]))) fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
}

/**
 * Creates `<parent>/<base>` (or, unless `exact`, `<base>-2`, `-3`… if taken) whole: `fill` writes
 * the files into a temporary folder that is then renamed. If anything fails, nothing is left behind.
 */
function createWhole(parent: string, base: string, exact: boolean, fill: (tmp: string) => void): string {
  try {
    fs.mkdirSync(parent, { recursive: true });
    removeStaleTemps(parent);
  } catch (err) {
    throw new RunError(`cannot create a run folder in ${parent} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const tmp = path.join(parent, `.${base}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  try {
    fs.mkdirSync(tmp);
    fill(tmp);
    faultPoint('run-setup');
    for (let i = 1; ; i++) {
      const dir = path.join(parent, i === 1 ? base : `${base}-${i}`);
      if (exact && fs.existsSync(dir)) fs.rmdirSync(dir); // empty (RunFolder.at checked): the run takes its place
      if (fs.existsSync(dir)) continue;
      try {
        fs.renameSync(tmp, dir);
        return dir;
      } catch (err) {
        // another run took the name in between (a non-empty folder is never replaced)
        if (!fs.existsSync(dir)) throw err;
      }
    }
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (err instanceof RunError) throw err;
    throw new RunError(`cannot create a run folder in ${parent} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export class RunFolder {
  private lock: RunLock | null = null;

  private constructor(
    readonly dir: string,
    readonly info: RunInfo,
  ) {}

  /** run.json of a run named `name`, started from `parent` (a branch) or not, for the folder it is created as. */
  private static infoFor(name: string, parent: RunOrigin | null): (dir: string) => RunInfo {
    return (dir) => ({ format: RUN_FORMAT, formatVersion: 1, name, created: new Date().toISOString(), parent: parent && { dir: toRun(dir, path.resolve(parent.dir)), baseTask: parent.baseTask } });
  }

  /** Creates a new run folder `<runsDir>/<name>-<timestamp>`, complete and locked by this process. */
  static create(runsDir: string, name: string, start: RunStart): RunFolder {
    return RunFolder.createWith(path.resolve(runsDir), `${runFolderName(name)}-${stamp()}`, RunFolder.infoFor(name, null), start, false);
  }

  /**
   * The run folder at exactly `dir` (a sweep point's), locked by this process: created whole if
   * there is none yet, else reopened, which is allowed only if it has the same origin (`parent`,
   * or none). A folder that an older version left without its summary gets `start`'s.
   */
  static at(dir: string, name: string, parent: RunOrigin | null, start: RunStart): RunFolder {
    if (RunFolder.isRun(dir)) {
      const run = RunFolder.open(dir);
      run.checkOrigin(parent);
      run.lockForWriting();
      if (!fs.existsSync(run.summaryFile)) {
        run.writeExperiment(start.experiment);
        run.writeSummary(start.summary);
      }
      return run;
    }
    if (fs.existsSync(dir) && fs.readdirSync(dir).length) throw new RunError(`${dir}: exists and is not a run folder; choose another folder or empty it`);
    const abs = path.resolve(dir);
    return RunFolder.createWith(path.dirname(abs), path.basename(abs), RunFolder.infoFor(name, parent), start, true);
  }

  /** Throws unless this run was started from `origin` (a branch of that run at that task; null: not a branch). */
  checkOrigin(origin: RunOrigin | null): void {
    const own = this.info.parent && { dir: path.resolve(this.dir, this.info.parent.dir), baseTask: this.info.parent.baseTask };
    const same = own === null || origin === null ? own === origin : samePath(own.dir, origin.dir) && own.baseTask === origin.baseTask;
    const describe = (o: RunOrigin | null) => (o ? `a branch of ${o.dir} after task ${o.baseTask}` : 'a run of its own');
    if (!same) throw new RunError(`${this.dir}: is ${describe(own)}, not ${describe(origin && { dir: path.resolve(origin.dir), baseTask: origin.baseTask })}; choose another folder`);
  }

  /** Creates `<parent>/<base>` whole (see createWhole) with run.json from `info`, `start`'s files and this process's lock. */
  private static createWith(parent: string, base: string, info: (dir: string) => RunInfo, start: RunStart, exact: boolean): RunFolder {
    let written: RunInfo | undefined;
    const dir = createWhole(parent, base, exact, (tmp) => {
      // links are relative, so they are the same from the temporary and the final folder
      written = info(path.join(parent, base));
      RunLock.placeIn(tmp);
      writeJsonAtomic(path.join(tmp, 'run.json'), written);
      const run = new RunFolder(tmp, written);
      run.writeExperiment(start.experiment);
      run.writeSummary(start.summary);
      fs.writeFileSync(run.eventsFile, '');
    });
    const run = new RunFolder(dir, written!);
    run.lock = RunLock.adopt(dir);
    return run;
  }

  /** Opens an existing run folder (to read it; lockForWriting before changing it). */
  static open(dir: string): RunFolder {
    const file = path.join(dir, 'run.json');
    let info: RunInfo;
    try {
      info = JSON.parse(fs.readFileSync(file, 'utf8')) as RunInfo;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new RunError(code === 'ENOENT' ? `${dir}: not a DEN Lab run folder (no run.json)` : `${file}: unreadable (${(err as Error).message})`);
    }
    if (info?.format !== RUN_FORMAT) throw new RunError(`${file}: not a DEN Lab run (format ${JSON.stringify(info?.format)})`);
    if (info.formatVersion !== 1) throw new RunError(`${file}: run format version ${info.formatVersion} is not supported by this DEN Lab`);
    return new RunFolder(path.resolve(dir), info);
  }

  /** True if `dir` looks like a run folder (a temporary folder of a run being created is not one). */
  static isRun(dir: string): boolean {
    return !path.basename(dir).startsWith('.') && fs.existsSync(path.join(dir, 'run.json'));
  }

  /**
   * Makes this process the run's only writer: takes its lock (a RunError names the process that
   * holds it), then repairs what a killed writer left: the event log's torn tail, temporary
   * files, and checkpoints that the summary does not list.
   */
  lockForWriting(): void {
    if (this.lock) return;
    this.lock = RunLock.acquire(this.dir);
    try {
      repairLineLog(this.eventsFile);
      for (const entry of fs.readdirSync(this.dir)) if (TEMP.test(entry)) fs.rmSync(path.join(this.dir, entry), { recursive: true, force: true });
      this.removeUnlistedCheckpoints();
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** Gives up the lock (the process no longer writes the run). */
  release(): void {
    this.lock?.release();
    this.lock = null;
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

  /** The summary, checked to the leaf (fields a newer DEN Lab added are kept, unchecked); undefined if there is none. */
  readSummary(): RunSummary | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(this.summaryFile, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RunError(`${this.summaryFile}: unreadable (${(err as Error).message})`);
    }
    const checked = checkSummary(raw);
    if (!checked.ok) throw new RunError(`${this.summaryFile}: not a DEN Lab summary this version can read (${checked.problem})`);
    const summary = checked.value;
    return { ...summary, experimentFile: fromRun(this.dir, summary.experimentFile), branch: summary.branch && { ...summary.branch, parent: fromRun(this.dir, summary.branch.parent) } };
  }

  writeSummary(summary: RunSummary): void {
    writeJsonAtomic(this.summaryFile, { ...summary, experimentFile: toRun(this.dir, summary.experimentFile), branch: summary.branch && { ...summary.branch, parent: toRun(this.dir, summary.branch.parent) } });
  }

  writeExperiment(experiment: object): void {
    writeJsonAtomic(this.experimentFile, mapDataPaths(experiment, (p) => toRun(this.dir, p)));
  }

  readExperiment(): unknown {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(this.experimentFile, 'utf8'));
    } catch (err) {
      throw new RunError(`${this.experimentFile}: unreadable (${(err as Error).message})`);
    }
    return mapDataPaths(raw, (p) => fromRun(this.dir, p));
  }

  appendEvent(event: DenEvent): void {
    appendLine(this.eventsFile, JSON.stringify({ ...mapEventPaths(event, (p) => toRun(this.dir, p)), time: Date.now() }));
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
   * A new branch of this run that retrains task `task` (it shares tasks 1..task−1 with this run),
   * complete and locked by this process: `branches/task<t>-<time>/`, or the folder `at` (see RunFolder.at).
   */
  createBranch(task: number, start: RunStart, at?: string): RunFolder {
    const origin = { dir: this.dir, baseTask: task - 1 };
    if (at !== undefined) return RunFolder.at(at, this.info.name, origin, start);
    return RunFolder.createWith(path.join(this.dir, 'branches'), `task${task}-${stamp()}`, RunFolder.infoFor(this.info.name, origin), start, false);
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

/** An event as events.jsonl has it: with the time it was written, in ms. */
export type LoggedEvent = DenEvent & { time?: number };

/**
 * Parses event-log text, each line checked to the leaf; paths resolved against `runDir`. A line that
 * does not parse (cut short by a kill, before the writer repaired it) or is not an event is skipped.
 */
export function parseEventLines(text: string, runDir: string): LoggedEvent[] {
  const events: LoggedEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    const checked = checkEvent(raw);
    if (!checked.ok) continue;
    const time = (raw as { time?: unknown }).time;
    // the log's time stamp (it also replaces run-start's own ISO time there)
    events.push({ ...mapEventPaths(checked.value, (p) => fromRun(runDir, p)), ...(typeof time === 'number' && Number.isFinite(time) ? { time } : {}) } as LoggedEvent);
  }
  return events;
}

/** Reads a run's event log. */
export function readEvents(file: string): LoggedEvent[] {
  if (!fs.existsSync(file)) return [];
  return parseEventLines(fs.readFileSync(file, 'utf8'), path.dirname(file));
}
