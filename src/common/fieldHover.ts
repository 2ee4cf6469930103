// What hovering a field of an experiment file shows besides the schema's description (which the JSON
// language service shows): the field's short meaning, its default, its allowed range, and what the
// latest run of the experiment used and observed for it. No vscode import.
import { fieldSchema, rangeWords } from '../engine/experiment';
import { THRESHOLD_FIELDS } from './protocol';
import { f4, short, THRESHOLDS, thresholdPath } from './vocabulary';
import { runLabel, type RunEntry } from './runIndex';

/** The value at a dotted path of an object ('den.tau'). */
function valueAt(obj: unknown, field: string): unknown {
  return field.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), obj);
}

/** The bounds of a number field, or of each element of a number-or-list field (den.gamma). */
function rangeOf(node: NonNullable<ReturnType<typeof fieldSchema>>): string {
  return rangeWords(node) || (node.oneOf ?? []).map((b) => rangeWords(b) || rangeWords((b as { items?: never }).items)).find(Boolean) || '';
}

/** What the latest run observed for τ, σ and k, in a line; '' for other fields or before task 2. */
function observed(field: string, run: RunEntry): string {
  const later = run.summary?.tasks.filter((t) => t.tauStatistic !== null) ?? [];
  if (!later.length) return '';
  if (field === 'den.tau') return `τ statistic (${later[0].tauStatisticKind} loss) per task: ${later.map((t) => `task ${t.index} ${short(t.tauStatistic!)}${t.expanded ? ' (expanded)' : ''}`).join(', ')}`;
  if (field === 'den.sigma') return `largest drift ρ per task: ${later.map((t) => `task ${t.index} ${f4(Math.max(...(t.maxDrift ?? [0])))} (${t.split.reduce((a, b) => a + b, 0)} split)`).join(', ')}`;
  if (field === 'den.k') return `new units kept per expansion: ${later.filter((t) => t.expanded).map((t) => `task ${t.index} ${t.added.map((a, l) => a - t.pruned[l]).join('+')} of ${t.added.join('+')}`).join(', ') || 'no task expanded'}`;
  return '';
}

/** Markdown for a hover on `field` (a dotted path), or undefined for a field the schema does not know. */
export function fieldHover(field: string, latest: RunEntry | undefined): string | undefined {
  const node = field ? fieldSchema(field) : undefined;
  if (!node || (node.default === undefined && !node.title)) return undefined;
  const threshold = THRESHOLD_FIELDS.find((f) => thresholdPath(f) === field);
  const lines = [`**${node.title ?? field}**${threshold ? ` — ${THRESHOLDS[threshold].help}` : ''}`];
  if (node.default !== undefined && (typeof node.default !== 'object' || node.default === null)) lines.push(`Default: \`${JSON.stringify(node.default)}\``);
  const range = rangeOf(node);
  if (range) lines.push(`Allowed: ${range}`);
  if (latest) {
    const used = valueAt(latest.experiment, field);
    const name = runLabel(latest);
    if (used !== undefined && (typeof used !== 'object' || Array.isArray(used))) lines.push(`Latest run (${name}): \`${JSON.stringify(used)}\``);
    const seen = observed(field, latest);
    if (seen) lines.push(`Observed in it: ${seen}`);
  }
  return lines.join('\n\n');
}
