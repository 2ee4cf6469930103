// Small real experiments for tests: the embedded MNIST digits, a subset, a small network.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { Experiment, validateExperiment } from '../../src/engine/experiment';
import { Task } from '../../src/engine/data/tasks';
import { prepareTasks } from '../../src/engine/session';
import { Network } from '../../src/engine/network/network';
import { initialState, newHead } from '../../src/engine/network/init';
import { Rng } from '../../src/engine/random';

/** A small experiment on 1,200 embedded digits; `patch` overrides sections. */
export function smallExperiment(patch: Record<string, unknown> = {}): Experiment {
  const base: Record<string, any> = {
    name: 'test',
    data: { source: 'mnist', limit: 1200 },
    tasks: { type: 'permuted', count: 3 },
    network: { hidden: [32, 16] },
    training: { epochs: 2, batchSize: 64, lossEvery: 5 },
    den: { sparseHeadSteps: 30 },
  };
  // objects are merged into the base's, except a task stream of another type
  const replaces = (k: string, v: any) => k === 'tasks' && v.type !== base.tasks.type;
  for (const [k, v] of Object.entries(patch)) base[k] = typeof v === 'object' && v && !Array.isArray(v) && !replaces(k, v) ? { ...base[k], ...v } : v;
  return validateExperiment(base);
}

export async function useBackend(): Promise<void> {
  await initBackend(process.env.DEN_LAB_TEST_BACKEND === 'cpu' ? 'cpu' : 'wasm');
}

export function tasksOf(exp: Experiment): Task[] {
  return prepareTasks(exp, process.cwd());
}

/** A fresh network for the experiment, with the head of `task` added. */
export function freshNetwork(exp: Experiment, tasks: Task[]): Network {
  return new Network(initialState(tasks[0].train.features, exp.network.hidden, new Rng(exp.training.seed).fork('init')));
}

export function addHead(net: Network, task: Task, seed = 7): void {
  net.setHead(task.index, newHead(net.sizes()[net.sizes().length - 1], task.outputs, new Rng(seed).fork(`head-${task.index}`)));
}

export function variableCount(net: Network): number {
  return 2 * net.layers.length + 2 * net.heads.filter(Boolean).length;
}

export const tensorCount = () => tf.memory().numTensors;

/** The largest difference between a and b relative to b's largest magnitude. */
export function maxRelativeDiff(a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / Math.max(scale, 1e-12);
}
