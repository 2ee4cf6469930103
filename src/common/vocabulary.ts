// The words and number formats that the tree, the status bar, the dashboard (webview) and the CLI share:
// stage names, the threshold fields (label, meaning, place in the experiment file), how a layer's
// change and a number are written. Defined once here; no vscode and no DOM, so every bundle imports it.
import type { StageName, ThresholdValues } from './protocol';

/** What each training stage is called wherever it is shown. */
export const STAGE_LABELS: Record<StageName, string> = {
  task1: 'first task',
  'sparse-head': 'sparse head',
  subnetwork: 'selective retraining',
  expansion: 'expansion',
  retrain: 'retraining new units',
  train: 'training',
};

export type ThresholdField = keyof ThresholdValues;

/** The threshold fields of the dashboard's panel, the editor's hints and hovers. */
export const THRESHOLDS: Record<ThresholdField, { label: string; help: string; path: readonly [string, string] }> = {
  tau: { label: 'τ (tau)', help: 'expand when the loss after selective retraining is above τ', path: ['den', 'tau'] },
  sigma: { label: 'σ (sigma)', help: 'split a unit whose incoming weights drifted more than σ', path: ['den', 'sigma'] },
  k: { label: 'k', help: 'units added per hidden layer on expansion', path: ['den', 'k'] },
  mu: { label: 'μ (mu)', help: 'L1 on the new head and the new units: a weight whose gradient stays below μ becomes 0', path: ['den', 'mu'] },
  gamma: { label: 'γ (gamma)', help: 'group lasso on new units: a unit whose gradient RMS stays below γ is removed; one number, or one per layer separated by commas', path: ['den', 'gamma'] },
  lambda: { label: 'λ (lambda)', help: 'drift penalty in selective retraining', path: ['den', 'lambda'] },
  epochs: { label: 'epochs', help: 'epochs per training stage', path: ['training', 'epochs'] },
  learningRate: { label: 'learning rate', help: 'Adam’s learning rate', path: ['training', 'learningRate'] },
};

/** 'den.tau' for 'tau'. */
export const thresholdPath = (field: ThresholdField): string => THRESHOLDS[field].path.join('.');

const missing = (v: number | null | undefined): v is null | undefined => v === null || v === undefined || !Number.isFinite(v);

/** A number with at most `digits` significant digits and no trailing zeros (0.02, not 0.02000); '—' for none. */
export const fmt = (v: number | null | undefined, digits = 4): string => (missing(v) ? '—' : Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(digits))));

/** Four decimals (scores, losses in tables); '—' for none. */
export const f4 = (v: number | null | undefined): string => (missing(v) ? '—' : v.toFixed(4));

/** Four decimals with a sign (BWT, FWT). */
export const signed = (v: number | null | undefined, digits = 4): string => (missing(v) ? '—' : (v >= 0 ? '+' : '') + v.toFixed(digits));

/** A small statistic in few characters (0.21, 0.012, 3.2e-4). */
export const short = (v: number): string => (v >= 0.1 ? v.toFixed(2) : v >= 0.001 ? v.toFixed(3) : v.toExponential(1));

/** "312 units · +25 new · 3 pruned · 2 split": one layer after a task, the zero parts left out. */
export function layerChange(units: number, added: number, pruned: number, split: number): string {
  const parts = [`${units} units`];
  if (added) parts.push(`+${added} new`);
  if (pruned) parts.push(`${pruned} pruned`);
  if (split) parts.push(`${split} split`);
  return parts.join(' · ');
}

/** "12 new units (6 + 6 by layer)": a per-layer count in words, for chart markers; `noun` singular. */
export function perLayer(counts: readonly number[], noun: string): string {
  const total = counts.reduce((a, b) => a + b, 0);
  const words = `${total} ${noun}${total === 1 ? '' : 's'}`;
  return counts.length > 1 ? `${words} (${counts.join(' + ')} by layer)` : words;
}
