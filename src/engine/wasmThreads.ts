// The threaded SIMD build of @tensorflow/tfjs-backend-wasm in Node (worker_threads). tfjs 4.22
// does not support it there (tfjs issue #3830); four work-arounds make it run:
//  1. WASM_HAS_MULTITHREAD_SUPPORT is forced on (tfjs answers false whenever IS_NODE);
//  2. Emscripten gets file paths instead of Blob URLs, which Node's Worker cannot load: the pool's
//     worker script is a file that scripts/build.mjs writes next to the .wasm binaries (the worker
//     text escaped as tfjs does, and a URL.createObjectURL that names the main script's file), and
//     URL.createObjectURL answers that file's path while the backend initialises;
//  3. the thread cap of os.cpus().length / 2 (1 on a 2-core machine) is lifted by making os.cpus()
//     report enough cores while the backend initialises;
//  4. the pool's workers are unref'd (else Node never exits) and the idle ones Emscripten starts in
//     advance (7 more here, about 8 MB each) are ended.
import * as fs from 'fs';
import { createRequire } from 'module';
import type * as Os from 'os';
import * as path from 'path';
import * as workerThreads from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as wasm from '@tensorflow/tfjs-backend-wasm';

/** The threaded build's main script and the pool's worker script, both in the folder of the .wasm binaries. */
export const THREADED_MAIN_SCRIPT = 'tfjs-backend-wasm-threaded-simd.js';
export const THREADED_WORKER_SCRIPT = 'tfjs-backend-wasm-threaded-simd.worker.js';

/**
 * The pool's worker script for Node: tfjs's worker text (with its newlines escaped, as tfjs does
 * before making its Blob) and, at its end, a URL.createObjectURL that answers the main script's
 * file for the Blob the main thread sends. Written into dist/wasm/ by scripts/build.mjs.
 */
export function threadedWorkerScript(workerContents: string): string {
  return (
    workerContents.replace(/\n/g, '\\n') +
    `;URL.createObjectURL=()=>require("path").join(__dirname,${JSON.stringify(THREADED_MAIN_SCRIPT)});URL.revokeObjectURL=()=>{};\n`
  );
}

/** Why the threaded build cannot load from `dir` in this process, or undefined if it may. */
export function threadedUnavailable(dir: string): string | undefined {
  if (typeof SharedArrayBuffer !== 'function') return 'this Node has no SharedArrayBuffer';
  if (typeof workerThreads.Worker !== 'function') return 'this Node has no worker_threads';
  for (const f of [THREADED_MAIN_SCRIPT, THREADED_WORKER_SCRIPT, 'tfjs-backend-wasm-threaded-simd.wasm']) {
    if (!fs.existsSync(path.join(dir, f))) return `${path.join(dir, f)} is missing (npm run build writes it)`;
  }
  return undefined;
}

// The os and fs module objects themselves (tfjs's bundled code asks os for the cores and prints
// its errors with fs.writeSync(2, …)), not namespace copies, so that they can be patched.
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const nodeRequire = createRequire(__filename);
const os = nodeRequire('os') as Mutable<typeof Os>;
const fsModule = nodeRequire('fs') as Mutable<typeof fs>;

interface PThreadPool {
  runningWorkers: workerThreads.Worker[];
  unusedWorkers: workerThreads.Worker[];
}

/**
 * Initialises the 'wasm' backend from the threaded binary with `threads` threads. The folder `dir`
 * must hold the threaded files (threadedUnavailable says whether it does) and setWasmPaths must
 * already name its binaries. Returns the thread count XNNPACK reports; throws if the backend did
 * not initialise, after ending the workers it started (the caller can then fall back to the
 * single-threaded binary in this process).
 */
export async function initThreadedWasm(dir: string, threads: number): Promise<number> {
  const worker = path.join(dir, THREADED_WORKER_SCRIPT);
  const createObjectURL = URL.createObjectURL.bind(URL);
  const cpus = os.cpus;
  // Emscripten sets global.Worker to worker_threads' Worker and starts its pool with it; this
  // subclass in its place records the workers, so that a failed load can end them.
  const started: workerThreads.Worker[] = [];
  class RecordedWorker extends workerThreads.Worker {
    constructor(...args: ConstructorParameters<typeof workerThreads.Worker>) {
      super(...args);
      started.push(this);
    }
  }
  const g = globalThis as { Worker?: unknown };
  Object.defineProperty(g, 'Worker', { configurable: true, get: () => RecordedWorker, set: () => {} });
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  URL.createObjectURL = () => worker;
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]);
  // What Emscripten and tfjs print while it loads becomes the one-line reason of a failure.
  const printed: string[] = [];
  const { warn, error } = console;
  const writeSync = fsModule.writeSync;
  console.warn = console.error = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
  fsModule.writeSync = ((fd: number, data: unknown, ...rest: unknown[]) => {
    if (fd !== 2 || typeof data !== 'string') return (writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
    printed.push(data.trimEnd());
    return data.length;
  }) as typeof fs.writeSync;
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
    Object.defineProperty(g, 'Worker', { configurable: true, writable: true, value: workerThreads.Worker });
    Object.assign(console, { warn, error });
    fsModule.writeSync = writeSync;
  }
  if (!ok) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    for (const w of started) void w.terminate();
    const reason = printed.find((l) => l.startsWith('Aborted(')) ?? printed[0] ?? 'the threaded WebAssembly backend did not initialise';
    throw new Error(reason.split('\n')[0]);
  }
  for (const line of printed) warn(line);
  const pool = (tf.backend() as unknown as { wasm: { PThread?: PThreadPool } }).wasm.PThread;
  for (const w of pool?.runningWorkers ?? started) w.unref();
  for (const w of pool?.unusedWorkers.splice(0) ?? []) void w.terminate(); // idle: nothing waits for them
  return wasm.getThreadsCount();
}
