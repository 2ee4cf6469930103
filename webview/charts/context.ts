// What every chart panel draws from.
import type { SweepFile, SweepRef, ThresholdValues } from '../../src/common/protocol';
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
