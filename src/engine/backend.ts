// Picks and initialises the TensorFlow.js backend: the native bindings when installed
// (@tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node), else WebAssembly, else plain JS.
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
// Importing a binding (not just the module) keeps the bundler from dropping the CPU backend's registration.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice } from './experiment';
import type { BackendInfo } from '../common/protocol';
import { patchWasmMatMul } from './wasmMatMul';
import { initThreadedWasm, threadedUnavailable } from './wasmThreads';
import { ThreadsChoice, decideThreads } from './wasmThreadsChoice';

/** A backend that was asked for cannot be used; the message says how to get it. */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

const NATIVE: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

const INSTALL_HINT: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  'tensorflow-gpu':
    'install it next to DEN Lab or in your workspace with `npm install @tensorflow/tfjs-node-gpu@4.22.0` (Linux x64 with CUDA 11.2 and cuDNN 8.1; its install downloads libtensorflow)',
  tensorflow:
    'install it next to DEN Lab or in your workspace with `npm install @tensorflow/tfjs-node@4.22.0` (Linux, macOS or Windows x64; its install downloads libtensorflow)',
};

/**
 * Folders whose node_modules may hold the native bindings: DEN Lab's own, the current directory
 * (a workspace where the researcher installed them) and DEN_LAB_NODE_MODULES (path-separated).
 */
function searchDirs(): string[] {
  const extra = (process.env.DEN_LAB_NODE_MODULES ?? '').split(path.delimiter).filter(Boolean);
  return [__dirname, process.cwd(), ...extra.map((d) => (path.basename(d) === 'node_modules' ? path.dirname(d) : d))];
}

/** Loads a native binding package, or returns why it could not be loaded. */
function loadNative(pkg: string): { version: string } | { error: string } {
  let lastError = 'not installed';
  for (const dir of searchDirs()) {
    const req = createRequire(path.join(dir, 'package.json'));
    let resolved: string;
    try {
      resolved = req.resolve(pkg);
    } catch {
      continue;
    }
    try {
      // Importing registers the 'tensorflow' backend in the global TF.js engine (shared by every copy of tfjs-core).
      req(resolved);
      const manifest = JSON.parse(fs.readFileSync(req.resolve(`${pkg}/package.json`), 'utf8')) as { version: string };
      return { version: manifest.version };
    } catch (err) {
      lastError = `installed at ${resolved} but failed to load: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  return { error: lastError };
}

/**
 * The folder holding tfjs-backend-wasm's .wasm binaries (and the threaded build's scripts): next to
 * the bundle, or in node_modules. DEN_LAB_WASM_DIR names another one (the tests use it to make the
 * threaded build fail to load).
 */
export function wasmBinaryDir(): string {
  if (process.env.DEN_LAB_WASM_DIR) return path.resolve(process.env.DEN_LAB_WASM_DIR) + path.sep;
  const bundled = path.join(__dirname, 'wasm');
  if (fs.existsSync(path.join(bundled, 'tfjs-backend-wasm.wasm'))) return bundled + path.sep;
  // Not bundled (e.g. running from source): the binaries are in node_modules.
  return path.dirname(createRequire(__filename).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep;
}

async function tryNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<BackendInfo | string> {
  const loaded = loadNative(NATIVE[name]);
  if ('error' in loaded) return `${NATIVE[name]} ${loaded.error}`;
  if (!(await tf.setBackend('tensorflow'))) return `${NATIVE[name]} is installed but its backend did not initialise`;
  return { name, version: loaded.version, detail: `native TensorFlow via ${NATIVE[name]}` };
}

/** The WASM backend's threads, fixed for the process once it has initialised. */
let wasmThreads: { threads: number; why: string } | undefined;

const NO_WASM = 'the WebAssembly backend did not initialise';

/** The single-threaded SIMD binary, or `threads` threads from the threaded one where it loads. */
async function initWasm(threads: ThreadsChoice): Promise<{ threads: number; why: string } | string> {
  const dir = wasmBinaryDir();
  wasm.setWasmPaths(dir);
  const unavailable = threadedUnavailable(dir);
  const decided = await decideThreads(threads, dir, unavailable);
  let why = decided.why;
  if (decided.threads > 1) {
    if (unavailable) why = `${decided.why}, but ${unavailable}`;
    else {
      try {
        return { threads: await initThreadedWasm(dir, decided.threads), why };
      } catch (err) {
        why = `${decided.why}, but the threaded build failed to load (${(err as Error).message.split('\n')[0]})`;
      }
    }
  }
  // one thread: asked for, chosen, or the fallback
  return (await tf.setBackend('wasm')) ? { threads: 1, why } : NO_WASM;
}

async function tryWasm(threads: ThreadsChoice): Promise<BackendInfo | string> {
  if (!wasmThreads) {
    const result = await initWasm(threads);
    if (typeof result === 'string') return result;
    wasmThreads = result;
  } else if (!(await tf.setBackend('wasm'))) return NO_WASM;
  const patched = patchWasmMatMul();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const n = wasmThreads.threads;
  const parts = ['WebAssembly', simd ? 'SIMD' : 'no SIMD', `${n === 1 ? '1 thread' : `${n} threads`} (${wasmThreads.why})`];
  if (patched) parts.push('XNNPACK matmul for transposed operands');
  return { name: 'wasm', version: wasm.version_wasm, detail: parts.join(', '), threads: n };
}

async function tryCpu(): Promise<BackendInfo | string> {
  if (!(await tf.setBackend('cpu'))) return 'the CPU backend did not initialise';
  return { name: 'cpu', version: version_cpu, detail: 'plain JavaScript (slowest)' };
}

let current: BackendInfo | undefined;

/** The backend chosen by the last initBackend call. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

/**
 * Initialises the requested backend ('auto' = the best one available) and reports which one runs.
 * A backend asked for by name that cannot run raises a BackendError that says how to install it.
 * `threads`: the WASM backend's (see wasmThreadsChoice.ts); the first WASM initialisation of the
 * process fixes them, later calls report what runs.
 */
export async function initBackend(choice: BackendChoice, threads: ThreadsChoice = 1): Promise<BackendInfo> {
  // PROD skips debug checks and silences tfjs's "install tfjs-node" console banner.
  tf.env().set('PROD', true);
  if (current && choice === current.name && tf.getBackend() === backendRegistryName(current.name)) return current;
  const attempts: Record<string, () => Promise<BackendInfo | string>> = {
    'tensorflow-gpu': () => tryNative('tensorflow-gpu'),
    tensorflow: () => tryNative('tensorflow'),
    wasm: () => tryWasm(threads),
    cpu: tryCpu,
  };
  const order = choice === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [choice];
  const reasons: string[] = [];
  for (const name of order) {
    const result = await attempts[name]();
    if (typeof result !== 'string') {
      current = result;
      return result;
    }
    reasons.push(result);
  }
  if (choice === 'tensorflow-gpu' || choice === 'tensorflow') {
    throw new BackendError(`backend '${choice}' is not available: ${reasons.join('; ')}. To use it, ${INSTALL_HINT[choice]}; or set "backend": "auto" to use the best installed backend.`);
  }
  throw new BackendError(`backend '${choice}' is not available: ${reasons.join('; ')}`);
}

function backendRegistryName(name: BackendInfo['name']): string {
  return name === 'tensorflow-gpu' ? 'tensorflow' : name;
}
