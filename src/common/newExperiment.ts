// The commented experiment file that "DEN Lab: New Experiment" writes. The values are the schema's
// defaults, so the template never disagrees with them.
import { defaultExperiment } from '../engine/experiment';

export function experimentTemplate(name: string): string {
  const d = defaultExperiment(name);
  const n = (v: unknown) => JSON.stringify(v);
  /** `"key": value,` padded so that the comments line up. */
  const field = (key: string, value: unknown, comment: string, last = false) => `    ${`"${key}": ${n(value)}${last ? '' : ','}`.padEnd(17)}// ${comment}`;
  return `// A DEN Lab experiment. Hover a field to see its meaning, default and range.
// "DEN Lab: Train Next Task" trains the next task with the values in this file; edit τ, σ, k… and
// "Retrain task t" to see what changes. Runs are written to runs/ next to this file.
{
  "name": ${n(name)},
  "method": "den",

  // The embedded 10,000 MNIST digits (no files needed); or "idx" / "csv" files of your own.
  "data": { "source": "mnist", "testFraction": ${d.data.testFraction}, "validationFraction": ${d.data.validationFraction}, "seed": ${d.data.seed} },

  // 10 tasks, each a fixed random permutation of the pixels, one 10-way head per task.
  // Also: { "type": "one-vs-rest" }, { "type": "split", "groups": [[0,1],[2,3]] }, { "type": "rotated", "angles": [0, 45, 90] }
  "tasks": { "type": "permuted", "count": 10 },

  "network": { "hidden": [${d.network.hidden.join(', ')}], "loss": ${n(d.network.loss)} },

  "den": {
${field('tau', d.den.tau, 'τ: expand when the loss after selective retraining stays above τ')}
${field('sigma', d.den.sigma, 'σ: split units whose incoming weights and bias drifted more than σ')}
${field('k', d.den.k, 'units added per hidden layer on expansion')}
${field('mu', d.den.mu, 'μ: L1 on the new head and units (a weight whose gradient stays below μ is 0)')}
${field('firstTaskMu', d.den.firstTaskMu, 'μ of task 1: the sparsity that selection follows')}
${field('gamma', d.den.gamma, 'γ: group lasso on new units (a unit whose gradient stays below γ is removed)')}
${field('lambda', d.den.lambda, 'λ: drift penalty in selective retraining', true)}
  },

  "training": { "epochs": ${d.training.epochs}, "batchSize": ${d.training.batchSize}, "learningRate": ${d.training.learningRate}, "seed": ${d.training.seed} },

  // auto = the best installed TensorFlow.js backend (native, WebAssembly, then JavaScript)
  "backend": "auto"
}
`;
}
