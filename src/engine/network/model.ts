// What a method learns: one or more Networks and the task → network routing, plus arrays a
// method keeps next to the weights (EWC's accumulated Fisher). Every method but STL has one shared
// network with a head per task (progressive: a network of columns, see columns.ts); STL has an
// independent network per task, in which that task is task 1. Like NetworkState, ModelState is
// plain data (checkpoints, rollbacks); Model holds the TF.js variables.
import * as tf from '@tensorflow/tfjs-core';
import { checkColumns, columnParamCounts } from './columns';
import { Network } from './network';
import { NetworkState, checkState, layerSizes, paramCounts } from './state';

/**
 * 'shared': one network, task j uses head j. 'per-task' (stl): network j serves task j as its task 1.
 * 'columns' (progressive): one network of columns, task j uses head j and columns 1..j; no unit
 * reads a later column (those weights are zero and are not parameters).
 */
export type Routing = 'shared' | 'per-task' | 'columns';

/** One array per hidden layer's weights and biases, shaped like network 1's (aux arrays). */
export interface LayerArrays {
  W: Float32Array;
  b: Float32Array;
}

export interface ModelState {
  routing: Routing;
  /** false only for the den-no-timestamps ablation (see Network). */
  timestamps: boolean;
  networks: NetworkState[];
  /** Named per-layer arrays a method keeps with the model (ewc: 'fisher'); shaped like network 1's hidden layers. */
  aux: Record<string, LayerArrays[]>;
}

/** Anything that gives a task's logits: a Network or a Model. */
export interface TaskLogits {
  logits(x: tf.Tensor2D, task: number): tf.Tensor2D;
}

/** A model with a single shared network (the form of every method but stl). */
export function sharedModel(network: NetworkState, timestamps = true): ModelState {
  return { routing: 'shared', timestamps, networks: [network], aux: {} };
}

/** Checks the routing, every network and every aux array's shape; throws an Error naming the first problem. */
export function checkModel(m: ModelState): void {
  if (m.routing !== 'shared' && m.routing !== 'per-task' && m.routing !== 'columns') throw new Error(`unknown routing ${JSON.stringify(m.routing)}`);
  if (m.networks.length === 0) throw new Error('the model has no network');
  if (m.routing !== 'per-task' && m.networks.length !== 1) throw new Error(`a ${m.routing} model has exactly one network, got ${m.networks.length}`);
  if (m.routing === 'columns' && !m.timestamps) throw new Error('a model of columns needs timestamped inference');
  m.networks.forEach((n, i) => {
    try {
      checkState(n);
    } catch (err) {
      throw new Error(`${m.networks.length > 1 ? `network ${i + 1}: ` : ''}${(err as Error).message}`, { cause: err });
    }
    // network j serves task j; before task 1 the only network has no head yet
    const heads = n.heads.filter(Boolean).length;
    if (m.routing === 'per-task' && heads !== 1 && !(m.networks.length === 1 && heads === 0)) {
      throw new Error(`network ${i + 1} of a per-task model must have exactly one head, got ${heads}`);
    }
    if (n.inputDim !== m.networks[0].inputDim) throw new Error(`network ${i + 1} has ${n.inputDim} inputs, network 1 has ${m.networks[0].inputDim}`);
  });
  if (m.routing === 'columns') checkColumns(m.networks[0]);
  for (const [name, layers] of Object.entries(m.aux)) {
    const net = m.networks[0];
    if (!net) throw new Error(`aux '${name}' needs a network to be shaped like`);
    if (layers.length !== net.layers.length) throw new Error(`aux '${name}' has ${layers.length} layers, the network has ${net.layers.length}`);
    layers.forEach((a, l) => {
      const layer = net.layers[l];
      if (a.W.length !== layer.W.data.length || a.b.length !== layer.b.length) {
        throw new Error(`aux '${name}' layer ${l + 1} has ${a.W.length}+${a.b.length} values, the layer has ${layer.W.data.length}+${layer.b.length}`);
      }
    });
  }
}

/** Parameters over every network (stl: the sum of its networks; columns: without the zeros from later columns). */
export function modelParamCounts(m: ModelState): { total: number; nonZero: number } {
  if (m.routing === 'columns') return columnParamCounts(m.networks[0]);
  return m.networks.map(paramCounts).reduce((a, c) => ({ total: a.total + c.total, nonZero: a.nonZero + c.nonZero }), { total: 0, nonZero: 0 });
}

/** Hidden units per layer, summed over the networks. */
export function modelUnits(m: ModelState): number[] {
  return m.networks.map(layerSizes).reduce((a, s) => a.map((v, i) => v + s[i]));
}

const copyAux = (aux: ModelState['aux']): ModelState['aux'] =>
  Object.fromEntries(Object.entries(aux).map(([k, layers]) => [k, layers.map((a) => ({ W: a.W.slice(), b: a.b.slice() }))]));

export class Model implements TaskLogits {
  networks: Network[] = [];
  routing: Routing = 'shared';
  timestamps = true;
  aux: ModelState['aux'] = {};

  constructor(state: ModelState) {
    this.setState(state);
  }

  /** Replaces everything (a rollback, or a loaded checkpoint). */
  setState(state: ModelState): void {
    checkModel(state);
    this.dispose();
    this.routing = state.routing;
    this.timestamps = state.timestamps;
    this.networks = state.networks.map((n) => new Network(n, state.timestamps));
    this.aux = copyAux(state.aux);
  }

  toState(): ModelState {
    return { routing: this.routing, timestamps: this.timestamps, networks: this.networks.map((n) => n.toState()), aux: copyAux(this.aux) };
  }

  /** The one network of a shared model or a model of columns (not for per-task models). */
  get shared(): Network {
    if (this.routing === 'per-task') throw new Error('a per-task model has no shared network');
    return this.networks[0];
  }

  /** The network that serves `task`, and the task's index inside it. */
  route(task: number): { net: Network; task: number } {
    if (this.routing !== 'per-task') return { net: this.networks[0], task };
    const net = this.networks[task - 1];
    if (!net) throw new Error(`task ${task} has no network`);
    return { net, task: 1 };
  }

  /** Tasks that have a head. */
  get taskCount(): number {
    return this.routing !== 'per-task' ? this.networks[0].heads.filter(Boolean).length : this.networks.filter((n) => n.hasHead(1)).length;
  }

  /** Adds a network (per-task models: the next task's). */
  addNetwork(state: NetworkState): void {
    if (this.routing !== 'per-task') throw new Error('only a per-task model gets more networks');
    this.networks.push(new Network(state, this.timestamps));
  }

  logits(x: tf.Tensor2D, task: number): tf.Tensor2D {
    const r = this.route(task);
    return r.net.logits(x, r.task);
  }

  /** Hidden units per layer, summed over the networks. */
  sizes(): number[] {
    return this.networks.map((n) => n.sizes()).reduce((a, s) => a.map((v, i) => v + s[i]));
  }

  dispose(): void {
    for (const n of this.networks) n.dispose();
    this.networks = [];
  }
}
