// dist/threads-probe.js <threads> <steps>: trains the default MLP (784-312-128-10, batch 256, Adam)
// for <steps> steps as a plain epoch and as DEN's subnetwork stage on the WASM backend with
// <threads> threads, and prints one JSON line: {threads, plain, den, detail} (samples/s). Each
// thread count needs its own process (the WASM backend initialises once per process); 'auto'
// (src/engine/wasmThreadsChoice.ts) and the bench's throughput run it.
import { initBackend } from '../engine/backend';
import { validateExperiment } from '../engine/experiment';
import { prepareTasks } from '../engine/session';
import { denStageEpoch, plainEpoch } from './throughput';

async function main(): Promise<void> {
  const threads = Number(process.argv[2]);
  const steps = Number(process.argv[3]);
  if (!Number.isInteger(threads) || threads < 1 || !Number.isInteger(steps) || steps < 1) throw new Error('usage: threads-probe.js <threads> <steps>');
  const info = await initBackend('wasm', threads);
  const exp = validateExperiment({ name: 'threads-probe', data: { source: 'mnist', limit: 1000 }, tasks: { type: 'permuted', count: 1 } });
  const [task] = prepareTasks(exp, process.cwd());
  const plain = await plainEpoch(exp, task, steps);
  const den = await denStageEpoch(exp, task, steps);
  console.log(JSON.stringify({ threads: info.threads ?? 1, plain, den, detail: info.detail }));
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
