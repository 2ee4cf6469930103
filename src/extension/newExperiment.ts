// The commented experiment file that "DEN: New Experiment" writes.
export function experimentTemplate(name: string): string {
  return `// A DEN Lab experiment. Hover a field to see its meaning, default and range.
// "DEN: Train Next Task" trains the next task with the values in this file; edit τ, σ, k… and
// "Retrain task t" to see what changes. Runs are written to runs/ next to this file.
{
  "name": ${JSON.stringify(name)},
  "method": "den",

  // The embedded 10,000 MNIST digits (no files needed); or "idx" / "csv" files of your own.
  "data": { "source": "mnist", "testFraction": 0.2, "validationFraction": 0.1, "seed": 1 },

  // 10 tasks, each a fixed random permutation of the pixels, one 10-way head per task.
  // Also: { "type": "one-vs-rest" }, { "type": "split", "groups": [[0,1],[2,3]] }, { "type": "rotated", "angles": [0, 45, 90] }
  "tasks": { "type": "permuted", "count": 10 },

  "network": { "hidden": [312, 128], "loss": "sigmoid-bce" },

  "den": {
    "tau": 0.01,     // τ: expand when the loss after selective retraining stays above τ
    "sigma": 0.05,   // σ: split units whose incoming weights drifted more than σ
    "k": 10,         // units added per hidden layer on expansion
    "mu": 1e-5,      // μ: L1 soft-threshold per step (sparsity)
    "gamma": 1e-3,   // γ: group-lasso threshold per step on new units
    "lambda": 0.5    // λ: drift penalty in selective retraining
  },

  "training": { "epochs": 5, "batchSize": 256, "learningRate": 0.001, "seed": 1 },

  // auto = the best installed TensorFlow.js backend (native, WebAssembly, then JavaScript)
  "backend": "auto"
}
`;
}
