// What the workspace's run folders contain, read from disk into one plain structure that the tree,
// the commands, the hints and the dashboard share. No vscode import.
import * as crypto from 'crypto';
import * as path from 'path';
import { Experiment, incompatibilities, validateExperiment } from '../engine/experiment';
import { RunFolder } from '../engine/run/runFolder';
import { LockInfo, runLockHolder } from '../engine/run/runLock';
import { comparablePath, samePath } from '../engine/run/runPaths';
import type { RunSummary } from './protocol';

export interface RunEntry {
  /** The run's id for the dashboard (runIdOf(dir)), which never sees paths. */
  id: string;
  dir: string;
  name: string;
  created: string;
  summary: RunSummary | undefined;
  /** The experiment as the run last used it (undefined if unreadable). */
  experiment: Experiment | undefined;
  /** For a branch: the task it retrained. */
  branchOf: { parent: string; task: number } | null;
  branches: RunEntry[];
  /** Why the folder could not be read fully, if so. */
  problem: string | null;
  /** The process training this run now (this window's trainer, a CLI in a terminal…), if any. */
  lock: LockInfo | null;
}

/** Reads one run folder and, recursively, its branches. Never throws: problems are recorded. */
export function readRun(dir: string): RunEntry {
  const entry: RunEntry = { id: runIdOf(dir), dir, name: path.basename(dir), created: '', summary: undefined, experiment: undefined, branchOf: null, branches: [], problem: null, lock: runLockHolder(dir) };
  try {
    const run = RunFolder.open(dir);
    entry.name = run.info.name;
    entry.created = run.info.created;
    if (run.info.parent) entry.branchOf = { parent: path.resolve(dir, run.info.parent.dir), task: run.info.parent.baseTask + 1 };
    entry.summary = run.readSummary();
    try {
      entry.experiment = validateExperiment(run.readExperiment(), run.experimentFile);
    } catch (err) {
      entry.problem = (err as Error).message;
    }
    entry.branches = run.branches().map((b) => readRun(b.dir));
  } catch (err) {
    entry.problem = (err as Error).message;
  }
  return entry;
}

/** Top-level runs (branches are found through their parents), newest first. */
export function readRuns(runJsonDirs: string[]): RunEntry[] {
  const dirs = [...new Set(runJsonDirs.map((d) => path.resolve(d)))].filter((d) => RunFolder.isRun(d)); // not a run being created
  const isBranch = (d: string) => path.basename(path.dirname(d)) === 'branches' && dirs.includes(path.dirname(path.dirname(d)));
  return dirs
    .filter((d) => !isBranch(d))
    .map(readRun)
    .sort((a, b) => (b.created > a.created ? 1 : b.created < a.created ? -1 : 0));
}

/** Every run and branch, flattened. */
export function allRuns(runs: RunEntry[]): RunEntry[] {
  return runs.flatMap((r) => [r, ...allRuns(r.branches)]);
}

/** A stable id for a run folder (the same after a window reload), derived from its path. */
export function runIdOf(dir: string): string {
  return crypto.createHash('sha256').update(comparablePath(dir)).digest('base64url').slice(0, 16);
}

export function runById(runs: RunEntry[], id: string): RunEntry | undefined {
  return allRuns(runs).find((r) => r.id === id);
}

export function findRun(runs: RunEntry[], dir: string): RunEntry | undefined {
  return allRuns(runs).find((r) => samePath(r.dir, dir));
}

export const completedTasks = (run: RunEntry): number => run.summary?.tasks.length ?? 0;
export const totalTasks = (run: RunEntry): number => run.summary?.taskNames.length ?? 0;

/** Runs (and branches) of one experiment file, most recently updated first. */
export function runsOfExperiment(runs: RunEntry[], experimentFile: string): RunEntry[] {
  const file = comparablePath(experimentFile);
  return allRuns(runs)
    .filter((r) => r.summary && comparablePath(r.summary.experimentFile) === file)
    .sort((a, b) => (b.summary!.updated > a.summary!.updated ? 1 : b.summary!.updated < a.summary!.updated ? -1 : 0));
}

/**
 * The run that "Train Next Task" continues for this experiment: the most recently updated run of
 * the file with tasks left whose data, tasks and network the file still has. None: start a new run.
 * `current` is the file's experiment with absolute data paths (withAbsolutePaths).
 */
export function runToContinue(runs: RunEntry[], experimentFile: string, current: Experiment | undefined): RunEntry | undefined {
  return runsOfExperiment(runs, experimentFile).find(
    (r) => completedTasks(r) < totalTasks(r) && r.experiment !== undefined && (!current || incompatibilities(r.experiment, current, r.dir).length === 0),
  );
}

/** A short label for a run: "permuted-mnist · 20261125-164605", or "permuted-mnist · branch task 3 · …". */
export function runLabel(run: RunEntry): string {
  const stamp = /(\d{8}-\d{6})/.exec(path.basename(run.dir))?.[1] ?? path.basename(run.dir);
  return run.branchOf ? `${run.name} · branch task ${run.branchOf.task} · ${stamp}` : `${run.name} · ${stamp}`;
}
