// The capacity DEN is measured against: STL (single-task learning) trains an independent network
// of the initial size per task, so its parameters are what "% of STL" divides by.

/** Parameters of STL over tasks with these output widths: per task, the hidden layers and that task's head. */
export function stlParams(hidden: number[], inputDim: number, outputs: number[]): number {
  let perNetwork = 0;
  hidden.forEach((n, l) => (perNetwork += (l === 0 ? inputDim : hidden[l - 1]) * n + n));
  return outputs.reduce((sum, o) => sum + perNetwork + hidden[hidden.length - 1] * o + o, 0);
}
