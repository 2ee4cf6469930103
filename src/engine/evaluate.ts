// Evaluation of one task's head on a data part: probabilities, mean loss, accuracy and AUROC.
import * as tf from '@tensorflow/tfjs-core';
import type { LossKind } from './experiment';
import { TaskData, storedRows } from './data/tasks';
import { accuracy, meanAuroc } from './metrics';
import type { Model, TaskLogits } from './network/model';
import type { Network } from './network/network';
import { dataLoss } from './training';

const CHUNK = 1000;

/**
 * The chunk buffers, shared by every call: evaluating after a task runs this once per part of
 * every task so far, and a fresh 3 MB buffer each time was garbage by the dozen.
 */
const scratch = { x: new Float32Array(0), y: new Float32Array(0) };

/** Runs `fn` over the whole part in chunks of examples, in order. */
export function forChunks(data: TaskData, fn: (xs: tf.Tensor2D, ys: tf.Tensor2D, start: number, n: number) => void): void {
  const order = Int32Array.from({ length: data.count }, (_, i) => i);
  if (scratch.x.length < CHUNK * data.features) scratch.x = new Float32Array(CHUNK * data.features);
  if (scratch.y.length < CHUNK * data.outputs) scratch.y = new Float32Array(CHUNK * data.outputs);
  const { x, y } = scratch;
  for (let start = 0; start < data.count; start += CHUNK) {
    const n = Math.min(CHUNK, data.count - start);
    data.fill(order, start, start + n, x, y);
    tf.tidy(() => fn(tf.tensor2d(x.subarray(0, n * data.features), [n, data.features]), tf.tensor2d(y.subarray(0, n * data.outputs), [n, data.outputs]), start, n));
  }
}

/** Output probabilities (sigmoid per output, or softmax for softmax-CE heads), n × outputs. */
export function predict(net: TaskLogits, task: number, data: TaskData, loss: LossKind): Float32Array {
  const out = new Float32Array(data.count * data.outputs);
  forChunks(data, (xs, _ys, start) => {
    const logits = net.logits(xs, task);
    const p = loss === 'softmax-ce' && data.outputs > 1 ? tf.softmax(logits) : tf.sigmoid(logits);
    out.set(p.dataSync() as Float32Array, start * data.outputs);
  });
  return out;
}

/** The ranking scores of logits (see rankingScores). */
const ranking = (logits: tf.Tensor2D, loss: LossKind, outputs: number): Float32Array =>
  (loss === 'softmax-ce' && outputs > 1 ? tf.logSoftmax(logits) : logits).dataSync() as Float32Array;

/**
 * Scores that rank like the output probabilities without saturating: the logits of sigmoid heads,
 * the log-probabilities (log-softmax) of softmax heads. n × outputs.
 */
export function rankingScores(net: TaskLogits, task: number, data: TaskData, loss: LossKind): Float32Array {
  const out = new Float32Array(data.count * data.outputs);
  forChunks(data, (xs, _ys, start) => out.set(ranking(net.logits(xs, task), loss, data.outputs), start * data.outputs));
  return out;
}

/** Mean data loss (no regularisers) over the whole part. */
export function meanLoss(net: TaskLogits, task: number, data: TaskData, loss: LossKind): number {
  let sum = 0;
  forChunks(data, (xs, ys, _start, n) => {
    sum += dataLoss(loss, data.outputs, ys, net.logits(xs, task)).dataSync()[0] * n;
  });
  return data.count ? sum / data.count : NaN;
}

/**
 * The part's examples as top hidden-layer activations of `task` (computed once). Training the head
 * alone on these is the same as training it on the inputs with the hidden layers frozen, without
 * running the hidden layers at every step.
 */
export function featureData(net: Network, task: number, data: TaskData): TaskData {
  const width = net.sizes()[net.sizes().length - 1];
  const values = new Float32Array(data.count * width);
  forChunks(data, (xs, _ys, start) => values.set(net.features(xs, task).dataSync() as Float32Array, start * width));
  return storedRows(values, width, null, data.targets, data.outputs);
}

export interface TaskScore {
  accuracy: number;
  auroc: number | null;
}

export function scoreTask(net: TaskLogits, task: number, data: TaskData, loss: LossKind): TaskScore {
  return scoreOf(rankingScores(net, task, data, loss), data);
}

const scoreOf = (scores: Float32Array, data: TaskData): TaskScore => ({
  accuracy: accuracy(scores, data.targets, data.outputs),
  auroc: meanAuroc(scores, data.targets, data.outputs),
});

/** One task's part to score, and its head's loss. */
export interface ScoredPart {
  task: number;
  data: TaskData;
  loss: LossKind;
}

/** scoreTask for each part, in order (see tasksRankingScores). */
export function scoreTasks(model: Model, parts: ScoredPart[]): TaskScore[] {
  return tasksRankingScores(model, parts).map((scores, i) => scoreOf(scores, parts[i].data));
}

/**
 * rankingScores for each part, in order. On one shared network, parts with the same inputs
 * (one-vs-rest: every task sees the same images) share the first hidden layer's product: it is
 * computed once with the most units any of those tasks sees, and each task reads its first units (a
 * column of a matrix product does not depend on the others, so these are the floats of each task
 * alone).
 */
export function tasksRankingScores(model: Model, parts: ScoredPart[]): Float32Array[] {
  if (model.routing !== 'shared') return parts.map((p) => rankingScores(model, p.task, p.data, p.loss));
  const net = model.shared;
  const scores: Float32Array[] = new Array(parts.length);
  const groups = new Map<object, number[]>();
  parts.forEach((p, i) => {
    if (!p.data.inputs) scores[i] = rankingScores(model, p.task, p.data, p.loss);
    else groups.set(p.data.inputs, [...(groups.get(p.data.inputs) ?? []), i]);
  });
  for (const members of groups.values()) {
    const first = members.map((i) => net.visibleSizes(parts[i].task)[0]);
    const widest = Math.max(...first);
    const outs = members.map((i) => new Float32Array(parts[i].data.count * parts[i].data.outputs));
    forChunks(parts[members[0]].data, (xs, _ys, start, n) => {
      const h1 = net.firstLayerUnits(xs, widest);
      members.forEach((i, m) => {
        const { task, data, loss } = parts[i];
        const own = first[m] === widest ? h1 : tf.slice(h1, [0, 0], [n, first[m]]);
        outs[m].set(ranking(net.logitsFromFirstLayer(own, task), loss, data.outputs), start * data.outputs);
      });
    });
    members.forEach((i, m) => (scores[i] = outs[m]));
  }
  return scores;
}
