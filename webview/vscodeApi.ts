// The webview's side of the host API: typed messages out, and the view state VS Code keeps across
// hiding and window reloads (getState/setState; the host's serializer reads `runId` and `compare`).
import type { WebviewToHost } from '../src/common/protocol';

export const TABS = ['loss', 'growth', 'drift', 'forgetting', 'accuracy', 'units', 'compare', 'sweep'] as const;
export type TabId = (typeof TABS)[number];

export interface ViewState {
  /** The run shown (read by the host's WebviewPanelSerializer after a reload). */
  runId?: string;
  /** Runs overlaid in the Compare tab (also restored by the host). */
  compare: string[];
  tab: TabId;
  /** Task of the loss and drift charts; null = follow the task in training, else the last. */
  task: number | null;
  /** Charts shown as tables instead. */
  tables: string[];
  /** Score of the forgetting heatmap and the accuracy chart. */
  score: 'accuracy' | 'auroc';
  logLoss: boolean;
  /** The grid field that colours the Sweep tab's points (null: the grid's first). */
  sweepColor: string | null;
}

export const DEFAULT_VIEW: ViewState = { compare: [], tab: 'loss', task: null, tables: [], score: 'accuracy', logLoss: false, sweepColor: null };

/** A stored state from any earlier version, made safe to use. */
export function sanitizeViewState(raw: unknown): ViewState {
  const s = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    runId: typeof s.runId === 'string' ? s.runId : undefined,
    compare: strings(s.compare),
    tab: (TABS as readonly unknown[]).includes(s.tab) ? (s.tab as TabId) : DEFAULT_VIEW.tab,
    task: Number.isInteger(s.task) && (s.task as number) >= 1 ? (s.task as number) : null,
    tables: strings(s.tables),
    score: s.score === 'auroc' ? 'auroc' : 'accuracy',
    logLoss: s.logLoss === true,
    sweepColor: typeof s.sweepColor === 'string' ? s.sweepColor : null,
  };
}

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface Host {
  post(message: WebviewToHost): void;
  loadState(): ViewState;
  saveState(state: ViewState): void;
}

/** The host connection; acquireVsCodeApi may be called only once per page. */
export function connectHost(): Host {
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    loadState: () => sanitizeViewState(api.getState()),
    saveState: (state) => api.setState(state),
  };
}
