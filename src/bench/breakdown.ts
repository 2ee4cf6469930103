// Where a run's task time goes: the training stages and the other timed parts (PhaseName) from the
// summary's task records, summed over the tasks, with what no part accounts for as "other".
import type { RunSummary } from '../common/protocol';

export interface TimePart {
  /** A stage name (training) or a phase name (not training), or "other". */
  part: string;
  training: boolean;
  seconds: number;
}

export interface TimeBreakdown {
  /** The tasks' wall seconds (summary `seconds`, which include every part and the checkpoint write). */
  seconds: number;
  parts: TimePart[];
}

/** Seconds per part over every task; null when no task recorded phases (older runs). */
export function timeBreakdown(s: Pick<RunSummary, 'tasks'>): TimeBreakdown | null {
  if (!s.tasks.some((t) => t.phases)) return null;
  const parts = new Map<string, TimePart>();
  const add = (part: string, training: boolean, seconds: number) => {
    const p = parts.get(part) ?? { part, training, seconds: 0 };
    p.seconds += seconds;
    parts.set(part, p);
  };
  let total = 0;
  for (const t of s.tasks) {
    total += t.seconds;
    let counted = 0;
    for (const st of t.stages) {
      add(st.stage, true, st.seconds);
      counted += st.seconds;
    }
    for (const [phase, seconds] of Object.entries(t.phases ?? {})) {
      if (seconds === undefined) continue;
      add(phase, false, seconds);
      counted += seconds;
    }
    add('other', false, Math.max(0, t.seconds - counted));
  }
  // the training stages first, then the rest, each in order of first appearance
  return { seconds: total, parts: [...parts.values()].sort((a, b) => Number(b.training) - Number(a.training)) };
}

/** The share of the time that is not a training stage. */
export function nonTrainingShare(b: TimeBreakdown): number {
  return b.seconds > 0 ? b.parts.filter((p) => !p.training).reduce((a, p) => a + p.seconds, 0) / b.seconds : 0;
}

/** One line: each part's seconds and share, then the share that is not training. */
export function breakdownLine(b: TimeBreakdown): string {
  const pct = (x: number) => `${((100 * x) / Math.max(b.seconds, 1e-9)).toFixed(1)}%`;
  const parts = b.parts.map((p) => `${p.part} ${p.seconds.toFixed(2)}s (${pct(p.seconds)})`);
  return `${parts.join(', ')}; not training: ${(100 * nonTrainingShare(b)).toFixed(1)}% of ${b.seconds.toFixed(1)}s`;
}
