// The fused stage update (src/engine/adamProx.ts) against the plain formulation it replaced
// (test/engine/referenceAdamProx.ts), as ratios within one run: interleaved rounds, medians.
// Samples per second of this process's CPU time (the machine is shared; wall time under load
// mostly measures the other processes) and of wall time, and each ratio as the median of the
// per-round ratios. Usage: npx tsx bench/fused-update.ts [rounds=5] [steps=40]   (WASM, the
// default experiment's MLP)
import os from 'node:os';
import { initBackend } from '../src/engine/backend';
import { loadExperiment } from '../src/engine/experiment';
import { prepareTasks } from '../src/engine/session';
import { OptimizerFactory, adamProx } from '../src/engine/adamProx';
import { Clock, cpuClock, denStageEpoch, plainEpoch } from '../src/bench/throughput';
import { referenceAdamProx } from '../test/engine/referenceAdamProx';

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  const steps = Number(process.argv[3] ?? 40);
  const exp = loadExperiment('examples/permuted-mnist.den.json').experiment;
  const task = prepareTasks(exp, process.cwd())[0];
  await initBackend('wasm');
  const den = (makeOptimizer: OptimizerFactory, zeroShare: number) => (clock: Clock) => denStageEpoch(exp, task, steps, makeOptimizer, zeroShare, clock);
  const cases: [string, (clock: Clock) => Promise<number>][] = [
    ['plain MLP epoch (TF.js Adam)', (clock) => plainEpoch(exp, task, steps, clock)],
    ['DEN stage, all-ones masks, reference update', den(referenceAdamProx, 0)],
    ['DEN stage, all-ones masks, fused update', den(adamProx, 0)],
    ['DEN stage, 30% frozen, reference update', den(referenceAdamProx, 0.3)],
    ['DEN stage, 30% frozen, fused update', den(adamProx, 0.3)],
  ];
  const clocks: [string, Clock][] = [
    ['CPU time', cpuClock],
    ['wall time', () => performance.now()],
  ];
  // samples[clock][case][round]
  const samples = clocks.map(() => cases.map(() => [] as number[]));
  const load = [os.loadavg()[0]];
  for (let r = 0; r < rounds; r++) {
    for (const [i, [, run]] of cases.entries()) {
      for (const [k, [, clock]] of clocks.entries()) samples[k][i].push(await run(clock));
    }
  }
  load.push(os.loadavg()[0]);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ratio = (k: number, i: number, j: number) => median(samples[k][i].map((s, r) => s / samples[k][j][r]));
  console.log(`${exp.network.hidden.join('-')} MLP, batch ${exp.training.batchSize}, ${steps} steps × ${rounds} interleaved rounds, wasm; load average ${load.map((l) => l.toFixed(1)).join(' → ')} on ${os.cpus().length} cores`);
  clocks.forEach(([clockName], k) => {
    console.log(`samples per second of ${clockName} (median; the rounds; median of the per-round ratios):`);
    cases.forEach(([label], i) =>
      console.log(`  ${label.padEnd(46)} ${Math.round(median(samples[k][i])).toLocaleString('en-US').padStart(7)}  (${samples[k][i].map((s) => Math.round(s)).join(', ')})  ${ratio(k, i, 0).toFixed(2)}× plain`),
    );
    console.log(`  fused / reference: all-ones masks ${ratio(k, 2, 1).toFixed(2)}×, 30% frozen ${ratio(k, 4, 3).toFixed(2)}×`);
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
