// The optimiser of a training stage: Adam on the data gradient plus the analytic regulariser
// gradients (coupled weight decay, the drift penalty λ·½‖θ − θ(t−1)‖², optionally weighted per
// entry as EWC's λ·½·F⊙(θ − θ*)²), per-entry masks, decoupled weight decay, and the proximal steps
// after every update (L1 soft-threshold μ, group lasso γ on chosen columns). Adam restarts every
// stage (reference code).
//
// Every tensor op is a kernel call and a pass over the variable, so this is written for few of them
// per variable and step (test/engine/adamProx.test.ts checks it against the plain formulation):
// the moments are kept unnormalised (M = m/(1−β1), V = v/(1−β2): one multiply fewer each) and every
// constant factor is folded into per-step scalars; √V is computed once for Adam's step and the
// proximal thresholds; the regulariser terms are summed with one addN and the mask is applied to
// the gradient once (frozen entries then have M = V = 0 and a step of exactly 0); terms that are
// identities for a variable (no mask or an all-ones mask, no anchor, no threshold) are not issued;
// a variable whose mask is all zeros and that has no group is skipped.
import * as tf from '@tensorflow/tfjs-core';
import type { ProximalScale } from './experiment';
import { variableOf } from './tensors';

/** A variable that a stage trains, and how. */
export interface TrainableParam {
  variable: tf.Variable;
  /** 1 where the entry may change; absent = every entry trains. Frozen entries stay bit-identical. */
  mask?: Float32Array;
  /** Weights get weight decay and the L1 prox; biases get neither. */
  isWeight: boolean;
  /** θ(t−1) for the drift penalty (same shape); absent = no drift penalty. */
  anchor?: Float32Array;
  /** Per-entry weight of the drift penalty (EWC's Fisher diagonal); absent = 1 everywhere. */
  anchorWeight?: Float32Array;
  /** 1 for columns (units) whose incoming weights form a group for the group-lasso prox. */
  groupColumns?: Float32Array;
  /** The group-lasso coefficient of those columns (multiplied by the learning rate unless per-step). */
  groupThreshold?: number;
}

/** The regularisation of a stage (shared by its variables). */
export interface UpdateSettings {
  weightDecay: number;
  /** Weight decay as a separate shrink w ← w − lr·wd·w (AdamW) instead of a gradient term that Adam normalises. */
  decoupledWeightDecay: boolean;
  /** λ of the drift penalty (used by params with an anchor). */
  lambda: number;
  /** μ of the L1 prox (0 = off). */
  mu: number;
  proximal: ProximalScale;
}

/** A stage's optimiser state. `step` runs inside the caller's tf.tidy; `dispose` frees the state. */
export interface StageOptimizer {
  /** Step t (from 1) with learning rate lr, given the data-loss gradient of every variable by name (disposed once used). */
  step(grads: tf.NamedTensorMap, t: number, lr: number): void;
  dispose(): void;
}

export type OptimizerFactory = (params: TrainableParam[], settings: UpdateSettings) => StageOptimizer;

export const BETA1 = 0.9;
export const BETA2 = 0.999;
export const EPSILON = 1e-8;

const allAre = (a: Float32Array, value: number): boolean => a.every((x) => x === value);

/**
 * f() in its own tidy, then the tensors `done` disposed (nothing reads them again). The update
 * is a chain of these so that few tensors of a variable's size are alive at once (4 to 6; one
 * tidy over the whole step held 14 to 25): the WASM heap grows to the most that ever was and
 * never shrinks (npm start's ended at 100 MB that way; see the README's Memory section).
 */
function then<T extends tf.Tensor>(f: () => T, ...done: tf.Tensor[]): T {
  const y = tf.tidy(f);
  tf.dispose(done);
  return y;
}

export const adamProx: OptimizerFactory = (params, settings) => {
  const { weightDecay, decoupledWeightDecay, lambda, mu, proximal } = settings;
  const owned: tf.Tensor[] = [];
  const own = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const state = params.flatMap((p) => {
    const shape = p.variable.shape;
    const mask = p.mask && !allAre(p.mask, 1) ? p.mask : null;
    const grouped = p.groupColumns !== undefined && (p.groupThreshold ?? 0) > 0;
    if (mask && allAre(mask, 0) && !grouped) return [];
    const anchored = p.anchor !== undefined && lambda > 0;
    return [
      {
        W: p.variable,
        mask: mask ? own(tf.tensor(mask, shape)) : null,
        anchor: anchored ? own(tf.tensor(p.anchor!, shape)) : null,
        /** λ, or λ·F for a weighted anchor. */
        pull: anchored && p.anchorWeight ? own(tf.tidy(() => tf.mul(tf.tensor(p.anchorWeight!, shape), lambda))) : lambda,
        coupledDecay: p.isWeight && weightDecay > 0 && !decoupledWeightDecay,
        decoupledDecay: p.isWeight && weightDecay > 0 && decoupledWeightDecay,
        l1: p.isWeight && mu > 0,
        group: grouped ? own(tf.tensor1d(p.groupColumns!)) : null,
        ungrouped: grouped ? own(tf.tensor1d(p.groupColumns!.map((g) => 1 - g))) : null,
        groupThreshold: p.groupThreshold ?? 0,
        M: own(variableOf(tf.zeros(shape), false)),
        V: own(variableOf(tf.zeros(shape), false)),
      },
    ];
  });

  return {
    step(grads, t, lr) {
      // Adam: m = (1−β1)·M, v = (1−β2)·V; the step lr·√(1−β2ᵗ)/(1−β1ᵗ)·m/(√v + ε) is c·M/(√V + ε/√(1−β2))
      const sqrt1mB2 = Math.sqrt(1 - BETA2);
      const stepScale = tf.scalar((lr * Math.sqrt(1 - BETA2 ** t) * (1 - BETA1)) / ((1 - BETA1 ** t) * sqrt1mB2));
      const adamEps = tf.scalar(EPSILON / sqrt1mB2);
      const b1 = tf.scalar(BETA1);
      const b2 = tf.scalar(BETA2);
      // The proximal thresholds in Adam's metric, θ/(√v̂ + ε) with v̂ = k·V, k = (1−β2)/(1−β2ᵗ), are (θ/√k)/(√V + ε/√k).
      const proxScale = proximal === 'per-step' ? 1 : lr;
      const sqrtK = Math.sqrt((1 - BETA2) / (1 - BETA2 ** t));
      const proxEps = tf.scalar(EPSILON / sqrtK);
      const muT = mu * proxScale;
      const l1Numerator = tf.scalar(proximal === 'adam' ? muT / sqrtK : muT);
      for (const s of state) {
        const { W } = s;
        const grad = grads[W.name];
        let g = grad;
        if (s.coupledDecay || s.anchor) {
          const terms: tf.Tensor[] = [grad];
          if (s.coupledDecay) terms.push(tf.mul(W, weightDecay));
          if (s.anchor) terms.push(then(() => tf.mul(tf.sub(W, s.anchor!), s.pull)));
          g = then(() => tf.addN(terms), ...terms);
        }
        if (s.mask) g = then(() => tf.mul(g, s.mask!), g);
        // the variables take the new moments' data (assign shares it): s.M and s.V are M and V from here on
        s.M.assign(then(() => tf.add(tf.mul(s.M, b1), g)));
        s.V.assign(then(() => tf.add(tf.mul(s.V, b2), tf.square(g)), g, grad));
        const sqrtV = tf.sqrt(s.V);
        const denominator = then(() => tf.add(sqrtV, adamEps));
        const ratio = then(() => tf.div(s.M, denominator), denominator);
        const adamStep = then(() => tf.mul(ratio, stepScale), ratio);
        let next = then(() => tf.sub(s.decoupledDecay && !s.mask ? tf.mul(W, 1 - lr * weightDecay) : W, adamStep), adamStep);
        if (s.decoupledDecay && s.mask) next = then(() => tf.sub(next, tf.mul(tf.mul(W, lr * weightDecay), s.mask!)), next);
        // the L1 thresholds in Adam's metric are the last use of √V
        const theta = s.l1 && proximal === 'adam' ? then(() => tf.div(l1Numerator, tf.add(sqrtV, proxEps))) : null;
        sqrtV.dispose();
        if (theta) {
          // soft-threshold: w − clip(w, −θ, θ), exactly 0 when |w| ≤ θ; with a per-entry θ as
          // relu(w − θ) − relu(−w − θ) (the same floats): WASM's Minimum, Maximum and Sign kernels
          // are several times slower than Relu, Sub and Neg
          const masked = s.mask ? then(() => tf.mul(theta, s.mask!), theta) : theta;
          const negated = tf.neg(next);
          const above = then(() => tf.relu(tf.sub(next, masked)), next);
          const below = then(() => tf.relu(tf.sub(negated, masked)), negated, masked);
          next = then(() => tf.sub(above, below), above, below);
        } else if (s.l1) {
          next = then(() => {
            const shrink = tf.clipByValue(next, -muT, muT);
            return tf.sub(next, s.mask ? tf.mul(shrink, s.mask) : shrink);
          }, next);
        }
        if (s.group) {
          // group lasso on each chosen column: w · max(0, 1 − θ/‖w‖), exactly 0 when ‖w‖ ≤ θ; in
          // Adam's metric θ = lr·γ/RMS(gradient of the group), so a group dies when its gradient's RMS stays below γ
          next = then(() => {
            const gamma = s.groupThreshold * proxScale;
            const theta = proximal === 'adam' ? tf.div(gamma / sqrtK, tf.add(tf.sqrt(tf.mean(s.V, 0)), proxEps)) : gamma;
            const norms = tf.sqrt(tf.sum(tf.square(next), 0));
            const factor = tf.relu(tf.sub(1, tf.div(theta, tf.maximum(norms, 1e-12))));
            return tf.mul(next, tf.add(s.ungrouped!, tf.mul(s.group!, factor)));
          }, next);
        }
        W.assign(next);
        next.dispose();
      }
    },
    dispose() {
      tf.dispose(owned);
    },
  };
};
