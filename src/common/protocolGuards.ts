// Runtime checks for every message that crosses a process, webview or disk boundary, against the
// schemas of protocol.ts. A check returns the value as its schema reads it or a one-line problem
// naming the first field that is wrong, e.g.
// "'task-end'.summary.accuracy: Invalid type: Expected number but received "x"". The receiver
// drops a malformed message and logs the problem; it never reaches a handler.
import * as v from 'valibot';
import { DenEventSchema, HostToTrainerSchema, HostToWebviewSchema, RunSummaryFileSchema, SweepEventSchema, SweepFileSchema, TrainerToHostSchema, WebviewToHostSchema } from './protocol';

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

const MAX_PROBLEM = 300;

/**
 * The issue to report and its path: a union's issue stands for its options' issues (whose paths
 * continue the union's), and the one that got furthest names the leaf.
 */
function leafIssue(issue: v.BaseIssue<unknown>, above: string[] = []): { issue: v.BaseIssue<unknown>; path: string[] } {
  const path = [...above, ...(issue.path ?? []).map((p) => String(p.key))];
  if (!issue.issues?.length) return { issue, path };
  return issue.issues.map((sub) => leafIssue(sub, path)).reduce((a, b) => (b.path.length > a.path.length ? b : a));
}

/** Checks `value` against `schema` to the leaf. */
export function check<S extends v.GenericSchema>(schema: S, value: unknown): Checked<v.InferOutput<S>> {
  const result = v.safeParse(schema, value);
  if (result.success) return { ok: true, value: result.output };
  const { issue, path } = leafIssue(result.issues[0]);
  const type = typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' ? `'${(value as { type: string }).type}'` : '';
  const where = [type, ...path].filter(Boolean).join('.') || 'message';
  const problem = `${where}: ${issue.message}`;
  return { ok: false, problem: problem.length > MAX_PROBLEM ? `${problem.slice(0, MAX_PROBLEM)}…` : problem };
}

export const checkWebviewToHost = (msg: unknown) => check(WebviewToHostSchema, msg);
export const checkHostToWebview = (msg: unknown) => check(HostToWebviewSchema, msg);
export const checkTrainerToHost = (msg: unknown) => check(TrainerToHostSchema, msg);
export const checkHostToTrainer = (msg: unknown) => check(HostToTrainerSchema, msg);
export const checkEvent = (event: unknown) => check(DenEventSchema, event);
export const checkSummary = (summary: unknown) => check(RunSummaryFileSchema, summary);
export const checkSweepFile = (sweep: unknown) => check(SweepFileSchema, sweep);
export const checkSweepEvent = (event: unknown) => check(SweepEventSchema, event);
