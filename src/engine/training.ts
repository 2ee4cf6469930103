// One training stage: mini-batch Adam on chosen variables, with per-entry masks (what may train),
// weight decay, the drift penalty λ·½‖θ − θ(t−1)‖² (optionally weighted per entry, as EWC's
// λ·½·F⊙(θ − θ*)²), and proximal steps after every update (L1 soft-threshold μ, group lasso γ on
// chosen columns). Regulariser gradients are added analytically, so only the data loss goes
// through autodiff. A stage may learn from several sources at once (joint training): every step
// takes one mini-batch from each and averages their losses. The loss is read back only every
// `lossEvery` steps.
import * as tf from '@tensorflow/tfjs-core';
// Gradients of the core ops are registered separately from the ops themselves.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { LossKind, ProximalScale } from './experiment';
import type { EventSink, StageName } from '../common/protocol';
import type { TaskData } from './data/tasks';
import { Rng, shuffleInPlace } from './random';
import { variableOf } from './tensors';

/** Training stopped because cancellation was requested. */
export class CancelledError extends Error {
  constructor() {
    super('training was cancelled');
    this.name = 'CancelledError';
  }
}

/** The loss became NaN or infinite; the message says where and what to try. */
export class NanLossError extends Error {
  constructor(readonly task: number, readonly stage: StageName, readonly step: number, value: number, learningRate: number) {
    super(
      `the loss became ${value} at task ${task}, stage '${stage}', step ${step}. ` +
        `Training diverged: lower training.learningRate (now ${learningRate}) or the regularisation strengths, and retrain the task.`,
    );
    this.name = 'NanLossError';
  }
}

/** A variable that a stage trains, and how. */
export interface TrainableParam {
  variable: tf.Variable;
  /** 1 where the entry may change; absent = every entry trains. Frozen entries stay bit-identical. */
  mask?: Float32Array;
  /** Weights get weight decay and the L1 prox; biases get neither. */
  isWeight: boolean;
  /** θ(t−1) for the drift penalty (same shape); absent = no drift penalty. */
  anchor?: Float32Array;
  /** Per-entry weight of the drift penalty (EWC's Fisher diagonal); absent = 1 everywhere. */
  anchorWeight?: Float32Array;
  /** 1 for columns (units) whose incoming weights form a group for the group-lasso prox. */
  groupColumns?: Float32Array;
  /** The group-lasso coefficient of those columns (multiplied by the learning rate unless per-step). */
  groupThreshold?: number;
}

/** Where a stage's mini-batches come from: a task's data, its logits and its loss. */
export interface StageSource {
  data: TaskData;
  /** Logits of the task this data belongs to. */
  forward: (x: tf.Tensor2D) => tf.Tensor2D;
  loss: LossKind;
}

export interface StageSpec {
  task: number;
  stage: StageName;
  /** One source, or several whose losses are averaged every step (an epoch = a pass over the largest). */
  sources: StageSource[];
  params: TrainableParam[];
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Learning-rate factor per epoch of data. */
  lrDecay: number;
  weightDecay: number;
  /** Weight decay as a separate shrink w ← w − lr·wd·w (AdamW) instead of a gradient term that Adam normalises. */
  decoupledWeightDecay: boolean;
  /** λ of the drift penalty (used by params with an anchor). */
  lambda: number;
  /** μ of the L1 prox (0 = off). */
  mu: number;
  proximal: ProximalScale;
  lossEvery: number;
  rng: Rng;
  emit: EventSink;
  signal?: AbortSignal;
  /** Steps this task already ran in earlier stages (events count steps per task). */
  stepOffset: number;
}

export interface StageResult {
  steps: number;
  /** Examples that went through the forward and backward pass (over all sources). */
  samples: number;
  seconds: number;
  /** The last loss read back (data loss of a mini-batch), or null when no step ran. */
  loss: number | null;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

/**
 * Data loss of a mini-batch (no regularisers), averaged over its examples: sigmoid BCE summed over
 * the outputs ('sigmoid-bce-sum': every output weighs like a binary task's), sigmoid BCE averaged
 * over the outputs ('sigmoid-bce', the reference code), or softmax cross-entropy. With one output
 * the two BCEs are the same.
 */
export function dataLoss(kind: LossKind, outputs: number, labels: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  if (kind === 'softmax-ce' && outputs > 1) return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  const mean = tf.losses.sigmoidCrossEntropy(labels, logits) as tf.Scalar;
  return kind === 'sigmoid-bce-sum' && outputs > 1 ? tf.mul(mean, outputs) : mean;
}

/** Lets the event loop run (IPC messages, signals) between steps. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Steps needed for `epochs` passes over `count` examples. */
export function stepsForEpochs(epochs: number, count: number, batchSize: number): number {
  return epochs * Math.max(1, Math.ceil(count / batchSize));
}

export async function trainStage(spec: StageSpec): Promise<StageResult> {
  const start = Date.now();
  const { params } = spec;
  if (spec.sources.length === 0) throw new Error('a training stage needs at least one source');
  const stepsPerEpoch = Math.max(...spec.sources.map((s) => Math.max(1, Math.ceil(s.data.count / spec.batchSize))));
  spec.emit({ type: 'stage-start', task: spec.task, stage: spec.stage, steps: spec.steps, step: spec.stepOffset });

  // Per-stage tensors: masks, anchors and Adam moments. Adam restarts every stage (reference code).
  const state = params.map((p) => {
    const shape = p.variable.shape;
    return {
      p,
      mask: p.mask ? tf.tensor(p.mask, shape) : null,
      anchor: p.anchor ? tf.tensor(p.anchor, shape) : null,
      anchorWeight: p.anchor && p.anchorWeight ? tf.tensor(p.anchorWeight, shape) : null,
      group: p.groupColumns && (p.groupThreshold ?? 0) > 0 ? tf.tensor1d(p.groupColumns) : null,
      m: variableOf(tf.zeros(shape), false),
      v: variableOf(tf.zeros(shape), false),
    };
  });
  const vars = params.map((p) => p.variable);
  // Every source cycles through its own shuffled order; with one source this is plain epochs.
  const feeds = spec.sources.map((source) => ({
    source,
    x: new Float32Array(spec.batchSize * source.data.features),
    y: new Float32Array(spec.batchSize * source.data.outputs),
    order: new Int32Array(source.data.count).map((_, i) => i),
    perEpoch: Math.max(1, Math.ceil(source.data.count / spec.batchSize)),
  }));
  let lastLoss: number | null = null;
  let samples = 0;

  const update = (batches: { xs: tf.Tensor2D; ys: tf.Tensor2D; source: StageSource }[], t: number, lr: number): tf.Scalar =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const losses = batches.map((b) => dataLoss(b.source.loss, b.source.data.outputs, b.ys, b.source.forward(b.xs)));
        return (losses.length === 1 ? losses[0] : tf.div(tf.addN(losses), losses.length)) as tf.Scalar;
      }, vars);
      const lrT = lr * (Math.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t));
      const proxScale = spec.proximal === 'per-step' ? 1 : lr;
      const mu = spec.mu * proxScale;
      const vCorrection = 1 / (1 - BETA2 ** t);
      const decays = (s: (typeof state)[number]) => s.p.isWeight && spec.weightDecay > 0;
      for (const s of state) {
        const W = s.p.variable;
        let g: tf.Tensor = grads[W.name];
        if (decays(s) && !spec.decoupledWeightDecay) g = tf.add(g, tf.mul(W, spec.weightDecay));
        if (s.anchor && spec.lambda > 0) {
          const pull = tf.mul(tf.sub(W, s.anchor), spec.lambda);
          g = tf.add(g, s.anchorWeight ? tf.mul(pull, s.anchorWeight) : pull);
        }
        if (s.mask) g = tf.mul(g, s.mask);
        const m = tf.add(tf.mul(s.m, BETA1), tf.mul(g, 1 - BETA1));
        const v = tf.add(tf.mul(s.v, BETA2), tf.mul(tf.square(g), 1 - BETA2));
        // Frozen entries have g = m = v = 0, so their step is exactly 0 and they stay bit-identical.
        let next: tf.Tensor = tf.sub(W, tf.div(tf.mul(m, lrT), tf.add(tf.sqrt(v), EPSILON)));
        if (decays(s) && spec.decoupledWeightDecay) {
          const shrink = tf.mul(W, lr * spec.weightDecay);
          next = tf.sub(next, s.mask ? tf.mul(shrink, s.mask) : shrink);
        }
        // Adam's metric: the step of entry i is lr/√v̂ᵢ, so the proximal threshold is lr·μ/√v̂ᵢ
        const vHat = spec.proximal === 'adam' && (mu > 0 || s.group) ? tf.mul(v, vCorrection) : null;
        if (s.p.isWeight && mu > 0) {
          // soft-threshold: w − sign(w)·min(|w|, θ) is exactly 0 when |w| ≤ θ
          const theta = vHat ? tf.div(mu, tf.add(tf.sqrt(vHat), EPSILON)) : mu;
          const shrink = vHat ? tf.mul(tf.sign(next), tf.minimum(tf.abs(next), theta)) : tf.clipByValue(next, -mu, mu);
          next = tf.sub(next, s.mask ? tf.mul(shrink, s.mask) : shrink);
        }
        if (s.group) {
          // group lasso on each chosen column: w · max(0, 1 − θ/‖w‖), exactly 0 when ‖w‖ ≤ θ; in
          // Adam's metric θ = lr·γ/RMS(gradient of the group), so a group dies when its gradient's RMS stays below γ
          const gamma = s.p.groupThreshold! * proxScale;
          const theta = vHat ? tf.div(gamma, tf.add(tf.sqrt(tf.mean(vHat, 0)), EPSILON)) : gamma;
          const norms = tf.sqrt(tf.sum(tf.square(next), 0));
          const factor = tf.relu(tf.sub(1, tf.div(theta, tf.maximum(norms, 1e-12))));
          next = tf.mul(next, tf.add(tf.sub(1, s.group), tf.mul(s.group, factor)));
        }
        s.m.assign(m);
        s.v.assign(v);
        W.assign(next);
      }
      return value;
    });

  try {
    for (let step = 0; step < spec.steps; step++) {
      if (spec.signal?.aborted) throw new CancelledError();
      const epoch = Math.floor(step / stepsPerEpoch);
      const lr = spec.learningRate * spec.lrDecay ** epoch;
      const batches = feeds.map((f) => {
        const { data } = f.source;
        const pos = (step % f.perEpoch) * spec.batchSize;
        if (pos === 0) shuffleInPlace(f.order, spec.rng);
        const n = Math.min(spec.batchSize, data.count - pos);
        data.fill(f.order, pos, pos + n, f.x, f.y);
        samples += n;
        return {
          source: f.source,
          xs: tf.tensor2d(f.x.subarray(0, n * data.features), [n, data.features]),
          ys: tf.tensor2d(f.y.subarray(0, n * data.outputs), [n, data.outputs]),
        };
      });
      let lossTensor: tf.Scalar;
      try {
        lossTensor = update(batches, step + 1, lr);
      } finally {
        tf.dispose(batches.flatMap((b) => [b.xs, b.ys]));
      }
      const report = (step + 1) % spec.lossEvery === 0 || step === spec.steps - 1;
      if (report) {
        const value = (await lossTensor.data())[0];
        lossTensor.dispose();
        if (!Number.isFinite(value)) throw new NanLossError(spec.task, spec.stage, step + 1, value, spec.learningRate);
        lastLoss = value;
        spec.emit({ type: 'loss', task: spec.task, stage: spec.stage, step: spec.stepOffset + step + 1, loss: value });
      } else {
        lossTensor.dispose();
      }
      await yieldToEventLoop();
    }
  } finally {
    for (const s of state) tf.dispose([s.mask, s.anchor, s.anchorWeight, s.group, s.m, s.v].filter((t): t is tf.Tensor => t !== null));
  }
  const seconds = (Date.now() - start) / 1000;
  spec.emit({ type: 'stage-end', task: spec.task, stage: spec.stage, steps: spec.steps, seconds, loss: lastLoss, step: spec.stepOffset + spec.steps });
  return { steps: spec.steps, samples, seconds, loss: lastLoss };
}
