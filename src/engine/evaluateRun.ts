// Re-evaluation of a run: every completed task's checkpoint is loaded again and scored on the
// test sets of the tasks seen so far, giving the R matrices afresh to compare with summary.json.
import { initBackend } from './backend';
import { scoreTasks } from './evaluate';
import { BackendChoice, validateExperiment } from './experiment';
import { headLoss } from './methods/method';
import { Model } from './network/model';
import { loadCheckpoint } from './run/checkpoint';
import { RunError, RunFolder } from './run/runFolder';
import { prepareTasks } from './session';
import type { BackendInfo, RunSummary } from '../common/protocol';

export interface RunEvaluation {
  runDir: string;
  backend: BackendInfo;
  summary: RunSummary;
  accuracy: number[][];
  auroc: (number | null)[][];
  /** Largest |recomputed − recorded| over both matrices. */
  maxDifference: number;
}

export async function evaluateRun(runDir: string, backendChoice?: BackendChoice): Promise<RunEvaluation> {
  const run = RunFolder.open(runDir);
  const summary = run.readSummary();
  if (!summary || summary.tasks.length === 0) throw new RunError(`${run.dir}: the run has no completed task to evaluate`);
  const exp = validateExperiment(run.readExperiment(), run.experimentFile);
  const backend = await initBackend(backendChoice ?? exp.backend);
  const tasks = prepareTasks(exp, run.dir);
  const accuracy: number[][] = [];
  const auroc: (number | null)[][] = [];
  let maxDifference = 0;
  for (let i = 1; i <= summary.tasks.length; i++) {
    const net = new Model(loadCheckpoint(run.checkpointDir(i)).model);
    try {
      const scores = scoreTasks(net, tasks.slice(0, i).map((t) => ({ task: t.index, data: t.test, loss: headLoss(exp, t.outputs) })));
      accuracy.push(scores.map((s) => s.accuracy));
      auroc.push(scores.map((s) => s.auroc));
      scores.forEach((s, j) => {
        maxDifference = Math.max(maxDifference, Math.abs(s.accuracy - summary.accuracy[i - 1][j]));
        const recorded = summary.auroc[i - 1][j];
        if (s.auroc !== null && recorded !== null) maxDifference = Math.max(maxDifference, Math.abs(s.auroc - recorded));
      });
    } finally {
      net.dispose();
    }
  }
  return { runDir: run.dir, backend, summary, accuracy, auroc, maxDifference };
}
