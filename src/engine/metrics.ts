// Scores of one task (accuracy, AUROC) and the continual-learning metrics over the accuracy matrix
// R[i][j] = score on task j after training task i (GEM: ACC, BWT, FWT; Chaudhry et al.: forgetting).
// All indices here are 0-based; R[i] has entries for tasks 0..i.

/**
 * Accuracy from a head's scores (logits, or log-probabilities of a softmax head): argmax over
 * outputs, or logit > 0 (probability > 0.5) for a single-output (binary) head.
 */
export function accuracy(scores: Float32Array, targets: Int32Array, outputs: number): number {
  const n = targets.length;
  if (n === 0) return NaN;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let predicted: number;
    if (outputs === 1) predicted = scores[i] > 0 ? 1 : 0;
    else {
      predicted = 0;
      for (let o = 1; o < outputs; o++) if (scores[i * outputs + o] > scores[i * outputs + predicted]) predicted = o;
    }
    if (predicted === targets[i]) correct++;
  }
  return correct / n;
}

/**
 * Area under the ROC curve by the trapezoid rule over distinct thresholds, so tied scores count
 * half (as sklearn's roc_auc_score). Null when there are no positives or no negatives.
 */
export function auroc(scores: ArrayLike<number>, positive: ArrayLike<number>): number | null {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let pos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) pos++;
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  let tp = 0;
  let fp = 0;
  let area = 0;
  for (let i = 0; i < n; ) {
    const tpBefore = tp;
    const fpBefore = fp;
    const s = scores[idx[i]];
    while (i < n && scores[idx[i]] === s) {
      if (positive[idx[i]]) tp++;
      else fp++;
      i++;
    }
    area += ((fp - fpBefore) * (tp + tpBefore)) / 2;
  }
  return area / (pos * neg);
}

/**
 * Mean one-vs-rest AUROC over the outputs (outputs without both classes are skipped). The scores
 * must rank like the probabilities; logits do, and unlike float32 probabilities they do not
 * saturate into ties at 0 and 1.
 */
export function meanAuroc(scores: Float32Array, targets: Int32Array, outputs: number): number | null {
  if (outputs === 1) return auroc(scores, targets);
  const n = targets.length;
  const values: number[] = [];
  const column = new Float32Array(n);
  const isClass = new Uint8Array(n);
  for (let o = 0; o < outputs; o++) {
    for (let i = 0; i < n; i++) {
      column[i] = scores[i * outputs + o];
      isClass[i] = targets[i] === o ? 1 : 0;
    }
    const a = auroc(column, isClass);
    if (a !== null) values.push(a);
  }
  return values.length ? values.reduce((x, y) => x + y, 0) / values.length : null;
}

export interface ContinualMetrics {
  /** ACC = mean of the last row. */
  acc: number | null;
  /** BWT = mean over i < T of R[T][i] − R[i][i] (negative = forgetting). */
  bwt: number | null;
  /** FWT = mean over i ≥ 2 of R[i−1][i] − b[i]: the score before training a task vs a random model's. */
  fwt: number | null;
  /** Chaudhry forgetting: mean over j < T of max_{l<T} R[l][j] − R[T][j]. */
  forgetting: number | null;
  /** A_k: average over the first k tasks after task k, for every k. */
  average: number[];
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/**
 * @param R        R[i][j], j ≤ i
 * @param before   before[i] = score on task i just before training it (R[i−1][i]); before[0] unused
 * @param baseline baseline[i] = score of the randomly initialised model on task i
 */
export function continualMetrics(R: (number | null)[][], before: (number | null)[], baseline: (number | null)[]): ContinualMetrics {
  const T = R.length;
  const num = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
  const average = R.map((row) => mean(row.filter(num)) ?? NaN);
  if (T === 0) return { acc: null, bwt: null, fwt: null, forgetting: null, average };
  const last = R[T - 1];
  const acc = mean(last.filter(num));
  const bwtTerms: number[] = [];
  const forgetTerms: number[] = [];
  for (let j = 0; j < T - 1; j++) {
    const final = last[j];
    if (!num(final)) continue;
    const diag = R[j][j];
    if (num(diag)) bwtTerms.push(final - diag);
    const earlier = R.slice(j, T - 1).map((row) => row[j]).filter(num);
    if (earlier.length) forgetTerms.push(Math.max(...earlier) - final);
  }
  const fwtTerms: number[] = [];
  for (let i = 1; i < T; i++) {
    const b = before[i];
    const base = baseline[i];
    if (num(b) && num(base)) fwtTerms.push(b - base);
  }
  return { acc, bwt: mean(bwtTerms), fwt: mean(fwtTerms), forgetting: mean(forgetTerms), average };
}
