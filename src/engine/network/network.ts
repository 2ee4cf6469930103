// The network on TF.js: variables built from a NetworkState, the forward pass with timestamped
// inference, and the way back to plain data. Structural changes go through NetworkState and
// rebuild the variables (TF.js variables cannot be resized).
import * as tf from '@tensorflow/tfjs-core';
import { variableOf } from '../tensors';
import { Head, NetworkState, checkState, layerSizes, matrix, visibleSizes } from './state';

export interface LayerVars {
  W: tf.Variable<tf.Rank.R2>;
  b: tf.Variable<tf.Rank.R1>;
}

export class Network {
  private state: NetworkState;
  layers: LayerVars[] = [];
  heads: (LayerVars | undefined)[] = [];

  /**
   * @param timestamps true (DEN): task j sees only the units created at or before j. false (the
   *   no-timestamps ablation): every task sees every unit of the hidden layers; its head still
   *   reads only the top-layer units that existed when it was trained (its own width).
   */
  constructor(state: NetworkState, readonly timestamps = true) {
    this.state = state;
    this.build();
  }

  private build(): void {
    checkState(this.state);
    const vars = (W: { rows: number; cols: number; data: Float32Array }, b: Float32Array): LayerVars => ({
      W: variableOf(tf.tensor2d(W.data, [W.rows, W.cols])),
      b: variableOf(tf.tensor1d(b)),
    });
    this.layers = this.state.layers.map((l) => vars(l.W, l.b));
    this.heads = this.state.heads.map((h) => (h ? vars(h.W, h.b) : undefined));
  }

  private disposeVars(): void {
    for (const l of this.layers) tf.dispose([l.W, l.b]);
    for (const h of this.heads) if (h) tf.dispose([h.W, h.b]);
    this.layers = [];
    this.heads = [];
  }

  /** Replaces the whole network (after a structural change or a rollback). */
  setState(state: NetworkState): void {
    this.disposeVars();
    this.state = state;
    this.build();
  }

  /** Reads the current weights back into plain data (timestamps and lineage come from the last state). */
  toState(): NetworkState {
    const read = (t: tf.Variable) => (t.dataSync() as Float32Array).slice();
    return {
      inputDim: this.state.inputDim,
      layers: this.layers.map((l, i) => ({
        W: matrix(l.W.shape[0], l.W.shape[1], read(l.W)),
        b: read(l.b),
        born: this.state.layers[i].born.slice(),
        copyOf: this.state.layers[i].copyOf.slice(),
      })),
      heads: this.heads.map((h): Head | undefined => (h ? { W: matrix(h.W.shape[0], h.W.shape[1], read(h.W)), b: read(h.b) } : undefined)),
    };
  }

  get inputDim(): number {
    return this.state.inputDim;
  }

  sizes(): number[] {
    return layerSizes(this.state);
  }

  /** Unit timestamps per layer (task at which each unit was created). */
  born(): Int32Array[] {
    return this.state.layers.map((l) => l.born);
  }

  hasHead(task: number): boolean {
    return this.heads[task - 1] !== undefined;
  }

  outputsOf(task: number): number {
    const h = this.heads[task - 1];
    if (!h) throw new Error(`task ${task} has no head`);
    return h.W.shape[1];
  }

  /**
   * Top hidden-layer activations of task `task` for inputs x. The task sees only the units created
   * at or before it (timestamped inference), so later growth never changes an earlier task's outputs.
   * Without timestamps it sees every unit below the top layer, and the top-layer units its head reads.
   */
  features(x: tf.Tensor2D, task: number): tf.Tensor2D {
    return tf.tidy(() => this.hiddenFrom(x, 0, this.visibleSizes(task)));
  }

  /** The hidden units per layer that task `task` reads (see features()). */
  visibleSizes(task: number): number[] {
    return this.timestamps ? visibleSizes(this.state, task) : this.untimedSizes(task);
  }

  /** The activations of layer `from` onwards, given h, the input of layer `from`. */
  private hiddenFrom(h: tf.Tensor2D, from: number, visible: number[]): tf.Tensor2D {
    let below = from > 0 ? visible[from - 1] : this.state.inputDim;
    for (let i = from; i < this.layers.length; i++) {
      h = this.dense(h, i, below, visible[i]);
      below = visible[i];
    }
    return h;
  }

  /**
   * The first `count` units of hidden layer i on h (its first `rows` inputs): one fused kernel for
   * matmul, bias and ReLU, except while TF.js records gradients (a training step), where it runs them
   * as three kernels (tfjs-core's shouldFuse).
   */
  private dense(h: tf.Tensor2D, i: number, rows: number, count: number): tf.Tensor2D {
    const l = this.layers[i];
    const full = l.W.shape[0] === rows && l.W.shape[1] === count;
    const W = full ? l.W : tf.slice(l.W, [0, 0], [rows, count]);
    const b = full ? l.b : tf.slice(l.b, 0, count);
    return tf.fused.matMul({ a: h, b: W, bias: b, activation: 'relu' }) as tf.Tensor2D;
  }

  /** The activations of the first `count` units of the first hidden layer for inputs x. */
  firstLayerUnits(x: tf.Tensor2D, count: number): tf.Tensor2D {
    return tf.tidy(() => this.dense(x, 0, this.state.inputDim, count));
  }

  /** Units per layer that task `task` reads without timestamps: all, except the top layer at its head's width. */
  private untimedSizes(task: number): number[] {
    const sizes = layerSizes(this.state);
    const head = this.state.heads[task - 1];
    sizes[sizes.length - 1] = head ? head.W.rows : visibleSizes(this.state, task)[sizes.length - 1];
    return sizes;
  }

  /** Logits of task `task` from its top hidden-layer activations. */
  headLogits(features: tf.Tensor2D, task: number): tf.Tensor2D {
    const head = this.heads[task - 1];
    if (!head) throw new Error(`task ${task} has no head`);
    return tf.tidy(() => tf.fused.matMul({ a: features, b: head.W, bias: head.b }) as tf.Tensor2D);
  }

  /**
   * Logits of task `task` from its first hidden layer's activations (firstLayerUnits with the
   * task's visible count): the same kernels as logits() after the first layer.
   */
  logitsFromFirstLayer(h1: tf.Tensor2D, task: number): tf.Tensor2D {
    return tf.tidy(() => this.headLogits(this.hiddenFrom(h1, 1, this.visibleSizes(task)), task));
  }

  /** Logits of task `task` for inputs x (timestamped, see features()). */
  logits(x: tf.Tensor2D, task: number): tf.Tensor2D {
    return tf.tidy(() => this.headLogits(this.features(x, task), task));
  }

  /** Adds (or replaces) the head of `task` and returns the new state's head. */
  setHead(task: number, head: Head): void {
    const state = this.toState();
    while (state.heads.length < task) state.heads.push(undefined);
    state.heads[task - 1] = head;
    this.setState(state);
  }

  dispose(): void {
    this.disposeVars();
  }
}
