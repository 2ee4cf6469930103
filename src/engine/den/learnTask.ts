// DEN for one task (Yoon et al. 2018, Alg. 1), following den-spec §3.6: the first task trains
// everything with L1; every later task runs selective retraining (sparse head → breadth-first
// selection → masked subnetwork retraining with drift penalty), then expansion if the loss stays
// above τ, then split/duplication of drifted units, then a retraining of what the task owns.
// The head of the task must exist before this is called (the caller scores it "before training").
// The paper's ablations are variants: a constant expansion (k units every task, no group lasso, no
// pruning) and no split. The no-timestamps ablation only changes inference (see Network).
import type { Experiment } from '../experiment';
import type { PhaseTimes, StageName } from '../../common/protocol';
import type { Task, TaskData } from '../data/tasks';
import * as tf from '@tensorflow/tfjs-core';
import { featureData, meanLoss } from '../evaluate';
import { FrozenActivations, activationsFit, frozenActivations, frozenOldUnits, updateActivations } from './frozenUnits';
import { Network } from '../network/network';
import { NetworkState, layerSizes } from '../network/state';
import { chooseSplits, expandState, ownedMasks, pruneDeadUnits, selectSubnetwork, selectionMasks, splitState, unitDrift } from '../network/structure';
import { timed } from '../phaseTimes';
import { Rng } from '../random';
import { StageResult, TrainableParam, dataLoss, stepsForEpochs, trainStage } from '../training';
import { LearnContext, TaskReport, headLoss, plainReport } from '../methods/method';

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

/**
 * The group-lasso coefficient of a new unit of hidden layer l whose group has `fanIn` weights:
 * γ_l·√fanIn when thresholds are lr-scaled (the usual group-lasso weighting, so that one γ fits
 * layers of any width), γ_l itself per step (the reference code).
 */
export function groupCoefficient(exp: Experiment, l: number, fanIn: number): number {
  return exp.den.proximal === 'per-step' ? gammaOf(exp, l) : gammaOf(exp, l) * Math.sqrt(fanIn);
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

/**
 * The L1 strength of a stage, as the paper's equations have it: task 1 (Eq. 2: the sparse network
 * that every later selection follows, `firstTaskMu`), the new head's sparse stage (Eq. 3) and the
 * new units (Eq. 5), both `mu`. Subnetwork retraining (Eq. 4) has the drift penalty only: it trains
 * the connections that exist and keeps the zeros. The final retraining of what the task owns has
 * none either.
 */
export function l1Strength(den: Experiment['den'], stage: StageName): number {
  return stage === 'task1' ? den.firstTaskMu : stage === 'sparse-head' || stage === 'expansion' ? den.mu : 0;
}

const countOnes = (a: ArrayLike<number>): number => {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i]) n++;
  return n;
};

/** Entries that differ (same shape). */
const countChanged = (a: Float32Array, b: Float32Array): number => {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
};

/** The q-quantile of the values (linear interpolation), 0 for none. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (pos - lo);
}

export async function learnTask(net: Network, task: Task, ctx: LearnContext, variant: DenVariant = FULL_DEN): Promise<TaskReport> {
  const { experiment: exp, emit } = ctx;
  const den = exp.den;
  const t = task.index;
  const loss = headLoss(exp, task.outputs);
  const rng = new Rng(exp.training.seed).fork(`task-${t}`);
  const L = net.layers.length;
  const phases: PhaseTimes = {};
  const report = { ...plainReport(L), phases };
  let stepOffset = 0;
  const stageSteps = (epochs: number | null) =>
    exp.training.steps ?? stepsForEpochs(epochs ?? exp.training.epochs, task.train.count, exp.training.batchSize);
  const run = async (
    stage: StageName,
    params: TrainableParam[],
    steps: number,
    opts: { lambda?: number; data?: TaskData; forward?: (x: tf.Tensor2D) => tf.Tensor2D; finish?: () => void } = {},
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
      decoupledWeightDecay: exp.training.decoupledWeightDecay,
      lambda: opts.lambda ?? 0,
      mu: l1Strength(den, stage),
      proximal: den.proximal,
      lossEvery: exp.training.lossEvery,
      rng: rng.fork(stage),
      emit,
      signal: ctx.signal,
      stepOffset,
      writeBack: opts.finish,
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
  // Expansion and retraining train only what the task owns: they run on the frozen blocks' structure (frozenUnits.ts),
  // whose activations are computed once while the old units' weights stay as they are (null: not yet, or changed).
  let activations: FrozenActivations | null = null;
  const ownedStage = async (stage: StageName, params: TrainableParam[], steps: number): Promise<StageResult> => {
    const frozen = timed(phases, 'frozen-units', () => frozenOldUnits(net, t, task.train, oldSizes, params, activations));
    if (frozen) activations = frozen.activations;
    try {
      return await run(stage, frozen?.params ?? params, steps, frozen ?? undefined);
    } finally {
      frozen?.finish();
    }
  };

  // Selective retraining, step 1 (Eq. 3): the new head alone, on frozen features, with L1.
  if (den.sparseHeadSteps > 0) {
    const head = net.heads[t - 1]!;
    const params = [
      { variable: head.W, isWeight: true },
      { variable: head.b, isWeight: false },
    ];
    const features = timed(phases, 'head-features', () => featureData(net, t, task.train));
    await run('sparse-head', params, den.sparseHeadSteps, { data: features, forward: (h) => net.headLogits(h, t) });
  }

  // Breadth-first selection of the units with a non-zero path to the new head.
  const afterHead = timed(phases, 'selection', () => net.toState());
  const selection = timed(phases, 'selection', () => selectSubnetwork(afterHead, t, den.zeroEps, den.selectAllInputs));
  const masks = timed(phases, 'selection', () => selectionMasks(afterHead, selection, den.subnetworkWeights === 'non-zero', den.zeroEps));
  report.selectedUnits = selection.units.map(countOnes);
  report.selectedInputs = countOnes(selection.inputs);
  const weightsTotal = previous.layers.map((l) => l.W.data.length);
  const weightsAllowed = masks.map((m) => countOnes(m.W));
  emit({
    type: 'selection',
    task: t,
    selected: report.selectedUnits,
    total: oldSizes,
    inputsSelected: report.selectedInputs,
    inputsTotal: afterHead.inputDim,
    weightsAllowed,
    weightsTotal,
    step: stepOffset,
  });

  // Selective retraining, step 2 (Eq. 4): only the selected subnetwork, pulled towards W(t−1).
  const headRows = Float32Array.from({ length: oldSizes[L - 1] * task.outputs }, (_, i) => selection.units[L - 1][Math.floor(i / task.outputs)]);
  const sr2 = await run(
    'subnetwork',
    layerParams(net, t, masks, (l) => ({ anchor: previous.layers[l].W.data, biasAnchor: previous.layers[l].b }), headRows),
    stageSteps(null),
    { lambda: den.lambda },
  );

  const retrained = net.toState();
  report.subnetworkWeights = {
    allowed: weightsAllowed,
    changed: previous.layers.map((l, i) => countChanged(l.W.data, retrained.layers[i].W.data)),
    total: weightsTotal,
  };

  // The τ test: expand when the selectively retrained network's loss stays above τ.
  const tauData = den.tauStatistic === 'validation' && task.validation.count > 0 ? task.validation : task.train;
  // On the training part, the pass also keeps the old units' frozen activations (every unit is old now) for expansion and retraining.
  const keepActivations = den.k > 0 && tauData === task.train && net.visibleSizes(t).every((v, l) => v === oldSizes[l]) && activationsFit(task.train, oldSizes);
  const statistic =
    den.tauStatistic === 'last-batch'
      ? (sr2.loss ?? Infinity)
      : timed(phases, 'tau-statistic', () => {
          if (!keepActivations) return meanLoss(net, t, tauData, loss);
          let sum = 0;
          activations = frozenActivations(net, task.train, oldSizes, (h1, ys, n) => {
            sum += dataLoss(loss, task.train.outputs, ys, net.logitsFromFirstLayer(h1, t)).dataSync()[0] * n;
          });
          return task.train.count ? sum / task.train.count : NaN;
        });
  report.tauStatistic = statistic;
  report.expanded = (variant.constantExpansion || statistic > den.tau) && den.k > 0;
  emit({ type: 'tau-test', task: t, statistic: den.tauStatistic, value: statistic, tau: den.tau, expand: report.expanded, step: stepOffset });

  // Dynamic expansion (Alg. 3, Eq. 5): k new units per layer, trained with L1 + group lasso; units whose group reached zero are removed.
  // DEN-Constant keeps all k: no group lasso, no removal.
  let deadKept: number[] | undefined;
  if (report.expanded) {
    net.setState(expandState(net.toState(), t, new Array(L).fill(den.k), rng.fork('expand')));
    const owned = ownedMasks(net.toState(), oldSizes);
    const sizes = net.sizes();
    await ownedStage(
      'expansion',
      layerParams(net, t, owned, (l) => ({
        groupColumns: Float32Array.from({ length: sizes[l] }, (_, c) => (c >= oldSizes[l] ? 1 : 0)),
        groupThreshold: variant.constantExpansion ? 0 : groupCoefficient(exp, l, net.layers[l].W.shape[0]),
      })),
      stageSteps(null),
    );
    report.added = new Array(L).fill(den.k);
    if (!variant.constantExpansion) {
      const { removed, keptConstant } = timed(phases, 'prune', () => {
        const pruned = pruneDeadUnits(net.toState(), t, oldSizes, den.zeroEps);
        net.setState(pruned.state);
        return pruned;
      });
      report.pruned = removed.map((r) => r.length);
      deadKept = keptConstant.map((k) => k.length);
      if (keptConstant.some((k) => k.length)) {
        emit({
          type: 'log',
          level: 'info',
          message: `task ${t}: kept ${keptConstant.map((k) => k.length).join(', ')} new unit(s) per layer whose incoming weights are all zero: their constant output feeds units earlier tasks share`,
        });
      }
    }
    emit({
      type: 'expansion',
      task: t,
      added: report.added,
      kept: report.added.map((a, l) => a - report.pruned[l]),
      pruned: report.pruned,
      deadKept,
      units: net.sizes(),
      step: stepOffset,
    });
  }

  // Split/duplication (Alg. 4): old units that drifted more than σ are restored for old tasks and copied for this one.
  const current = timed(phases, 'split', () => net.toState());
  const drift = timed(phases, 'split', () => unitDrift(current, previous, den.driftBias));
  report.maxDrift = drift.map((d) => (d.length ? Math.max(...d) : 0));
  report.driftP90 = drift.map((d) => quantile(d, 0.9));
  const skipped = !variant.split
    ? 'the method den-no-split does not split'
    : den.splitOnlyAfterExpansion && !report.expanded
      ? 'splitOnlyAfterExpansion is set and the network did not expand'
      : null;
  const toSplit = skipped ? drift.map(() => []) : chooseSplits(drift, den.sigma, den.maxSplitPerLayer);
  if (toSplit.some((u) => u.length)) {
    const afterSplit = timed(phases, 'split', () => splitState(current, previous, t, toSplit));
    timed(phases, 'split', () => net.setState(afterSplit));
    // the split units are restored to their old weights
    const stale = activations;
    if (stale) timed(phases, 'frozen-units', () => updateActivations(net, task.train, stale, current, afterSplit));
  }
  report.split = toSplit.map((u) => u.length);
  emit({ type: 'split', task: t, sigma: den.sigma, drift, splitUnits: toSplit, units: net.sizes(), skipped, step: stepOffset });

  // Retrain what this task owns (new units, copies, their links, the head); old tasks' weights stay frozen.
  if (report.expanded || report.split.some((n) => n > 0)) {
    const steps = den.retrainEpochs === null ? stageSteps(null) : stepsForEpochs(den.retrainEpochs, task.train.count, exp.training.batchSize);
    await ownedStage('retrain', layerParams(net, t, ownedMasks(net.toState(), oldSizes)), steps);
  }
  return report;
}
