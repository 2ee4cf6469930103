// What the latest run observed, for the hints next to τ, σ and k in an experiment file: the loss
// compared with τ at every task (and whether it expanded), the largest drifts against σ (and how
// many units split), and how many of the k added units survived pruning. No vscode import.
import type { RunSummary } from '../protocol';

export interface ThresholdHint {
  field: 'tau' | 'sigma' | 'k';
  /** Short text shown inline. */
  label: string;
  /** Markdown table for the hover. */
  tooltip: string;
}

const f3 = (v: number) => (v >= 0.1 ? v.toFixed(2) : v >= 0.001 ? v.toFixed(3) : v.toExponential(1));

export function thresholdHints(summary: RunSummary, runLabel: string): ThresholdHint[] {
  const later = summary.tasks.filter((t) => t.tauStatistic !== null);
  if (later.length === 0) return [];
  const header = (cols: string[]) => `| task | ${cols.join(' | ')} |\n|---|${cols.map(() => '---').join('|')}|\n`;
  const tau: ThresholdHint = {
    field: 'tau',
    label: `τ-stat ${later.map((t) => `${f3(t.tauStatistic!)}${t.expanded ? '↑' : '·'}`).join(' ')} (${later.filter((t) => t.expanded).length}/${later.length} expanded)`,
    tooltip:
      `**τ test in ${runLabel}** (${later[0].tauStatisticKind} loss after selective retraining; ↑ = above τ, expanded)\n\n` +
      header(['statistic', 'τ', 'expanded']) +
      later.map((t) => `| ${t.index} | ${t.tauStatistic!.toFixed(4)} | ${t.tau} | ${t.expanded ? 'yes' : 'no'} |`).join('\n'),
  };
  const sigma: ThresholdHint = {
    field: 'sigma',
    label: `max ρ ${later.map((t) => f3(Math.max(...(t.maxDrift ?? [0])))).join(' ')}; split ${later.reduce((a, t) => a + t.split.reduce((x, y) => x + y, 0), 0)} units`,
    tooltip:
      `**Drift in ${runLabel}** (largest ρ per layer; units with ρ > σ split)\n\n` +
      header(['max ρ per layer', 'σ', 'units split']) +
      later.map((t) => `| ${t.index} | ${(t.maxDrift ?? []).map((d) => d.toFixed(4)).join(', ')} | ${t.sigma} | ${t.split.join(', ')} |`).join('\n'),
  };
  const expanded = later.filter((t) => t.expanded);
  const k: ThresholdHint = {
    field: 'k',
    label: expanded.length
      ? `kept ${expanded.map((t) => t.added.map((a, l) => `${a - t.pruned[l]}`).join('+')).join(' ')} of ${expanded[0].added.join('+')} added`
      : 'no expansion yet',
    tooltip:
      `**Expansion in ${runLabel}** (units added per layer, and kept after the group lasso)\n\n` +
      header(['added', 'pruned', 'kept']) +
      later.map((t) => `| ${t.index} | ${t.added.join(', ')} | ${t.pruned.join(', ')} | ${t.added.map((a, l) => a - t.pruned[l]).join(', ')} |`).join('\n'),
  };
  return [tau, sigma, k];
}
