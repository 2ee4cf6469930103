// Expansion on the frozen blocks (src/engine/den/frozenUnits.ts) against the same stage on the
// whole network, as ratios within one run: interleaved rounds, medians of the per-round ratios.
// The network is the size the default run reaches by its last tasks (784-733-248 grown by 18 + 18
// units); a stage is `steps` mini-batches of the permuted training part, with the masks, L1 and group
// lasso of expansion; the frozen stage's time includes computing its cached activations and writing
// the blocks back. Samples per second of this process's CPU time and of wall time.
// Usage: npx tsx bench/frozen-blocks.ts [rounds=3] [steps=140]   (WASM, 140 steps = the default's 5 epochs)
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend';
import { loadExperiment } from '../src/engine/experiment';
import { prepareTasks } from '../src/engine/session';
import type { TrainableParam } from '../src/engine/adamProx';
import { frozenOldUnits } from '../src/engine/den/frozenUnits';
import { Network } from '../src/engine/network/network';
import { initialState, newHead } from '../src/engine/network/init';
import { expandState, ownedMasks } from '../src/engine/network/structure';
import { Rng } from '../src/engine/random';
import { trainStage } from '../src/engine/training';
import { Clock, cpuClock } from '../src/bench/throughput';

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const steps = Number(process.argv[3] ?? 140);
  const exp = loadExperiment('examples/permuted-mnist.den.json').experiment;
  const task = prepareTasks(exp, process.cwd())[1];
  await initBackend('wasm');
  const old = [733, 248];
  const inputs = task.train.features;

  /** One expansion stage from the same grown network; samples per second of `clock`. */
  const stage = async (frozen: boolean, clock: Clock): Promise<number> => {
    const net = new Network(initialState(inputs, old, new Rng(1)));
    net.setHead(1, newHead(old[1], 10, new Rng(2)));
    net.setState(expandState(net.toState(), 2, [18, 18], new Rng(3)));
    net.setHead(2, newHead(net.sizes()[1], task.outputs, new Rng(4)));
    const masks = ownedMasks(net.toState(), old);
    const params: TrainableParam[] = net.layers.flatMap((l, i) => [
      { variable: l.W, isWeight: true, mask: masks[i].W, groupColumns: Float32Array.from({ length: l.W.shape[1] }, (_, c) => (c >= old[i] ? 1 : 0)), groupThreshold: exp.den.gamma as number },
      { variable: l.b, isWeight: false, mask: masks[i].b },
    ]);
    params.push({ variable: net.heads[1]!.W, isWeight: true }, { variable: net.heads[1]!.b, isWeight: false });
    const start = clock();
    const f = frozen ? frozenOldUnits(net, 2, task.train, old, params) : null;
    if (frozen && !f) throw new Error('the frozen blocks do not apply');
    const { samples } = await trainStage({
      task: 2,
      stage: 'expansion',
      sources: [{ data: f?.data ?? task.train, forward: f?.forward ?? ((x: tf.Tensor2D) => net.logits(x, 2)), loss: exp.network.loss }],
      params: f?.params ?? params,
      steps,
      batchSize: exp.training.batchSize,
      learningRate: exp.training.learningRate,
      lrDecay: exp.training.lrDecay,
      weightDecay: exp.den.weightDecay,
      decoupledWeightDecay: false,
      lambda: 0,
      mu: exp.den.mu,
      proximal: exp.den.proximal,
      lossEvery: exp.training.lossEvery,
      rng: new Rng(5),
      emit: () => undefined,
      stepOffset: 0,
      writeBack: f?.finish,
    });
    const seconds = (clock() - start) / 1000;
    net.dispose();
    return samples / seconds;
  };

  const cases: [string, boolean][] = [
    ['expansion stage, whole network', false],
    ['expansion stage, frozen blocks', true],
  ];
  const clocks: [string, Clock][] = [
    ['CPU time', cpuClock],
    ['wall time', () => performance.now()],
  ];
  // samples[clock][case][round]
  const samples = clocks.map(() => cases.map(() => [] as number[]));
  const load = [os.loadavg()[0]];
  const tensors = tf.memory().numTensors;
  for (let r = 0; r < rounds; r++) {
    for (const [i, [, frozen]] of cases.entries()) {
      for (const [k, [, clock]] of clocks.entries()) samples[k][i].push(await stage(frozen, clock));
    }
  }
  load.push(os.loadavg()[0]);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${inputs}-${old.map((o) => o + 18).join('-')} (${old.join(', ')} old units), batch ${exp.training.batchSize}, ${steps} steps per stage × ${rounds} interleaved rounds, wasm; load average ${load.map((l) => l.toFixed(1)).join(' → ')} on ${os.cpus().length} cores; tensors after: ${tf.memory().numTensors - tensors} more than before`);
  clocks.forEach(([name], k) => {
    console.log(`samples per second of ${name} (median; the rounds):`);
    cases.forEach(([label], i) => console.log(`  ${label.padEnd(34)} ${Math.round(median(samples[k][i])).toLocaleString('en-US').padStart(7)}  (${samples[k][i].map((s) => Math.round(s)).join(', ')})`));
    console.log(`  frozen / whole: ${median(samples[k][1].map((s, r) => s / samples[k][0][r])).toFixed(2)}× (median of the per-round ratios)`);
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
