// A run's metrics as CSV: one row per task (after the last task), then the R matrix. No vscode import.
import type { RunSummary } from '../protocol';

type Cell = string | number | boolean | null | undefined | readonly (string | number)[];

const cell = (v: Cell) => {
  const s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function metricsCsv(s: RunSummary): string {
  const last = s.accuracy[s.accuracy.length - 1] ?? [];
  const lastAuroc = s.auroc[s.auroc.length - 1] ?? [];
  const rows = [
    ['task', 'name', 'accuracy_after_task', 'accuracy_now', 'auroc_after_task', 'auroc_now', 'units', 'added', 'pruned', 'split', 'expanded', 'params', 'tau_statistic', 'max_drift', 'seconds'],
    ...s.tasks.map((t, i) => [t.index, t.name, t.accuracy, last[i], t.auroc, lastAuroc[i], t.units, t.added, t.pruned, t.split, t.expanded, t.params, t.tauStatistic, t.maxDrift, t.seconds]),
    [],
    ['metric', 'accuracy', 'auroc'],
    ['ACC', s.acc, s.aurocMetrics.acc],
    ['BWT', s.bwt, s.aurocMetrics.bwt],
    ['FWT', s.fwt, s.aurocMetrics.fwt],
    ['forgetting', s.forgetting, s.aurocMetrics.forgetting],
    [],
    ['R (accuracy): row = after task', ...s.taskNames.slice(0, s.accuracy.length)],
    ...s.accuracy.map((row, i) => [`after ${i + 1}`, ...row]),
  ];
  return rows.map((r) => r.map(cell).join(',')).join('\n') + '\n';
}
