// What the latest run observed, for the hints next to τ, σ and k in an experiment file: the loss
// compared with τ at every task (and whether it expanded), the largest drifts against σ (and how
// many units split), and how many of the k added units survived pruning. No vscode import.
import type { RunSummary } from './protocol';
import { f4, short } from './vocabulary';

export interface ThresholdHint {
  field: 'tau' | 'sigma' | 'k';
  /** Short text shown inline. */
  label: string;
  /** Markdown table for the hover. */
  tooltip: string;
}

export function thresholdHints(summary: RunSummary, runLabel: string): ThresholdHint[] {
  const later = summary.tasks.filter((t) => t.tauStatistic !== null);
  if (later.length === 0) return [];
  const header = (cols: string[]) => `| task | ${cols.join(' | ')} |\n|---|${cols.map(() => '---').join('|')}|\n`;
  const expandedCount = later.filter((t) => t.expanded).length;
  const tau: ThresholdHint = {
    field: 'tau',
    label: `last run: loss ${later.map((t) => short(t.tauStatistic!)).join(', ')}; expanded ${expandedCount} of ${later.length} tasks`,
    tooltip:
      `**τ test in ${runLabel}**\n\nAfter selective retraining of each task from task 2 on, its ${later[0].tauStatisticKind} loss was compared with τ; ` +
      `above τ, the network expanded by k units per layer.\n\n` +
      header([`${later[0].tauStatisticKind} loss`, 'τ', 'expanded']) +
      later.map((t) => `| ${t.index} | ${f4(t.tauStatistic)} | ${t.tau} | ${t.expanded ? 'yes' : 'no'} |`).join('\n'),
  };
  const splitTotal = later.reduce((a, t) => a + t.split.reduce((x, y) => x + y, 0), 0);
  const sigma: ThresholdHint = {
    field: 'sigma',
    label: `last run: largest drift ${later.map((t) => short(Math.max(...(t.maxDrift ?? [0])))).join(', ')}; ${splitTotal} units split`,
    tooltip:
      `**Drift in ${runLabel}**\n\nThe largest drift ρ (how far a unit's incoming weights moved) per layer in each task; a unit with ρ above σ was split ` +
      `(the original restored for the old tasks, a copy for the new one).\n\n` +
      header(['largest ρ per layer', 'σ', 'units split per layer']) +
      later.map((t) => `| ${t.index} | ${(t.maxDrift ?? []).map((d) => f4(d)).join(', ')} | ${t.sigma} | ${t.split.join(', ')} |`).join('\n'),
  };
  const expanded = later.filter((t) => t.expanded);
  const k: ThresholdHint = {
    field: 'k',
    label: expanded.length
      ? `last run: kept ${expanded.map((t) => t.added.map((a, l) => `${a - t.pruned[l]}`).join('+')).join(', ')} of ${expanded[0].added.join('+')} added`
      : 'last run: no expansion yet',
    tooltip:
      `**Expansion in ${runLabel}**\n\nUnits added per layer when a task expanded, and how many the group lasso kept (per task, layers joined by +).\n\n` +
      header(['added', 'pruned', 'kept']) +
      later.map((t) => `| ${t.index} | ${t.added.join(', ')} | ${t.pruned.join(', ')} | ${t.added.map((a, l) => a - t.pruned[l]).join(', ')} |`).join('\n'),
  };
  return [tau, sigma, k];
}
