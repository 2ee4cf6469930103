// The Units tab's answer to requestUnits (vscode-free): one hidden layer of a run's checkpoint, or
// a one-line reason why it cannot be shown (the task has no checkpoint, the layer does not exist…).
import type { HostToWebview } from '../protocol';
import { RunFolder } from '../../engine/run/runFolder';
import { unitWeights } from '../../engine/unitWeights';

export function unitsMessage(runDir: string, runId: string, task: number, layer: number): Extract<HostToWebview, { type: 'units' }> {
  try {
    const dir = RunFolder.open(runDir).checkpointDir(task); // a branch reads its parent's early tasks
    return { type: 'units', runId, task, layer, view: unitWeights(dir, task, layer), problem: null };
  } catch (err) {
    return { type: 'units', runId, task, layer, view: null, problem: (err as Error).message.split('\n')[0] };
  }
}
