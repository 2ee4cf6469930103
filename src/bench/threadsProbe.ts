// dist/threads-probe.js <threads> <steps> [plain]: trains the default MLP (784-312-128-10, batch
// 256, Adam) for <steps> steps as a plain epoch and (without `plain`) as DEN's subnetwork stage, on
// the WASM backend with <threads> threads, and prints one JSON line: {threads, plain, den
// (samples/s), detail, leakedDataIds (WASM buffers left over)}. Each thread count needs its own
// process (the WASM backend initialises once per process); 'auto' (src/engine/wasmThreadsChoice.ts)
// and the bench's throughput run it.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../engine/backend';
import { validateExperiment } from '../engine/experiment';
import { prepareTasks } from '../engine/session';
import { denStageEpoch, plainEpoch } from './throughput';

async function main(): Promise<void> {
  const threads = Number(process.argv[2]);
  const steps = Number(process.argv[3]);
  if (!Number.isInteger(threads) || threads < 1 || !Number.isInteger(steps) || steps < 1) throw new Error('usage: threads-probe.js <threads> <steps> [plain]');
  const info = await initBackend('wasm', threads);
  const exp = validateExperiment({ name: 'threads-probe', data: { source: 'mnist', limit: 1000 }, tasks: { type: 'permuted', count: 1 } });
  const [task] = prepareTasks(exp, process.cwd());
  // The backend's own count of its buffers: the matmul fix's temporaries are no tensors of tf.memory().
  const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  const before = dataIds();
  const plain = await plainEpoch(exp, task, steps);
  const den = process.argv[4] === 'plain' ? 0 : await denStageEpoch(exp, task, steps);
  console.log(JSON.stringify({ threads: info.threads ?? 1, plain, den, detail: info.detail, leakedDataIds: dataIds() - before }));
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
