// What every chart panel draws from.
import type { SweepFile, SweepRef, ThresholdValues } from '../../src/protocol';
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
  /** The workspace's sweeps, and the one the Sweep tab shows. */
  sweeps: SweepRef[];
  sweep: (SweepRef & { sweep: SweepFile }) | null;
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
