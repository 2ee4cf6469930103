// What the in-host suites share: the workspace's files, waiting for a condition or a promise, and
// vscode.window's message functions answered as a user would click them.
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { DenLabApi } from '../../../src/extension/extension';
import type { RunsNode } from '../../../src/extension/runsTree';

export const EXTENSION_ID = 'den-lab.den-lab';

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need a workspace folder');
  return vscode.Uri.joinPath(folder.uri, name);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** `promise`, or a failure naming `what` after `timeoutMs`. */
export function within<T>(what: string, promise: Thenable<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs)));
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

type Answer = string | undefined;
/**
 * Replaces vscode.window's message function `kind` while `fn` runs: every call is recorded and
 * answered by `answer` (a modal dialog cannot be clicked from inside the extension host).
 */
export async function withDialogs<T>(kind: 'showWarningMessage' | 'showErrorMessage' | 'showInformationMessage', answer: (message: string) => Answer, fn: () => Thenable<T>): Promise<{ result: T; shown: string[] }> {
  const w = vscode.window as unknown as Record<string, unknown>;
  const original = w[kind];
  const shown: string[] = [];
  w[kind] = (message: string) => {
    shown.push(message);
    return Promise.resolve(answer(message));
  };
  try {
    return { result: await fn(), shown };
  } finally {
    w[kind] = original;
  }
}


/** The Runs tree's row of the running sweep of experiment `name`, once two of its points run (the tree refreshed as it is polled). */
export function runningSweepNode(api: DenLabApi, name: string, timeoutMs: number): Promise<Extract<RunsNode, { kind: 'sweep' }>> {
  return waitFor(`a running sweep of ${name} in the Runs tree, two of its points running`, async () => {
    await api.runs.refresh();
    const group = api.tree.getChildren().find((n) => n.kind === 'sweeps');
    const found = group && api.tree.getChildren(group).find((n) => n.kind === 'sweep' && n.sweep.sweep?.name === name && n.sweep.sweep.state === 'running');
    return found?.kind === 'sweep' && found.sweep.sweep!.points.filter((p) => p.status === 'running').length === 2 ? found : undefined;
  }, timeoutMs);
}
