// A checkpoint is the model after a completed task, in a folder of two files:
//   network.json  the structure (format, version, input size, routing, timestamps, per network
//                 its hidden layers and heads, the names of aux arrays) and a TF.js-style weights
//                 manifest (name, shape, dtype of each array, in order), with the byte length and
//                 SHA-256 of weights.bin;
//   weights.bin   the arrays, little-endian float32 (timestamps and lineage int32), concatenated.
// The folder is written atomically; loading checks everything before building anything, so a
// truncated or corrupt checkpoint is rejected with a clear error and never half-loaded.
// Versions 1 (one network, no aux arrays, unprefixed names) and 2 (no lineage: which units are
// split copies of which is unknown for units born after task 1) are still read.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeDirAtomic, writeFileAtomic, writeJsonAtomic } from '../atomicFile';
import { LayerArrays, ModelState, Routing, checkModel } from '../network/model';
import { COPY_UNKNOWN, Head, HiddenLayer, NOT_A_COPY, NetworkState, matrix } from '../network/state';

export const CHECKPOINT_FORMAT = 'den-lab-network';
export const CHECKPOINT_VERSION = 3;

/** A checkpoint that cannot be loaded; the message names the folder and the problem. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

interface NetworkJson {
  format: string;
  formatVersion: number;
  inputDim: number;
  /** Versions ≥ 2: how tasks map to networks, whether inference is timestamped, and each network's size. */
  routing?: Routing;
  timestamps?: boolean;
  /** Per network: hidden layers and tasks that have a head (1..tasks). Arrays are named `net<i>/...`. */
  networks?: { hiddenLayers: number; tasks: number }[];
  /** Names of the aux arrays (`aux/<name>/layer<l>/W` and `/b`, shaped like network 1's layers). */
  aux?: string[];
  /** Version 1: the single network's hidden layers and tasks (arrays named without a prefix). */
  hiddenLayers?: number;
  tasks?: number;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  weightsBytes: number;
  weightsSha256: string;
  /** Anything the caller wants to keep with the model (task index, method, ...). */
  meta?: Record<string, unknown>;
}

type NamedArray = { spec: WeightSpec; data: Float32Array | Int32Array };

function networkArrays(state: NetworkState, prefix: string): NamedArray[] {
  const out: NamedArray[] = [];
  state.layers.forEach((l, i) => {
    out.push({ spec: { name: `${prefix}layer${i + 1}/W`, shape: [l.W.rows, l.W.cols], dtype: 'float32' }, data: l.W.data });
    out.push({ spec: { name: `${prefix}layer${i + 1}/b`, shape: [l.b.length], dtype: 'float32' }, data: l.b });
    out.push({ spec: { name: `${prefix}layer${i + 1}/born`, shape: [l.born.length], dtype: 'int32' }, data: l.born });
    out.push({ spec: { name: `${prefix}layer${i + 1}/copyOf`, shape: [l.copyOf.length], dtype: 'int32' }, data: l.copyOf });
  });
  state.heads.forEach((h, j) => {
    if (!h) throw new Error(`task ${j + 1} has no head; a checkpoint needs a head for every task`);
    out.push({ spec: { name: `${prefix}head${j + 1}/W`, shape: [h.W.rows, h.W.cols], dtype: 'float32' }, data: h.W.data });
    out.push({ spec: { name: `${prefix}head${j + 1}/b`, shape: [h.b.length], dtype: 'float32' }, data: h.b });
  });
  return out;
}

function arraysOf(model: ModelState): NamedArray[] {
  const out = model.networks.flatMap((n, i) => networkArrays(n, `net${i + 1}/`));
  for (const [name, layers] of Object.entries(model.aux)) {
    layers.forEach((a, l) => {
      const layer = model.networks[0].layers[l];
      out.push({ spec: { name: `aux/${name}/layer${l + 1}/W`, shape: [layer.W.rows, layer.W.cols], dtype: 'float32' }, data: a.W });
      out.push({ spec: { name: `aux/${name}/layer${l + 1}/b`, shape: [layer.b.length], dtype: 'float32' }, data: a.b });
    });
  }
  return out;
}

/** Writes the model to the folder `dir` (which must not exist yet), atomically. */
export function saveCheckpoint(dir: string, model: ModelState, meta: Record<string, unknown> = {}, extraFiles: Record<string, string> = {}): void {
  checkModel(model);
  for (const name of Object.keys(model.aux)) if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`aux name ${JSON.stringify(name)} must be letters, digits, '_' or '-'`);
  const arrays = arraysOf(model);
  const bytes = Buffer.concat(arrays.map((a) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)));
  const json: NetworkJson = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_VERSION,
    inputDim: model.networks[0].inputDim,
    routing: model.routing,
    timestamps: model.timestamps,
    networks: model.networks.map((n) => ({ hiddenLayers: n.layers.length, tasks: n.heads.length })),
    aux: Object.keys(model.aux),
    weightsManifest: [{ paths: ['weights.bin'], weights: arrays.map((a) => a.spec) }],
    weightsBytes: bytes.length,
    weightsSha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    meta,
  };
  writeDirAtomic(dir, (tmp) => {
    writeFileAtomic(path.join(tmp, 'weights.bin'), bytes);
    writeJsonAtomic(path.join(tmp, 'network.json'), json);
    for (const [name, text] of Object.entries(extraFiles)) writeFileAtomic(path.join(tmp, name), text);
  });
}

function fail(dir: string, problem: string): never {
  throw new CheckpointError(`checkpoint ${dir}: ${problem}`);
}

const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** Loads and fully checks a checkpoint folder. */
export function loadCheckpoint(dir: string): { model: ModelState; meta: Record<string, unknown> } {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'network.json'), 'utf8');
  } catch {
    fail(dir, 'network.json is missing; the task did not complete or the folder was damaged');
  }
  let json: NetworkJson;
  try {
    json = JSON.parse(text) as NetworkJson;
  } catch {
    fail(dir, 'network.json is not valid JSON (truncated or corrupt)');
  }
  if (json.format !== CHECKPOINT_FORMAT) fail(dir, `network.json is not a DEN Lab network (format ${JSON.stringify(json.format)})`);
  const v1 = json.formatVersion === 1;
  const hasLineage = json.formatVersion === CHECKPOINT_VERSION;
  if (!hasLineage && !v1 && json.formatVersion !== 2) {
    fail(dir, `format version ${json.formatVersion} is not supported (this DEN Lab reads versions 1 to ${CHECKPOINT_VERSION})${json.formatVersion > CHECKPOINT_VERSION ? '; update DEN Lab' : ''}`);
  }
  const specs = json.weightsManifest?.[0]?.weights;
  if (!Array.isArray(specs)) fail(dir, 'network.json has no weights manifest');
  const networks = v1 ? [{ hiddenLayers: json.hiddenLayers, tasks: json.tasks }] : json.networks;
  if (!Array.isArray(networks) || networks.length === 0 || !networks.every((n) => isCount(n?.hiddenLayers) && isCount(n?.tasks))) {
    fail(dir, 'network.json does not describe its networks (hidden layers and tasks of each)');
  }
  const auxNames = v1 ? [] : json.aux;
  if (!Array.isArray(auxNames) || !auxNames.every((a) => typeof a === 'string')) fail(dir, 'network.json has no list of aux arrays');
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(dir, 'weights.bin'));
  } catch {
    fail(dir, 'weights.bin is missing');
  }
  if (bytes.length !== json.weightsBytes) fail(dir, `weights.bin has ${bytes.length} bytes, expected ${json.weightsBytes} (truncated?)`);
  const sha = crypto.createHash('sha256').update(bytes).digest('hex');
  if (sha !== json.weightsSha256) fail(dir, 'weights.bin does not match its SHA-256 checksum (corrupt)');

  const arrays = new Map<string, { spec: WeightSpec; data: Float32Array | Int32Array }>();
  let offset = 0;
  for (const spec of specs) {
    const count = Array.isArray(spec.shape) ? spec.shape.reduce((a, b) => a * b, 1) : NaN;
    const end = offset + count * 4;
    if (!Number.isInteger(count) || count < 0 || end > bytes.length) fail(dir, `weight ${spec.name} does not fit in weights.bin`);
    if (arrays.has(spec.name)) fail(dir, `weight ${spec.name} appears twice in the manifest`);
    const copy = new Uint8Array(bytes.subarray(offset, end)); // aligned copy
    arrays.set(spec.name, { spec, data: spec.dtype === 'int32' ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer) });
    offset = end;
  }
  if (offset !== bytes.length) fail(dir, `weights.bin has ${bytes.length - offset} bytes that no weight describes`);
  const used = new Set<string>();
  const take = <T extends Float32Array | Int32Array>(name: string, ctor: new (...args: never[]) => T): { data: T; shape: number[] } => {
    const a = arrays.get(name);
    if (!a) fail(dir, `weight ${name} is missing`);
    if (!(a.data instanceof ctor)) fail(dir, `weight ${name} has the wrong type`);
    used.add(name);
    return { data: a.data as T, shape: a.spec.shape };
  };
  const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

  let model: ModelState;
  try {
    const states = networks.map((n, i): NetworkState => {
      const prefix = v1 ? '' : `net${i + 1}/`;
      const layers: HiddenLayer[] = [];
      for (let l = 1; l <= n.hiddenLayers!; l++) {
        const W = take(`${prefix}layer${l}/W`, Float32Array);
        if (W.shape.length !== 2) fail(dir, `weight ${prefix}layer${l}/W must be a matrix`);
        const born = take(`${prefix}layer${l}/born`, Int32Array).data;
        const copyOf = hasLineage ? take(`${prefix}layer${l}/copyOf`, Int32Array).data : born.map((b) => (b > 1 ? COPY_UNKNOWN : NOT_A_COPY));
        layers.push({ W: matrix(W.shape[0], W.shape[1], W.data), b: take(`${prefix}layer${l}/b`, Float32Array).data, born, copyOf });
      }
      const heads: Head[] = [];
      for (let j = 1; j <= n.tasks!; j++) {
        const W = take(`${prefix}head${j}/W`, Float32Array);
        if (W.shape.length !== 2) fail(dir, `weight ${prefix}head${j}/W must be a matrix`);
        heads.push({ W: matrix(W.shape[0], W.shape[1], W.data), b: take(`${prefix}head${j}/b`, Float32Array).data });
      }
      return { inputDim: json.inputDim, layers, heads };
    });
    const aux: Record<string, LayerArrays[]> = {};
    for (const name of auxNames) {
      aux[name] = states[0].layers.map((layer, l) => {
        const W = take(`aux/${name}/layer${l + 1}/W`, Float32Array);
        const b = take(`aux/${name}/layer${l + 1}/b`, Float32Array);
        if (!sameShape(W.shape, [layer.W.rows, layer.W.cols]) || !sameShape(b.shape, [layer.b.length])) {
          fail(dir, `aux array ${name} of layer ${l + 1} is shaped [${W.shape}] + [${b.shape}], the layer is [${layer.W.rows},${layer.W.cols}] + [${layer.b.length}]`);
        }
        return { W: W.data, b: b.data };
      });
    }
    const unused = [...arrays.keys()].filter((n) => !used.has(n));
    if (unused.length) fail(dir, `weight ${unused[0]} is not part of the model`);
    model = { routing: v1 ? 'shared' : json.routing!, timestamps: v1 ? true : json.timestamps!, networks: states, aux };
    if (typeof model.timestamps !== 'boolean') fail(dir, 'network.json does not say whether inference is timestamped');
    checkModel(model);
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    fail(dir, `inconsistent network: ${(err as Error).message}`);
  }
  return { model, meta: json.meta ?? {} };
}
