// DEN for one task (Yoon et al. 2018, Alg. 1), following den-spec §3.6: the first task trains
// everything with L1; every later task runs selective retraining (sparse head → breadth-first
// selection → masked subnetwork retraining with drift penalty), then expansion if the loss stays
// above τ, then split/duplication of drifted units, then a retraining of what the task owns.
// The head of the task must exist before this is called (the caller scores it "before training").
// The paper's ablations are variants: a constant expansion (k units every task, no group lasso, no
// pruning) and no split. The no-timestamps ablation only changes inference (see Network).
import type { Experiment } from '../experiment';
import type { StageName } from '../../protocol';
import type { Task, TaskData } from '../data/tasks';
import * as tf from '@tensorflow/tfjs-core';
import { featureData, meanLoss } from '../evaluate';
import { Network } from '../network/network';
import { NetworkState, layerSizes } from '../network/state';
import { chooseSplits, expandState, ownedMasks, pruneDeadUnits, selectSubnetwork, selectionMasks, splitState, unitDrift } from '../network/structure';
import { Rng } from '../random';
import { StageResult, TrainableParam, stepsForEpochs, trainStage } from '../training';
import { LearnContext, TaskReport, headLoss } from '../methods/method';

/** Which parts of DEN run (the paper's ablations switch one off). */
export interface DenVariant {
  /** Expand by k on every task, without the τ test, the group lasso or removing units (DEN-Constant). */
  constantExpansion: boolean;
  /** Split/duplicate drifted units (Alg. 4). */
  split: boolean;
}

export const FULL_DEN: DenVariant = { constantExpansion: false, split: true };

/** γ of hidden layer l (a number for all layers, or one per layer). */
export function gammaOf(exp: Experiment, l: number): number {
  return Array.isArray(exp.den.gamma) ? exp.den.gamma[l] : exp.den.gamma;
}

/** Trainable parameters of every hidden layer and of the task's head, with optional per-layer masks. */
function layerParams(
  net: Network,
  task: number,
  masks: { W: Float32Array; b: Float32Array }[] | null,
  extra: (l: number) => Partial<TrainableParam> & { biasAnchor?: Float32Array } = () => ({}),
  headMask?: Float32Array,
): TrainableParam[] {
  const params: TrainableParam[] = [];
  net.layers.forEach((layer, l) => {
    const { biasAnchor, ...more } = extra(l);
    params.push({ variable: layer.W, isWeight: true, mask: masks?.[l].W, ...more });
    params.push({ variable: layer.b, isWeight: false, mask: masks?.[l].b, anchor: biasAnchor });
  });
  const head = net.heads[task - 1]!;
  params.push({ variable: head.W, isWeight: true, mask: headMask });
  params.push({ variable: head.b, isWeight: false });
  return params;
}

export async function learnTask(net: Network, task: Task, ctx: LearnContext, variant: DenVariant = FULL_DEN): Promise<TaskReport> {
  const { experiment: exp, emit } = ctx;
  const den = exp.den;
  const t = task.index;
  const loss = headLoss(exp, task.outputs);
  const rng = new Rng(exp.training.seed).fork(`task-${t}`);
  const L = net.layers.length;
  const report: TaskReport = {
    selectedUnits: null,
    tauStatistic: null,
    expanded: false,
    added: new Array(L).fill(0),
    pruned: new Array(L).fill(0),
    split: new Array(L).fill(0),
    maxDrift: null,
    stages: [],
  };
  let stepOffset = 0;
  const stageSteps = (epochs: number | null) =>
    exp.training.steps ?? stepsForEpochs(epochs ?? exp.training.epochs, task.train.count, exp.training.batchSize);
  const run = async (
    stage: StageName,
    params: TrainableParam[],
    steps: number,
    opts: { lambda?: number; data?: TaskData; forward?: (x: tf.Tensor2D) => tf.Tensor2D } = {},
  ): Promise<StageResult> => {
    const result = await trainStage({
      task: t,
      stage,
      sources: [{ data: opts.data ?? task.train, forward: opts.forward ?? ((x) => net.logits(x, t)), loss }],
      params,
      steps,
      batchSize: exp.training.batchSize,
      learningRate: exp.training.learningRate,
      lrDecay: exp.training.lrDecay,
      weightDecay: den.weightDecay,
      lambda: opts.lambda ?? 0,
      mu: den.mu,
      lossEvery: exp.training.lossEvery,
      rng: rng.fork(stage),
      emit,
      signal: ctx.signal,
      stepOffset,
    });
    stepOffset += result.steps;
    report.stages.push({ stage, steps: result.steps, samples: result.samples, seconds: result.seconds, loss: result.loss });
    return result;
  };

  // The first task of a run: everything trains, with L1 (Eq. 2).
  if (!net.heads.some((h, j) => h && j !== t - 1)) {
    await run('task1', layerParams(net, t, null), stageSteps(null));
    return report;
  }

  const previous: NetworkState = net.toState();
  const oldSizes = layerSizes(previous);

  // Selective retraining, step 1 (Eq. 3): the new head alone, on frozen features, with L1.
  if (den.sparseHeadSteps > 0) {
    const head = net.heads[t - 1]!;
    const params = [
      { variable: head.W, isWeight: true },
      { variable: head.b, isWeight: false },
    ];
    await run('sparse-head', params, den.sparseHeadSteps, { data: featureData(net, t, task.train), forward: (h) => net.headLogits(h, t) });
  }

  // Breadth-first selection of the units with a non-zero path to the new head.
  const afterHead = net.toState();
  const selection = selectSubnetwork(afterHead, t, den.zeroEps, den.selectAllInputs);
  report.selectedUnits = selection.units.map((u) => u.reduce((a, b) => a + b, 0));
  emit({
    type: 'selection',
    task: t,
    selected: report.selectedUnits,
    total: oldSizes,
    inputsSelected: selection.inputs.reduce((a, b) => a + b, 0),
    inputsTotal: afterHead.inputDim,
  });

  // Selective retraining, step 2 (Eq. 4): only the selected subnetwork, pulled towards W(t−1).
  const masks = selectionMasks(afterHead, selection);
  const headRows = Float32Array.from({ length: oldSizes[L - 1] * task.outputs }, (_, i) => selection.units[L - 1][Math.floor(i / task.outputs)]);
  const sr2 = await run(
    'subnetwork',
    layerParams(net, t, masks, (l) => ({ anchor: previous.layers[l].W.data, biasAnchor: previous.layers[l].b }), headRows),
    stageSteps(null),
    { lambda: den.lambda },
  );

  // The τ test: expand when the selectively retrained network's loss stays above τ.
  const statistic =
    den.tauStatistic === 'last-batch'
      ? (sr2.loss ?? Infinity)
      : meanLoss(net, t, den.tauStatistic === 'validation' && task.validation.count > 0 ? task.validation : task.train, loss);
  report.tauStatistic = statistic;
  report.expanded = (variant.constantExpansion || statistic > den.tau) && den.k > 0;
  emit({ type: 'tau-test', task: t, statistic: den.tauStatistic, value: statistic, tau: den.tau, expand: report.expanded, step: stepOffset });

  // Dynamic expansion (Alg. 3, Eq. 5): k new units per layer, trained with L1 + group lasso; units whose group reached zero are removed.
  // DEN-Constant keeps all k: no group lasso, no removal.
  if (report.expanded) {
    net.setState(expandState(net.toState(), t, new Array(L).fill(den.k), rng.fork('expand')));
    const owned = ownedMasks(net.toState(), oldSizes);
    const sizes = net.sizes();
    await run(
      'expansion',
      layerParams(net, t, owned, (l) => ({
        groupColumns: Float32Array.from({ length: sizes[l] }, (_, c) => (c >= oldSizes[l] ? 1 : 0)),
        groupThreshold: variant.constantExpansion ? 0 : gammaOf(exp, l),
      })),
      stageSteps(null),
    );
    report.added = new Array(L).fill(den.k);
    if (!variant.constantExpansion) {
      const { state, removed } = pruneDeadUnits(net.toState(), t, oldSizes, den.zeroEps);
      net.setState(state);
      report.pruned = removed.map((r) => r.length);
    }
    emit({
      type: 'expansion',
      task: t,
      added: report.added,
      kept: report.added.map((a, l) => a - report.pruned[l]),
      pruned: report.pruned,
      units: net.sizes(),
      step: stepOffset,
    });
  }

  // Split/duplication (Alg. 4): old units that drifted more than σ are restored for old tasks and copied for this one.
  const current = net.toState();
  const drift = unitDrift(current, previous);
  report.maxDrift = drift.map((d) => (d.length ? Math.max(...d) : 0));
  const skipped = !variant.split
    ? 'the method den-no-split does not split'
    : den.splitOnlyAfterExpansion && !report.expanded
      ? 'splitOnlyAfterExpansion is set and the network did not expand'
      : null;
  const toSplit = skipped ? drift.map(() => []) : chooseSplits(drift, den.sigma, den.maxSplitPerLayer);
  if (toSplit.some((u) => u.length)) net.setState(splitState(current, previous, t, toSplit));
  report.split = toSplit.map((u) => u.length);
  emit({ type: 'split', task: t, sigma: den.sigma, drift, splitUnits: toSplit, units: net.sizes(), skipped, step: stepOffset });

  // Retrain what this task owns (new units, copies, their links, the head); old tasks' weights stay frozen.
  if (report.expanded || report.split.some((n) => n > 0)) {
    await run('retrain', layerParams(net, t, ownedMasks(net.toState(), oldSizes)), den.retrainEpochs === null ? stageSteps(null) : stepsForEpochs(den.retrainEpochs, task.train.count, exp.training.batchSize));
  }
  return report;
}
