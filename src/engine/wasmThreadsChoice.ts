// How many threads the WASM backend runs: a number, or 'auto', which takes the threaded build only
// where it was measured faster on this machine. A process can initialise the WASM backend only
// once, so the measurement runs in child processes (dist/threads-probe.js: a few training steps of
// the default MLP, 784-312-128-10, batch 256, single-threaded and threaded, twice each,
// interleaved) and its result is cached for a day in the machine's temporary folder: a fact about
// this machine (cores, CPU, Node, tfjs), not about a run, and one that the load of a shared machine
// changes, so it is measured again the next day or after a reboot.
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { writeFileAtomic } from './atomicFile';

export type ThreadsChoice = 'auto' | number;

/** The threaded build must beat the single-threaded one by this factor to be chosen. */
const MIN_GAIN = 1.1;
const CACHE_HOURS = 24;
export const PROBE_SCRIPT = 'threads-probe.js';

/** Reads 'auto' or a thread count (1–64); undefined for anything else. */
export function parseThreads(value: string): ThreadsChoice | undefined {
  if (value === 'auto') return 'auto';
  return /^[1-9][0-9]?$/.test(value) && Number(value) <= 64 ? Number(value) : undefined;
}

/** The one-line error for a bad thread count given as `what` (an option or a variable). */
export const badThreads = (what: string, raw: string): string => `${what} must be auto or a thread count from 1 to 64, got '${raw}'`;

/** DEN_LAB_WASM_THREADS (auto or a count), else 'auto'. A bad value is refused with its name. */
export function threadsFromEnv(): ThreadsChoice {
  const raw = process.env.DEN_LAB_WASM_THREADS;
  if (raw === undefined || raw === '') return 'auto';
  const parsed = parseThreads(raw);
  if (parsed === undefined) {
    // bad input, like an unavailable backend (errorKinds.ts); backend.ts's class would be a cycle
    throw Object.assign(new Error(badThreads('DEN_LAB_WASM_THREADS', raw)), { name: 'BackendError' });
  }
  return parsed;
}

/** What one probe process measured (samples/s) and how its backend reported itself. */
export interface ProbeRun {
  threads: number;
  plain: number;
  den: number;
  detail: string;
  leakedDataIds: number;
}

/** dist/threads-probe.js: next to the folder of the WASM binaries. */
export const probeScript = (wasmDir: string): string => path.join(path.dirname(path.resolve(wasmDir)), PROBE_SCRIPT);

/** The probe's result for `threads` threads, as cached. */
export interface ProbeResult {
  threads: number;
  /** Samples/s of each configuration: the better of its two runs (a run slowed by other load counts less). */
  single: number;
  threaded: number;
  measuredAt: string;
}

/** The cache file: DEN_LAB_CACHE_DIR or <tmp>/den-lab, one file per machine and software. */
export function probeCacheFile(threads: number): string {
  const key = [os.cpus()[0]?.model ?? '', os.availableParallelism(), process.version, version_wasm, threads].join('|');
  const dir = process.env.DEN_LAB_CACHE_DIR || path.join(os.tmpdir(), 'den-lab');
  return path.join(dir, `wasm-threads-${crypto.createHash('sha256').update(key).digest('hex').slice(0, 16)}.json`);
}

function readCache(file: string): ProbeResult | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as ProbeResult;
    const age = Date.now() - Date.parse(r.measuredAt);
    return r.single > 0 && r.threaded > 0 && age >= 0 && age < CACHE_HOURS * 3600e3 ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `node dist/threads-probe.js <threads> <steps> [plain]` and returns what it printed: samples/s
 * of a plain MLP epoch and (unless plainOnly) of DEN's subnetwork stage. Rejects with the child's last error line.
 */
export function runProbe(script: string, threads: number, steps: number, plainOnly = false): Promise<ProbeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, String(threads), String(steps), ...(plainOnly ? ['plain'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as ProbeRun);
      else reject(new Error(`the threads probe failed: ${err.trim().split('\n').pop() || `exit ${code ?? signal}`}`));
    });
  });
}

/** Measures (or reads from the cache) single-threaded against `threads` threads. */
export async function probeThreads(script: string, threads: number): Promise<ProbeResult & { cached: boolean }> {
  const file = probeCacheFile(threads);
  const cached = readCache(file);
  if (cached) return { ...cached, cached: true };
  // the only silent wait a run has: say what it is, once a day
  process.stderr.write(`den-lab: measuring whether ${threads} WASM threads train faster than 1 (about a minute, once a day; --threads 1 skips it)\n`);
  const single: number[] = [];
  const threaded: number[] = [];
  for (let round = 0; round < 2; round++) {
    single.push((await runProbe(script, 1, 12, true)).plain);
    threaded.push((await runProbe(script, threads, 12, true)).plain);
  }
  const result: ProbeResult = { threads, single: Math.max(...single), threaded: Math.max(...threaded), measuredAt: new Date().toISOString() };
  try {
    writeFileAtomic(file, JSON.stringify(result) + '\n');
  } catch {
    // an unwritable temporary folder only costs the next process another probe
  }
  return { ...result, cached: false };
}

/**
 * The thread count to run and why, in a few words. `wasmDir` is the folder of the binaries; the
 * probe script is next to it (dist/). `unavailable` says why the threaded build cannot load, if so.
 */
export async function decideThreads(choice: ThreadsChoice, wasmDir: string, unavailable: string | undefined): Promise<{ threads: number; why: string }> {
  if (choice !== 'auto') return { threads: choice, why: `${choice} asked for` };
  const n = os.availableParallelism();
  if (n < 2) return { threads: 1, why: 'auto: one core' };
  if (unavailable) return { threads: 1, why: `auto: ${unavailable}` };
  const script = probeScript(wasmDir);
  if (!fs.existsSync(script)) return { threads: 1, why: `auto: ${script} is missing (npm run build writes it)` };
  let probe;
  try {
    probe = await probeThreads(script, n);
  } catch (err) {
    return { threads: 1, why: `auto: ${(err as Error).message.split('\n')[0]}` };
  }
  const ratio = probe.threaded / probe.single;
  const measured = `${n} threads measured ${ratio.toFixed(2)}× of 1${probe.cached ? ` (cached ${probe.measuredAt.slice(0, 16)}Z)` : ''}`;
  return ratio >= MIN_GAIN ? { threads: n, why: `auto: ${measured}` } : { threads: 1, why: `auto: ${measured}` };
}
