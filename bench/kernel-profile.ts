// Where a plain MLP training step's time goes on the WASM backend, kernel by kernel (tf.profile),
// on 1 thread and on N threads, each in a process of its own (the backend initialises once per
// process). The MLP is the throughput row's: 784-312-128-10, batch 256, TF.js Adam, sigmoid BCE
// summed over the outputs, on the permuted training part. Prints per-step milliseconds per kernel
// (the median over rounds of the per-round mean) and the unprofiled step time of each round.
// Usage: npm run build, then npx tsx bench/kernel-profile.ts [threads=2] [rounds=3] [steps=20]
// (the threaded binary and its worker script are in dist/wasm/, which npm run build writes).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../src/engine/backend';
import { loadExperiment } from '../src/engine/experiment';
import { prepareTasks } from '../src/engine/session';
import { plainTrainer } from '../src/bench/throughput';

interface Profile {
  threads: number;
  detail: string;
  /** Unprofiled milliseconds per step. */
  stepMs: number;
  /** Profiled milliseconds per step, by kernel name. */
  kernels: Record<string, number>;
}

/** One process: `steps` profiled steps, then `steps` unprofiled ones, after 5 warm-up steps. */
async function child(threads: number, steps: number): Promise<Profile> {
  const info = await initBackend('wasm', threads);
  const exp = loadExperiment('examples/permuted-mnist.den.json').experiment;
  const task = prepareTasks(exp, process.cwd())[0];
  const { step, dispose } = plainTrainer(exp, task);
  for (let i = 0; i < 5; i++) step(i).dispose();
  const kernels: Record<string, number> = {};
  for (let i = 0; i < steps; i++) {
    const p = await tf.profile(() => step(i));
    for (const k of p.kernels) kernels[k.name] = (kernels[k.name] ?? 0) + (k.kernelTimeMs as number) / steps;
    if (p.result instanceof tf.Tensor) p.result.dispose();
  }
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const l = step(i);
    await l.data();
    l.dispose();
  }
  const stepMs = (performance.now() - t0) / steps;
  dispose();
  return { threads: info.threads ?? 1, detail: info.detail, stepMs, kernels };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function parent(threads: number, rounds: number, steps: number): void {
  const runs: Profile[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const t of [1, threads]) {
      const env = { ...process.env, DEN_LAB_WASM_DIR: process.env.DEN_LAB_WASM_DIR ?? path.join(__dirname, '..', 'dist', 'wasm') };
      const out = spawnSync(process.execPath, [...process.execArgv, __filename, 'child', String(t), String(steps)], { encoding: 'utf8', env });
      const last = out.stdout.trim().split('\n').pop() ?? '';
      if (out.status !== 0 || !last.startsWith('{')) throw new Error(`the ${t}-thread process failed: ${out.stderr.trim().split('\n').pop()}`);
      const run = JSON.parse(last) as Profile;
      if (run.threads !== t) throw new Error(`asked for ${t} threads, the backend runs ${run.detail}`);
      runs.push(run);
    }
  }
  const of = (t: number) => runs.filter((r) => r.threads === t);
  const counts = [1, threads];
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.kernels)))];
  const med = (t: number, name: string) => median(of(t).map((r) => r.kernels[name] ?? 0));
  names.sort((a, b) => med(1, b) - med(1, a));
  console.log(`plain MLP step, 784-312-128-10, batch 256, WASM; ${rounds} rounds of ${steps} steps, alternating 1 and ${threads} threads`);
  console.log(`backends: ${[...new Set(runs.map((r) => r.detail))].join('; ')}`);
  console.log(`unprofiled ms per step: ${counts.map((t) => `${t} thread(s) ${of(t).map((r) => r.stepMs.toFixed(1)).join(' / ')}`).join('; ')}`);
  console.log(`| kernel | ${counts.map((t) => `${t} thread(s), ms per step`).join(' | ')} | share (1 thread) |`);
  console.log(`|---|${counts.map(() => '---:').join('|')}|---:|`);
  const total = names.reduce((s, n) => s + med(1, n), 0);
  for (const n of names.filter((n) => med(1, n) >= 0.05)) {
    console.log(`| ${n} | ${counts.map((t) => med(t, n).toFixed(2)).join(' | ')} | ${((100 * med(1, n)) / total).toFixed(1)}% |`);
  }
  console.log(`| all kernels | ${counts.map((t) => names.reduce((s, n) => s + med(t, n), 0).toFixed(2)).join(' | ')} | |`);
}

if (process.argv[2] === 'child') {
  child(Number(process.argv[3]), Number(process.argv[4])).then(
    (p) => console.log(JSON.stringify(p)),
    (err: Error) => {
      console.error(err.message);
      process.exitCode = 1;
    },
  );
} else {
  parent(Number(process.argv[2] ?? 2), Number(process.argv[3] ?? 3), Number(process.argv[4] ?? 20));
}
