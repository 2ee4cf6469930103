// What the Units tab draws, read from a checkpoint (no training, no TF.js): the incoming weights of
// every unit of one hidden layer, its lineage, whether the inputs are image pixels and, for permuted
// tasks, each task's pixel order so that a unit can be seen in the order its task's inputs came in.
import * as fs from 'fs';
import * as path from 'path';
import type { OutgoingWeightSchema, UnitWeights } from '../common/protocol';
import type * as v from 'valibot';
import { taskPermutation } from './data/tasks';
import { validateExperiment, type Experiment } from './experiment';
import { loadCheckpoint } from './run/checkpoint';
import type { NetworkState } from './network/state';

type Outgoing = v.InferOutput<typeof OutgoingWeightSchema>;

/** The image shape of the inputs, when they are the pixels of one: MNIST, or data that declares it. */
function imageShapeOf(exp: Experiment, inputs: number): [number, number] | null {
  const declared = 'imageShape' in exp.data ? exp.data.imageShape : undefined;
  if (declared && declared[0] * declared[1] === inputs) return [declared[0], declared[1]];
  if (exp.data.source === 'mnist' && inputs === 784) return [28, 28];
  // IDX image files: the checkpoint does not carry the shape; a square is the usual case
  const side = Math.round(Math.sqrt(inputs));
  return exp.data.source === 'idx' && side * side === inputs ? [side, side] : null;
}

/** The three strongest outgoing weights of unit u of layer l (into the layer above, or the heads). */
function strongestOutgoing(s: NetworkState, l: number, u: number): Outgoing[] {
  const found: Outgoing[] = [];
  const above = s.layers[l + 1];
  if (above) {
    for (let c = 0; c < above.W.cols; c++) found.push({ layer: l + 2, task: null, unit: c, weight: above.W.data[u * above.W.cols + c] });
  } else {
    s.heads.forEach((h, j) => {
      if (!h || u >= h.W.rows) return; // a task's head reads only the units born at or before it
      for (let o = 0; o < h.W.cols; o++) found.push({ layer: null, task: j + 1, unit: o, weight: h.W.data[u * h.W.cols + o] });
    });
  }
  return found
    .filter((f) => f.weight !== 0)
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))
    .slice(0, 3);
}

/**
 * The Units view of hidden layer `layer` (1-based) in the checkpoint folder `dir` (the model after
 * task `task`, with its experiment.json). Throws CheckpointError / ExperimentError on a bad folder.
 */
export function unitWeights(dir: string, task: number, layer: number): UnitWeights {
  const { model } = loadCheckpoint(dir);
  if (model.routing === 'per-task') throw new Error(`${model.routing} models have a network per task; the Units view shows one shared network`);
  const s = model.networks[0];
  const hidden = s.layers[layer - 1];
  if (!hidden) throw new Error(`the network has ${s.layers.length} hidden layers, not ${layer}`);
  const exp = validateExperiment(JSON.parse(fs.readFileSync(path.join(dir, 'experiment.json'), 'utf8')), path.join(dir, 'experiment.json'));
  const { rows: inputs, cols: units } = hidden.W;
  // unit after unit: the transpose of W (inputs × units)
  const perUnit = new Float32Array(inputs * units);
  let scale = 0;
  for (let r = 0; r < inputs; r++) {
    for (let c = 0; c < units; c++) {
      const w = hidden.W.data[r * units + c];
      perUnit[c * inputs + r] = w;
      scale = Math.max(scale, Math.abs(w));
    }
  }
  const image = layer === 1 ? imageShapeOf(exp, inputs) : null;
  const permuted = layer === 1 && exp.tasks.type === 'permuted';
  return {
    task,
    layer,
    inputs,
    units,
    weights: Buffer.from(perUnit.buffer).toString('base64'),
    scale,
    born: Array.from(hidden.born),
    copyOf: Array.from(hidden.copyOf),
    image,
    pixelOrder: Array.from({ length: task }, (_, i) => (permuted ? Array.from(taskPermutation(inputs, exp.data.seed, i + 1)) : null)),
    outgoing: Array.from({ length: units }, (_, u) => strongestOutgoing(s, layer - 1, u)),
  };
}
