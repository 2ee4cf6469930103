// What every chart panel draws from.
import type { ThresholdValues } from '../../src/protocol';
import type { RunModel } from '../model';
import type { Theme } from '../theme';
import type { ViewState } from '../vscodeApi';

export interface RenderContext {
  run: RunModel | null;
  /** Runs of the Compare tab (the live model stands in for the shown run). */
  compare: RunModel[];
  /** Task of the loss and drift charts (see shownTask). */
  task: number | null;
  theme: Theme;
  view: ViewState;
  /** The experiment file's thresholds, with the value being typed in the panel over them. */
  thresholds: Partial<ThresholdValues> | null;
}

export const STAGE_LABELS: Record<string, string> = {
  task1: 'task-1 training',
  'sparse-head': 'sparse head',
  subnetwork: 'subnetwork retraining',
  expansion: 'expansion',
  retrain: 'retraining (new units, copies)',
  train: 'training',
};

/** A number with at most `digits` significant digits and no trailing zeros (0.02, not 0.02000). */
export const fmt = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(digits)));

export const signed = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : (v > 0 ? '+' : '') + v.toFixed(digits);

/** A tick label of a log axis of counts: 1, 2, 3, 5 and 7 × 10^k, compact (300k, 1M); '' elsewhere. */
export function logTick(v: number | string): string {
  const n = Number(v);
  if (!(n > 0)) return '';
  const e = Math.floor(Math.log10(n) + 1e-9);
  if (![1, 2, 3, 5, 7].some((m) => Math.abs(n / 10 ** e - m) < 1e-6)) return '';
  const [div, unit] = n >= 1e6 ? [1e6, 'M'] : n >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${Number((n / div).toPrecision(3))}${unit}`;
}
