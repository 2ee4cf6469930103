// Training throughput, measured as ratios within one run: a plain MLP epoch on each backend
// (WASM with and without the transposed-matmul fix, WASM on 1 thread and on every core, CPU), and
// the same epoch inside DEN's subnetwork stage (masks, drift penalty, proximal steps) to show their
// overhead.
import * as os from 'os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend, wasmBinaryDir } from '../engine/backend';
import { probeScript, runProbe } from '../engine/wasmThreadsChoice';
import { Experiment } from '../engine/experiment';
import { Task } from '../engine/data/tasks';
import { Network } from '../engine/network/network';
import { initialState, newHead } from '../engine/network/init';
import { selectionMasks, selectSubnetwork } from '../engine/network/structure';
import { Rng } from '../engine/random';
import { OptimizerFactory, adamProx } from '../engine/adamProx';
import { dataLoss, trainStage } from '../engine/training';
import { restoreWasmMatMul, patchWasmMatMul } from '../engine/wasmMatMul';
import { measurePeer, peerRatios } from './torchPeer';

export interface ThroughputRow {
  label: string;
  backend: string;
  samplesPerSecond: number;
}

/** Milliseconds: wall time, or (bench/fused-update.ts) this process's CPU time, which other processes on the machine disturb less. */
export type Clock = () => number;

/** Milliseconds of this process's CPU time (user + system): what the other processes on a shared machine disturb less than wall time. */
export const cpuClock: Clock = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const wallClock: Clock = () => performance.now();

/** A plain MLP (same sizes as the experiment) and TF.js's own Adam: `step(i)` trains on the i-th batch and returns its loss. */
export function plainTrainer(exp: Experiment, task: Task): { batchSize: number; step: (i: number) => tf.Scalar; dispose: () => void } {
  const rng = new Rng(1);
  const state = initialState(task.train.features, exp.network.hidden, rng);
  state.heads.push(newHead(exp.network.hidden[exp.network.hidden.length - 1], task.outputs, rng));
  const net = new Network(state);
  const vars = [...net.layers.flatMap((l) => [l.W, l.b]), net.heads[0]!.W, net.heads[0]!.b];
  const opt = tf.train.adam(exp.training.learningRate);
  const bs = exp.training.batchSize;
  const x = new Float32Array(bs * task.train.features);
  const y = new Float32Array(bs * task.outputs);
  const order = Int32Array.from({ length: task.train.count }, (_, i) => i);
  const step = (i: number) => {
    const start = (i * bs) % Math.max(1, task.train.count - bs);
    task.train.fill(order, start, start + bs, x, y);
    return tf.tidy(() => {
      const xs = tf.tensor2d(x, [bs, task.train.features]);
      const ys = tf.tensor2d(y, [bs, task.outputs]);
      return opt.minimize(() => dataLoss(exp.network.loss, task.outputs, ys, net.logits(xs, 1)), true, vars)!;
    });
  };
  const dispose = () => {
    opt.dispose();
    net.dispose();
  };
  return { batchSize: bs, step, dispose };
}

/** The plain MLP trained for `steps` steps; samples per second of `clock`. */
export async function plainEpoch(exp: Experiment, task: Task, steps: number, clock: Clock = wallClock): Promise<number> {
  const { batchSize, step, dispose } = plainTrainer(exp, task);
  for (let i = 0; i < 3; i++) step(i).dispose(); // warm-up
  const t0 = clock();
  for (let i = 0; i < steps; i++) {
    const l = step(i);
    if (i % 10 === 9) await l.data();
    l.dispose();
  }
  const seconds = (clock() - t0) / 1000;
  dispose();
  return (steps * batchSize) / seconds;
}

/**
 * The same number of steps as DEN's subnetwork stage (everything selected, masks applied).
 * `zeroShare` of the hidden weights are set to 0 first and kept frozen by the masks, as after a
 * sparse first task (0: the masks are all ones); `makeOptimizer`: the update to time.
 */
export async function denStageEpoch(exp: Experiment, task: Task, steps: number, makeOptimizer: OptimizerFactory = adamProx, zeroShare = 0, clock: Clock = wallClock): Promise<number> {
  const rng = new Rng(1);
  const state = initialState(task.train.features, exp.network.hidden, rng);
  state.heads.push(newHead(exp.network.hidden[exp.network.hidden.length - 1], task.outputs, rng));
  const zeros = new Rng(3);
  for (const layer of state.layers) layer.W.data.forEach((_, i, w) => zeros.next() < zeroShare && (w[i] = 0));
  const net = new Network(state);
  const masks = selectionMasks(state, selectSubnetwork(state, 1, 0, true), zeroShare > 0);
  const params = net.layers.flatMap((l, i) => [
    { variable: l.W, isWeight: true, mask: masks[i].W, anchor: state.layers[i].W.data },
    { variable: l.b, isWeight: false, mask: masks[i].b, anchor: state.layers[i].b },
  ]);
  params.push({ variable: net.heads[0]!.W, isWeight: true, mask: undefined as never, anchor: undefined as never });
  const spec = {
    task: 1,
    stage: 'subnetwork' as const,
    sources: [{ data: task.train, forward: (x: tf.Tensor2D) => net.logits(x, 1), loss: exp.network.loss }],
    params,
    batchSize: exp.training.batchSize,
    learningRate: exp.training.learningRate,
    lrDecay: 1,
    weightDecay: exp.den.weightDecay,
    decoupledWeightDecay: exp.training.decoupledWeightDecay,
    lambda: exp.den.lambda,
    mu: exp.den.mu,
    proximal: exp.den.proximal,
    lossEvery: exp.training.lossEvery,
    rng: new Rng(2),
    emit: () => {},
    stepOffset: 0,
  };
  await trainStage({ ...spec, steps: 3 }, makeOptimizer);
  const t0 = clock();
  await trainStage({ ...spec, steps }, makeOptimizer);
  const seconds = (clock() - t0) / 1000;
  net.dispose();
  return (steps * exp.training.batchSize) / seconds;
}

/**
 * WASM on 1 thread and on every core, each in a process of its own (dist/threads-probe.js: the
 * backend initialises once per process), alternating, and their ratio.
 */
async function threadedRows(steps: number, add: (label: string, backend: string, samplesPerSecond: number) => void, log: (line: string) => void): Promise<void> {
  const n = os.availableParallelism();
  const script = probeScript(wasmBinaryDir());
  if (n < 2) return log('  threaded WASM not measured: one core');
  try {
    const one = await runProbe(script, 1, steps);
    const many = await runProbe(script, n, steps);
    if (many.threads !== n) return log(`  threaded WASM not measured: ${many.detail}`);
    add('plain MLP epoch (TF.js Adam)', 'wasm, 1 thread (own process)', one.plain);
    add('plain MLP epoch (TF.js Adam)', `wasm, ${n} threads (own process)`, many.plain);
    add('DEN subnetwork stage (masks, drift, L1 prox)', 'wasm, 1 thread (own process)', one.den);
    add('DEN subnetwork stage (masks, drift, L1 prox)', `wasm, ${n} threads (own process)`, many.den);
    log(`  ratio wasm ${n} threads / 1 thread: plain epoch ${(many.plain / one.plain).toFixed(2)}×, DEN stage ${(many.den / one.den).toFixed(2)}× (load average ${os.loadavg()[0].toFixed(1)} on ${n} cores)`);
  } catch (err) {
    log(`  threaded WASM not measured: ${(err as Error).message}`);
  }
}

/** `root`: the repository (for bench/torch_mlp.py, the PyTorch peer measured last). */
export async function measureThroughput(exp: Experiment, task: Task, steps: number, root: string, log: (line: string) => void): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  const add = (label: string, backend: string, samplesPerSecond: number) => {
    rows.push({ label, backend, samplesPerSecond });
    log(`  ${label.padEnd(44)} ${backend.padEnd(26)} ${Math.round(samplesPerSecond).toLocaleString('en-US').padStart(8)} samples/s`);
  };
  await initBackend('wasm');
  restoreWasmMatMul();
  add('plain MLP epoch (TF.js Adam)', 'wasm, stock kernels', await plainEpoch(exp, task, steps));
  patchWasmMatMul();
  add('plain MLP epoch (TF.js Adam)', 'wasm', await plainEpoch(exp, task, steps));
  add('DEN subnetwork stage (masks, drift, L1 prox)', 'wasm', await denStageEpoch(exp, task, steps));
  await threadedRows(steps, add, log);
  await initBackend('cpu');
  const cpuSteps = Math.max(3, Math.round(steps / 10));
  add('plain MLP epoch (TF.js Adam)', 'cpu', await plainEpoch(exp, task, cpuSteps));
  add('DEN subnetwork stage (masks, drift, L1 prox)', 'cpu', await denStageEpoch(exp, task, cpuSteps));
  const get = (label: string, backend: string) => rows.find((r) => r.label.startsWith(label) && r.backend === backend)!.samplesPerSecond;
  log(`  ratio wasm with the matmul fix / stock wasm: ${(get('plain', 'wasm') / get('plain', 'wasm, stock kernels')).toFixed(2)}×`);
  log(`  ratio DEN stage / plain epoch on wasm: ${(get('DEN', 'wasm') / get('plain', 'wasm')).toFixed(2)}× (overhead of masks and proximal steps)`);
  log(`  ratio DEN stage / plain epoch on cpu: ${(get('DEN', 'cpu') / get('plain', 'cpu')).toFixed(2)}×`);
  log(`  ratio wasm / cpu (plain epoch): ${(get('plain', 'wasm') / get('plain', 'cpu')).toFixed(1)}×`);
  const peer = measurePeer(
    { features: task.train.features, hidden: exp.network.hidden, outputs: task.outputs, batchSize: exp.training.batchSize, learningRate: exp.training.learningRate, loss: exp.network.loss, steps, minSeconds: steps >= 100 ? 5 : 2 },
    root,
  );
  if ('missing' in peer) log(`  PyTorch peer not measured: ${peer.missing}`);
  else {
    add(peer.label, peer.backend, peer.samplesPerSecond);
    for (const { row, ratio } of peerRatios(rows)!) log(`  ratio to PyTorch: ${row.label}, ${row.backend}: ${ratio.toFixed(2)}×`);
  }
  await initBackend('wasm');
  return rows;
}
