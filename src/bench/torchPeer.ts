// The bench's peer: the same MLP in PyTorch (bench/torch_mlp.py), measured in the same run so that
// every DEN Lab throughput figure can be printed as a ratio to it. Optional: without a python3 that
// imports torch the bench says so and carries on.
import { spawnSync } from 'child_process';
import * as path from 'path';
import type { ThroughputRow } from './throughput';

/** The peer row's backend starts with this (how the report finds it among the rows). */
export const PEER_BACKEND = 'pytorch';

/** What the peer needs to build the same MLP and training step as DEN Lab's rows. */
export interface PeerSpec {
  features: number;
  hidden: number[];
  outputs: number;
  batchSize: number;
  learningRate: number;
  loss: string;
  steps: number;
  minSeconds: number;
}

/** The interpreters tried, in order: DEN_BENCH_PYTHON, then python3 on PATH, then Debian's (which has python3-torch). */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [...new Set([env.DEN_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p))];
}

/**
 * The environment of the one peer command: OpenBLAS on one thread (torch's own 2 threads are the
 * fast setting on this 2-core machine), and no OpenBLAS core-type or cache-size overrides.
 */
export function peerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, OPENBLAS_NUM_THREADS: '1' };
  delete out.OPENBLAS_CORETYPE;
  delete out.OPENBLAS_L2_SIZE;
  return out;
}

export const TORCH_THREADS = 2;

export function peerArgs(script: string, s: PeerSpec): string[] {
  return [
    script,
    ...['--features', s.features, '--hidden', s.hidden.join(','), '--outputs', s.outputs, '--batch', s.batchSize],
    ...['--lr', s.learningRate, '--loss', s.loss, '--steps', s.steps, '--min-seconds', s.minSeconds, '--threads', TORCH_THREADS],
  ].map(String);
}

export interface PeerResult {
  samplesPerSecond: number;
  torch: string;
  threads: number;
}

/** The script's last stdout line, checked; throws with what was wrong. */
export function parsePeerOutput(stdout: string): PeerResult {
  const last = stdout.trim().split('\n').pop() ?? '';
  let j: unknown;
  try {
    j = JSON.parse(last);
  } catch {
    throw new Error(`the PyTorch peer printed no JSON line (last line: ${JSON.stringify(last.slice(0, 120))})`);
  }
  const r = j as Partial<PeerResult> | null;
  if (!r || typeof r.samplesPerSecond !== 'number' || !Number.isFinite(r.samplesPerSecond) || r.samplesPerSecond <= 0) {
    throw new Error(`the PyTorch peer's samplesPerSecond is not a positive number: ${last.slice(0, 120)}`);
  }
  if (typeof r.torch !== 'string' || typeof r.threads !== 'number') throw new Error(`the PyTorch peer's line lacks torch or threads: ${last.slice(0, 120)}`);
  return { samplesPerSecond: r.samplesPerSecond, torch: r.torch, threads: r.threads };
}

/** The first candidate interpreter that imports torch, or why none does. */
export function findTorchPython(candidates = pythonCandidates()): { python: string } | { missing: string } {
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60000, env: peerEnv(process.env) });
    if (r.status === 0) return { python };
  }
  return { missing: `no python3 with torch (tried ${candidates.join(', ')}; on Debian: apt-get install python3-torch, or set DEN_BENCH_PYTHON)` };
}

/** Runs the peer once; its row, or why there is none. */
export function measurePeer(spec: PeerSpec, root: string): ThroughputRow | { missing: string } {
  const found = findTorchPython();
  if ('missing' in found) return found;
  const script = path.join(root, 'bench', 'torch_mlp.py');
  const r = spawnSync(found.python, peerArgs(script, spec), { encoding: 'utf8', timeout: 600000, env: peerEnv(process.env) });
  if (r.status !== 0) return { missing: `the PyTorch peer failed (exit ${r.status}): ${(r.stderr || String(r.error ?? '')).trim().split('\n').slice(-1)[0]}` };
  const p = parsePeerOutput(r.stdout);
  return { label: 'plain MLP epoch (PyTorch Adam)', backend: `${PEER_BACKEND} ${p.torch}, ${p.threads} threads`, samplesPerSecond: p.samplesPerSecond };
}

/** Each row's samples/s as a multiple of the peer's (null without a peer row). */
export function peerRatios(rows: ThroughputRow[]): { row: ThroughputRow; ratio: number }[] | null {
  const peer = rows.find((r) => r.backend.startsWith(PEER_BACKEND));
  if (!peer) return null;
  return rows.filter((r) => r !== peer).map((row) => ({ row, ratio: row.samplesPerSecond / peer.samplesPerSecond }));
}
