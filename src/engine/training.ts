// One training stage: mini-batch Adam on chosen variables, with per-entry masks (what may train),
// weight decay, the drift penalty and proximal steps after every update (the optimiser is
// adamProx.ts). Regulariser gradients are added analytically, so only the data loss goes
// through autodiff. A stage may learn from several sources at once (joint training): every step
// takes one mini-batch from each and averages their losses. The loss is read back only every
// `lossEvery` steps.
import * as tf from '@tensorflow/tfjs-core';
// Gradients of the core ops are registered separately from the ops themselves.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { LossKind, ProximalScale } from './experiment';
import { OptimizerFactory, TrainableParam, adamProx } from './adamProx';
import type { EventSink, StageName } from '../common/protocol';
import { TaskData, materialized } from './data/tasks';
import { Rng, shuffleInPlace } from './random';

export type { TrainableParam } from './adamProx';

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
  /**
   * Called after the last step, before 'stage-end' is emitted: writes variables that the stage
   * trained in place of the network's back into it (den/frozenUnits.ts), so that whoever looks at
   * the network on 'stage-end' sees the trained weights.
   */
  writeBack?: () => void;
}

export interface StageResult {
  steps: number;
  /** Examples that went through the forward and backward pass (over all sources). */
  samples: number;
  seconds: number;
  /** The last loss read back (data loss of a mini-batch), or null when no step ran. */
  loss: number | null;
}

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

/**
 * A source that a stage passes over at least twice is transformed once into memory (permuted or
 * rotated pixels are otherwise computed again for every batch), up to this size.
 */
export const MAX_CACHED_BYTES = 128 * 1024 * 1024;

/** Steps needed for `epochs` passes over `count` examples. */
export function stepsForEpochs(epochs: number, count: number, batchSize: number): number {
  return epochs * Math.max(1, Math.ceil(count / batchSize));
}

/** `makeOptimizer`: the update (the default; tests and the bench pass the plain reference formulation). */
export async function trainStage(spec: StageSpec, makeOptimizer: OptimizerFactory = adamProx): Promise<StageResult> {
  const start = Date.now();
  const { params } = spec;
  if (spec.sources.length === 0) throw new Error('a training stage needs at least one source');
  const stepsPerEpoch = Math.max(...spec.sources.map((s) => Math.max(1, Math.ceil(s.data.count / spec.batchSize))));
  spec.emit({ type: 'stage-start', task: spec.task, stage: spec.stage, steps: spec.steps, step: spec.stepOffset });

  const optimizer = makeOptimizer(params, spec);
  const vars = params.map((p) => p.variable);
  // Every source cycles through its own shuffled order; with one source this is plain epochs.
  const feeds = spec.sources.map((source) => {
    const perEpoch = Math.max(1, Math.ceil(source.data.count / spec.batchSize));
    const cache = spec.steps >= 2 * perEpoch && source.data.count * source.data.features * 4 <= MAX_CACHED_BYTES;
    return {
      source,
      data: cache ? materialized(source.data) : source.data,
      x: new Float32Array(spec.batchSize * source.data.features),
      y: new Float32Array(spec.batchSize * source.data.outputs),
      order: new Int32Array(source.data.count).map((_, i) => i),
      perEpoch,
    };
  });
  let lastLoss: number | null = null;
  let samples = 0;

  const update = (batches: { xs: tf.Tensor2D; ys: tf.Tensor2D; source: StageSource }[], t: number, lr: number): tf.Scalar =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const losses = batches.map((b) => dataLoss(b.source.loss, b.source.data.outputs, b.ys, b.source.forward(b.xs)));
        return (losses.length === 1 ? losses[0] : tf.div(tf.addN(losses), losses.length)) as tf.Scalar;
      }, vars);
      optimizer.step(grads, t, lr);
      return value;
    });

  try {
    for (let step = 0; step < spec.steps; step++) {
      if (spec.signal?.aborted) throw new CancelledError();
      const epoch = Math.floor(step / stepsPerEpoch);
      const lr = spec.learningRate * spec.lrDecay ** epoch;
      const batches = feeds.map((f) => {
        const { data } = f;
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
    spec.writeBack?.();
  } finally {
    optimizer.dispose();
  }
  const seconds = (Date.now() - start) / 1000;
  spec.emit({ type: 'stage-end', task: spec.task, stage: spec.stage, steps: spec.steps, seconds, loss: lastLoss, step: spec.stepOffset + spec.steps });
  return { steps: spec.steps, samples, seconds, loss: lastLoss };
}
