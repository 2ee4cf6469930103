import { strict as assert } from 'node:assert';
import { accuracy, auroc, continualMetrics, meanAuroc } from '../../src/engine/metrics';
import { Rng } from '../../src/engine/random';

const close = (actual: number | null, expected: number, what = 'value', tol = 1e-12) => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected}`);
};

describe('metrics: accuracy', () => {
  it('takes the argmax over outputs; a tie picks the first of the tied outputs', () => {
    const probs = Float32Array.of(
      0.2, 0.5, 0.3, // → 1, target 1: correct
      0.4, 0.4, 0.2, // tie 0/1 → 0, target 0: correct
      0.1, 0.45, 0.45, // tie 1/2 → 1, target 2: wrong
      0.3, 0.3, 0.3, // all tied → 0, target 2: wrong
    );
    assert.equal(accuracy(probs, Int32Array.of(1, 0, 2, 2), 3), 0.5);
    // the same rows with the targets the tie-break predicts
    assert.equal(accuracy(probs, Int32Array.of(1, 0, 1, 0), 3), 1);
  });

  it('a single output predicts 1 only when its logit is strictly greater than 0 (probability > 0.5)', () => {
    const logits = Float32Array.of(0, 0.04, -1.4, 2.2, -0.0004);
    // predictions: 0, 1, 0, 1, 0
    assert.equal(accuracy(logits, Int32Array.of(1, 1, 0, 0, 0), 1), 3 / 5);
    assert.equal(accuracy(logits, Int32Array.of(0, 1, 0, 1, 0), 1), 1);
  });

  it('is NaN without examples', () => {
    assert.ok(Number.isNaN(accuracy(new Float32Array(0), new Int32Array(0), 3)));
  });
});

describe('metrics: auroc', () => {
  it('matches hand-computed values', () => {
    // positives 0.35, 0.8; negatives 0.1, 0.4. Pairs (pos > neg): 0.8>0.1, 0.8>0.4, 0.35>0.1; 0.35<0.4 → 3/4
    close(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
    // positives 0.9, 0.3; negatives 0.5, 0.1, 0.2: 0.9 beats 3, 0.3 beats 0.1 and 0.2 → 5/6
    close(auroc([0.9, 0.5, 0.3, 0.1, 0.2], [1, 0, 1, 0, 0]), 5 / 6);
  });

  it('counts a tied positive/negative pair as one half', () => {
    // positives 0.9, 0.5; negatives 0.5, 0.1: 1 + 1 + ½ (0.5 vs 0.5) + 1 → 3.5/4
    close(auroc([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]), 0.875);
    // a tie group mixing 2 positives and 1 negative: positives 0.7, 0.7, 0.2; negatives 0.7, 0.1
    // 0.7 vs 0.7: ½ each (2 pairs), 0.7 vs 0.1: 1 each (2), 0.2 vs 0.7: 0, 0.2 vs 0.1: 1 → 4/6
    close(auroc([0.7, 0.7, 0.2, 0.7, 0.1], [1, 1, 1, 0, 0]), 4 / 6);
    // all scores tied → ½
    close(auroc([0.3, 0.3, 0.3, 0.3, 0.3], [1, 0, 0, 1, 0]), 0.5);
  });

  it('is 1 for a perfect ranking and 0 for an inverted one, whatever the input order', () => {
    close(auroc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]), 1);
    close(auroc([0.1, 0.9, 0.2, 0.8], [0, 1, 0, 1]), 1);
    close(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
    close(auroc(Float32Array.of(0.2, 0.1, 0.9), Int32Array.of(1, 1, 0)), 0);
  });

  it('is null without positives or without negatives', () => {
    assert.equal(auroc([0.1, 0.9], [0, 0]), null);
    assert.equal(auroc([0.1, 0.9], [1, 1]), null);
    assert.equal(auroc([], []), null);
  });

  it('equals the fraction of correctly ordered (positive, negative) pairs on random data with many ties', () => {
    const rng = new Rng(31);
    for (let trial = 0; trial < 50; trial++) {
      const n = 2 + rng.int(60);
      const scores = Array.from({ length: n }, () => rng.int(6) / 5); // six distinct values: many ties
      const labels = Array.from({ length: n }, () => (rng.next() < 0.4 ? 1 : 0));
      let pairs = 0;
      let wins = 0;
      for (let i = 0; i < n; i++) {
        if (!labels[i]) continue;
        for (let j = 0; j < n; j++) {
          if (labels[j]) continue;
          pairs++;
          wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
        }
      }
      const got = auroc(scores, labels);
      if (pairs === 0) assert.equal(got, null);
      else close(got, wins / pairs, `trial ${trial}`, 1e-12);
    }
  });
});

describe('metrics: meanAuroc', () => {
  it('averages one-vs-rest AUROC over outputs, skipping outputs without both classes', () => {
    const probs = Float32Array.of(
      0.9, 0.1, 0.3, // target 0
      0.2, 0.6, 0.1, // target 1
      0.4, 0.5, 0.2, // target 0
      0.5, 0.05, 0.9, // target 1
    );
    const targets = Int32Array.of(0, 1, 0, 1);
    // output 0: positives 0.9, 0.4 vs negatives 0.2, 0.5 → 3/4
    // output 1: positives 0.6, 0.05 vs negatives 0.1, 0.5 → 2/4
    // output 2: class 2 never occurs → skipped (not counted as 0 or ½)
    close(meanAuroc(probs, targets, 3), (0.75 + 0.5) / 2);
  });

  it('is the plain AUROC for one output, and null when no output has both classes', () => {
    close(meanAuroc(Float32Array.of(0.1, 0.4, 0.35, 0.8), Int32Array.of(0, 0, 1, 1), 1), 0.75);
    assert.equal(meanAuroc(Float32Array.of(0.1, 0.4), Int32Array.of(1, 1), 1), null);
    // two outputs, every target 0: output 0 has no negatives, output 1 no positives
    assert.equal(meanAuroc(Float32Array.of(0.9, 0.1, 0.8, 0.2), Int32Array.of(0, 0), 2), null);
  });
});

describe('metrics: continualMetrics', () => {
  // R[i][j] = score on task j after training task i (0-based), T = 3
  const R = [
    [0.9],
    [0.95, 0.85],
    [0.7, 0.95, 0.6],
  ];
  const before = [null, 0.55, 0.6]; // score on task i just before training it
  const baseline = [0.5, 0.5, 0.45]; // score of the untrained model

  it('computes ACC, BWT, FWT, Chaudhry forgetting and the A_k averages', () => {
    const m = continualMetrics(R, before, baseline);
    // ACC = mean of the last row = (0.7 + 0.95 + 0.6) / 3 = 0.75
    close(m.acc, 0.75, 'acc');
    // BWT = ((R20 − R00) + (R21 − R11)) / 2 = ((0.7 − 0.9) + (0.95 − 0.85)) / 2 = −0.05
    close(m.bwt, -0.05, 'bwt');
    // FWT = ((before1 − b1) + (before2 − b2)) / 2 = ((0.55 − 0.5) + (0.6 − 0.45)) / 2 = 0.1
    close(m.fwt, 0.1, 'fwt');
    // forgetting, max over l ∈ j..T−2:
    //   j = 0: max(R00, R10) − R20 = 0.95 − 0.7 = 0.25   (R10, not R00: not the Avalanche variant)
    //   j = 1: R11 − R21 = 0.85 − 0.95 = −0.1           (may be negative: last row not in the max)
    //   F = (0.25 − 0.1) / 2 = 0.075
    close(m.forgetting, 0.075, 'forgetting');
    // A_1 = 0.9, A_2 = (0.95 + 0.85) / 2 = 0.9, A_3 = 0.75
    assert.equal(m.average.length, 3);
    m.average.forEach((a, k) => close(a, [0.9, 0.9, 0.75][k], `A_${k + 1}`));
  });

  it('gives null BWT, FWT and forgetting for a single task', () => {
    const m = continualMetrics([[0.8]], [null], [0.5]);
    close(m.acc, 0.8, 'acc');
    assert.equal(m.bwt, null);
    assert.equal(m.fwt, null);
    assert.equal(m.forgetting, null);
    assert.deepEqual(m.average, [0.8]);
  });

  it('skips missing scores (null) instead of treating them as 0', () => {
    // task 0's AUROC was undefined when it was trained; task 1's before-score is missing
    const m = continualMetrics([[null], [0.5, 0.7]], [null, null], [0.5, 0.5]);
    close(m.acc, 0.6, 'acc');
    assert.equal(m.bwt, null); // needs R00
    assert.equal(m.forgetting, null); // no earlier score of task 0
    assert.equal(m.fwt, null);
    assert.ok(Number.isNaN(m.average[0]));
    close(m.average[1], 0.6, 'A_2');
  });

  it('returns nulls and no averages without tasks', () => {
    assert.deepEqual(continualMetrics([], [], []), { acc: null, bwt: null, fwt: null, forgetting: null, average: [] });
  });
});
