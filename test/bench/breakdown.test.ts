// Where a run's task time goes, from summary task records: stages and timed phases summed over the
// tasks, the rest as "other", and the share that is not training.
import assert from 'node:assert/strict';
import { breakdownLine, nonTrainingShare, timeBreakdown } from '../../src/bench/breakdown';
import type { TaskSummary } from '../../src/common/protocol';

type Timing = Pick<TaskSummary, 'seconds' | 'stages' | 'phases'>;
const stage = (name: TaskSummary['stages'][number]['stage'], seconds: number) => ({ stage: name, steps: 10, samples: 100, seconds, loss: null });
const tasks = (...ts: Timing[]) => ({ tasks: ts as TaskSummary[] });

describe('task time breakdown', () => {
  it('sums stages and phases over the tasks, keeps the untimed rest as "other", and gives the non-training share', () => {
    const b = timeBreakdown(
      tasks(
        { seconds: 10, stages: [stage('task1', 8)], phases: { 'score-before': 0.5, evaluation: 0.5, checkpoint: 0.5 } },
        { seconds: 20, stages: [stage('sparse-head', 1), stage('subnetwork', 12)], phases: { 'score-before': 0.5, selection: 2, evaluation: 1, checkpoint: 0.5 } },
      ),
    )!;
    assert.equal(b.seconds, 30);
    // training stages first, then the other parts, each in order of first appearance
    assert.deepEqual(
      b.parts.map((p) => [p.part, p.training, p.seconds]),
      [
        ['task1', true, 8],
        ['sparse-head', true, 1],
        ['subnetwork', true, 12],
        ['score-before', false, 1],
        ['evaluation', false, 1.5],
        ['checkpoint', false, 1],
        ['other', false, 0.5 + 3],
        ['selection', false, 2],
      ],
    );
    assert.equal(nonTrainingShare(b), 9 / 30);
    assert.match(breakdownLine(b), /^task1 8\.00s \(26\.7%\), sparse-head 1\.00s \(3\.3%\), subnetwork 12\.00s \(40\.0%\), score-before .*; not training: 30\.0% of 30\.0s$/);
  });

  it('has no breakdown for runs recorded before phases were timed', () => {
    assert.equal(timeBreakdown(tasks({ seconds: 5, stages: [stage('train', 4)], phases: undefined })), null);
  });

  it('never reports negative "other" time when timed parts overlap rounding', () => {
    const b = timeBreakdown(tasks({ seconds: 1, stages: [stage('train', 0.9995)], phases: { checkpoint: 0.001 } }))!;
    assert.equal(b.parts.find((p) => p.part === 'other')!.seconds, 0);
  });
});
