// The state of a running training, folded from the engine's events: what the status bar, the
// progress notification and the tree show while a task trains. No vscode import.
import type { BackendInfo, DenEvent, StageName } from '../protocol';

export interface LiveStatus {
  runDir: string | null;
  backend: BackendInfo | null;
  taskNames: string[];
  fromTask: number;
  toTask: number;
  task: number | null;
  stage: StageName | null;
  stageStepsDone: number;
  stageSteps: number;
  /** Task-wide step at which the current stage started (loss events count steps per task). */
  stageStartStep: number;
  loss: number | null;
  units: number[];
  /** The last structural event, for the tree: "expanded +10,+10", "split 3,0"… */
  lastChange: string | null;
  completedInThisJob: number;
}

export function initialStatus(): LiveStatus {
  return { runDir: null, backend: null, taskNames: [], fromTask: 0, toTask: 0, task: null, stage: null, stageStepsDone: 0, stageSteps: 0, stageStartStep: 0, loss: null, units: [], lastChange: null, completedInThisJob: 0 };
}

export function applyEvent(s: LiveStatus, e: DenEvent): LiveStatus {
  switch (e.type) {
    case 'run-start':
      return { ...initialStatus(), runDir: e.runDir, backend: e.backend, taskNames: e.taskNames, fromTask: e.fromTask, toTask: e.toTask, units: e.hidden };
    case 'task-start':
      return { ...s, task: e.task, stage: null, loss: null, units: e.units, lastChange: null };
    case 'stage-start':
      return { ...s, stage: e.stage, stageSteps: e.steps, stageStepsDone: 0, stageStartStep: e.step };
    case 'loss':
      return { ...s, loss: e.loss, stageStepsDone: e.step - s.stageStartStep };
    case 'expansion':
      return { ...s, units: e.units, lastChange: `expanded: kept +${e.kept.join(',+')}` };
    case 'split':
      return { ...s, units: e.units, lastChange: e.skipped ? s.lastChange : `split ${e.splitUnits.map((u) => u.length).join(',')}` };
    case 'task-end':
      return { ...s, units: e.summary.units, completedInThisJob: s.completedInThisJob + 1 };
    default:
      return s;
  }
}

const STAGE_LABEL: Record<StageName, string> = {
  task1: 'first task',
  'sparse-head': 'sparse head',
  subnetwork: 'selective retraining',
  expansion: 'expansion',
  retrain: 'retraining new units',
  train: 'training',
};

/** "task 3 of 10 · expansion 40% · loss 0.1234" */
export function statusText(s: LiveStatus): string {
  if (s.task === null) return s.runDir ? 'starting…' : 'idle';
  const parts = [`task ${s.task} of ${s.taskNames.length}`];
  if (s.stage) parts.push(`${STAGE_LABEL[s.stage]}${s.stageSteps ? ` ${Math.min(100, Math.round((100 * s.stageStepsDone) / s.stageSteps))}%` : ''}`);
  if (s.loss !== null) parts.push(`loss ${s.loss.toFixed(4)}`);
  return parts.join(' · ');
}

/** Fraction of this job done, 0..1 (tasks done plus the share of the current one, by stage count). */
export function jobProgress(s: LiveStatus): number {
  const tasks = Math.max(1, s.toTask - s.fromTask + 1);
  return Math.min(1, s.completedInThisJob / tasks);
}
