// Fresh weights: the initial network and a new task's head (Glorot uniform, zero biases).
import { Rng, glorotUniform } from '../random';
import { Head, NetworkState, matrix, notCopies } from './state';

export function initialState(inputDim: number, hidden: number[], rng: Rng): NetworkState {
  let below = inputDim;
  const layers = hidden.map((n) => {
    const W = matrix(below, n, glorotUniform(below * n, below, n, rng));
    below = n;
    return { W, b: new Float32Array(n), born: new Int32Array(n).fill(1), copyOf: notCopies(n) };
  });
  return { inputDim, layers, heads: [] };
}

export function newHead(rows: number, outputs: number, rng: Rng): Head {
  return { W: matrix(rows, outputs, glorotUniform(rows * outputs, rows, outputs, rng)), b: new Float32Array(outputs) };
}
