// Builds summary.json: one pure function from what a run knows after each task.
import type { BackendInfo, RunSummary, TaskSummary } from '../../common/protocol';
import { continualMetrics } from '../metrics';

/** "started" until the first task completes, "complete" once every task of the stream has. */
export function statusOf(tasks: number, taskNames: string[]): RunSummary['status'] {
  return tasks === 0 ? 'started' : tasks >= taskNames.length ? 'complete' : 'in-progress';
}

export function emptySummary(init: {
  name: string;
  method: string;
  backend: BackendInfo;
  experimentFile: string;
  taskNames: string[];
  baseline: RunSummary['baseline'];
  units: number[];
  params: RunSummary['params'];
}): RunSummary {
  const now = new Date().toISOString();
  return {
    format: 'den-lab-summary',
    formatVersion: 1,
    ...init,
    status: 'started',
    created: now,
    updated: now,
    tasks: [],
    accuracy: [],
    auroc: [],
    accuracyBefore: [],
    aurocBefore: [],
    acc: null,
    bwt: null,
    fwt: null,
    forgetting: null,
    aurocMetrics: { acc: null, bwt: null, fwt: null, forgetting: null },
    validation: { accuracy: [], auroc: [], acc: null, bwt: null, meanAuroc: null },
    averageAccuracy: [],
    networks: 1,
    seconds: 0,
    branch: null,
  };
}

/** The summary of the first `tasks` tasks only (a branch starts from its parent's prefix). */
export function truncateSummary(s: RunSummary, tasks: number): RunSummary {
  const cut: RunSummary = {
    ...s,
    tasks: s.tasks.slice(0, tasks),
    accuracy: s.accuracy.slice(0, tasks),
    auroc: s.auroc.slice(0, tasks),
    accuracyBefore: s.accuracyBefore.slice(0, tasks),
    aurocBefore: s.aurocBefore.slice(0, tasks),
    validation: s.validation && { ...s.validation, accuracy: s.validation.accuracy.slice(0, tasks), auroc: s.validation.auroc.slice(0, tasks) },
  };
  const last = cut.tasks[cut.tasks.length - 1];
  return recompute({ ...cut, status: statusOf(cut.tasks.length, s.taskNames), units: last ? last.units : s.units, params: last ? paramsOf(last) : s.params, seconds: cut.tasks.reduce((a, t) => a + t.seconds, 0) });
}

function paramsOf(t: TaskSummary): RunSummary['params'] {
  return { total: t.params, nonZero: t.nonZeroParams, sparsity: t.params ? 1 - t.nonZeroParams / t.params : 0 };
}

/** Adds a completed task: its record, its row of R, and the scores of this task before training. */
export function addTask(
  s: RunSummary,
  task: TaskSummary,
  rows: { accuracy: number[]; auroc: (number | null)[] },
  before: { accuracy: number | null; auroc: number | null },
  backend: BackendInfo,
  validationRows?: { accuracy: (number | null)[]; auroc: (number | null)[] },
): RunSummary {
  // a run continued from an older summary without validation scores keeps going without them
  const keepsValidation = validationRows && s.validation && s.validation.accuracy.length === s.tasks.length;
  return recompute({
    ...s,
    validation: keepsValidation
      ? { ...s.validation!, accuracy: [...s.validation!.accuracy, validationRows.accuracy], auroc: [...s.validation!.auroc, validationRows.auroc] }
      : undefined,
    backend,
    updated: new Date().toISOString(),
    tasks: [...s.tasks, task],
    status: statusOf(s.tasks.length + 1, s.taskNames),
    accuracy: [...s.accuracy, rows.accuracy],
    auroc: [...s.auroc, rows.auroc],
    accuracyBefore: [...s.accuracyBefore, before.accuracy],
    aurocBefore: [...s.aurocBefore, before.auroc],
    units: task.units,
    params: paramsOf(task),
    seconds: s.seconds + task.seconds,
  });
}

function recompute(s: RunSummary): RunSummary {
  const acc = continualMetrics(s.accuracy, s.accuracyBefore, s.baseline.accuracy);
  const au = continualMetrics(s.auroc, s.aurocBefore, s.baseline.auroc);
  const none = s.accuracy.map(() => null);
  const vAcc = s.validation && continualMetrics(s.validation.accuracy, none, none);
  const vAu = s.validation && continualMetrics(s.validation.auroc, none, none);
  return {
    ...s,
    validation: s.validation && { ...s.validation, acc: vAcc!.acc, bwt: vAcc!.bwt, meanAuroc: vAu!.acc },
    acc: acc.acc,
    bwt: acc.bwt,
    fwt: acc.fwt,
    forgetting: acc.forgetting,
    averageAccuracy: acc.average,
    aurocMetrics: { acc: au.acc, bwt: au.bwt, fwt: au.fwt, forgetting: au.forgetting },
  };
}
