// The state of a running training, folded from the engine's events: what the status bar, the
// progress notification and the tree show while a task trains. No vscode import.
import type { BackendInfo, DenEvent, StageName } from './protocol';
import { f4, STAGE_LABELS } from './vocabulary';

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
      return { ...s, units: e.summary.units, stage: null, completedInThisJob: s.completedInThisJob + 1 };
    default:
      return s;
  }
}

/** "task 3 of 10 · expansion 40% · loss 0.1234" */
export function statusText(s: LiveStatus): string {
  if (s.task === null) return s.runDir ? 'starting…' : 'idle';
  const parts = [`task ${s.task} of ${s.taskNames.length}`];
  if (s.stage) parts.push(`${STAGE_LABELS[s.stage]}${s.stageSteps ? ` ${Math.min(100, Math.round((100 * s.stageStepsDone) / s.stageSteps))}%` : ''}`);
  if (s.loss !== null) parts.push(`loss ${f4(s.loss)}`);
  return parts.join(' · ');
}

/** The stages of a later DEN task, in order (the first task and the baselines train in one stage). */
const TASK_STAGES: StageName[] = ['sparse-head', 'subnetwork', 'expansion', 'retrain'];

/** Fraction of this job done, 0..1: tasks done plus the share of the current one (its stage, and the steps into it). */
export function jobProgress(s: LiveStatus): number {
  const tasks = Math.max(1, s.toTask - s.fromTask + 1);
  let current = 0;
  if (s.task !== null && s.stage !== null) {
    const index = TASK_STAGES.indexOf(s.stage);
    const inStage = s.stageSteps ? Math.min(1, s.stageStepsDone / s.stageSteps) : 0;
    current = index < 0 ? inStage : (index + inStage) / TASK_STAGES.length;
  }
  return Math.min(1, (s.completedInThisJob + current) / tasks);
}
