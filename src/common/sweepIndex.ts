// The workspace's sweep folders (a folder with a sweep.json), read from disk for the tree, the
// commands and the dashboard's Sweep tab. No vscode import.
import * as path from 'path';
import { isInside } from '../engine/run/runPaths';
import { liveFollower, readSweep } from '../engine/sweep/sweepFile';
import type { SweepFile } from './protocol';
import { runIdOf } from './runIndex';

export interface SweepEntry {
  /** The id the dashboard knows the sweep by (runIdOf(dir)); it never sees paths. */
  id: string;
  dir: string;
  sweep: SweepFile | undefined;
  /** Why sweep.json could not be read, if so. */
  problem: string | null;
}

export function readSweepEntry(dir: string): SweepEntry {
  try {
    return { id: runIdOf(dir), dir, sweep: readSweep(dir), problem: null };
  } catch (err) {
    return { id: runIdOf(dir), dir, sweep: undefined, problem: (err as Error).message };
  }
}

/** Sweeps from the folders of their sweep.json files, newest first; a folder without a readable file is kept with its problem. */
export function readSweeps(dirs: string[]): SweepEntry[] {
  return [...new Set(dirs.map((d) => path.resolve(d)))].map(readSweepEntry).sort((a, b) => (b.sweep?.created ?? '').localeCompare(a.sweep?.created ?? ''));
}

/** e.g. "tiny · den.tau × den.k · 4 points". */
export function sweepLabel(e: SweepEntry): string {
  const s = e.sweep;
  if (!s) return path.basename(e.dir);
  const base = s.base ? ` · retrain task ${s.base.task}` : '';
  return `${s.name} · ${s.grid.map((a) => a.field).join(' × ')}${base} · ${s.points.length} points`;
}

/** e.g. "3/4 done, 1 failed · running": the points by status and the sweep's state. */
export function sweepStatusText(s: SweepFile): string {
  const n = (status: string) => s.points.filter((p) => p.status === status).length;
  const parts = [`${n('done')}/${s.points.length} done`];
  for (const status of ['running', 'failed', 'cancelled'] as const) if (n(status)) parts.push(`${n(status)} ${status}`);
  const state = s.state === 'running' ? (liveFollower(s) !== null || s.executor.kind === 'slurm' ? 'running' : 'stopped (its process is gone)') : s.state;
  return `${parts.join(', ')} · ${state}`;
}

/** The sweep whose folder holds `dir` (a point's run folder), if any. */
export const sweepOf = (sweeps: SweepEntry[], dir: string): SweepEntry | undefined => sweeps.find((s) => isInside(dir, s.dir));

/** A point's run folder. */
export const pointRunDir = (e: SweepEntry, pointRun: string): string => path.resolve(e.dir, pointRun);
