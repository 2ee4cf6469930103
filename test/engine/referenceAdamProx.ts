// The stage update as it was written before adamProx.ts fused it: Adam with normalised moments and
// every regulariser, mask and proximal term spelt out per variable, one op at a time. The
// reference that test/engine/adamProx.test.ts and bench/fused-update.ts compare the fused one to.
import * as tf from '@tensorflow/tfjs-core';
import { BETA1, BETA2, EPSILON, OptimizerFactory } from '../../src/engine/adamProx';
import { variableOf } from '../../src/engine/tensors';

export const referenceAdamProx: OptimizerFactory = (params, spec) => {
  const state = params.map((p) => {
    const shape = p.variable.shape;
    return {
      p,
      mask: p.mask ? tf.tensor(p.mask, shape) : null,
      anchor: p.anchor ? tf.tensor(p.anchor, shape) : null,
      anchorWeight: p.anchor && p.anchorWeight ? tf.tensor(p.anchorWeight, shape) : null,
      group: p.groupColumns && (p.groupThreshold ?? 0) > 0 ? tf.tensor1d(p.groupColumns) : null,
      m: variableOf(tf.zeros(shape), false),
      v: variableOf(tf.zeros(shape), false),
    };
  });
  return {
    step(grads, t, lr) {
      const lrT = lr * (Math.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t));
      const proxScale = spec.proximal === 'per-step' ? 1 : lr;
      const mu = spec.mu * proxScale;
      const vCorrection = 1 / (1 - BETA2 ** t);
      const decays = (s: (typeof state)[number]) => s.p.isWeight && spec.weightDecay > 0;
      for (const s of state) {
        const W = s.p.variable;
        let g: tf.Tensor = grads[W.name];
        if (decays(s) && !spec.decoupledWeightDecay) g = tf.add(g, tf.mul(W, spec.weightDecay));
        if (s.anchor && spec.lambda > 0) {
          const pull = tf.mul(tf.sub(W, s.anchor), spec.lambda);
          g = tf.add(g, s.anchorWeight ? tf.mul(pull, s.anchorWeight) : pull);
        }
        if (s.mask) g = tf.mul(g, s.mask);
        const m = tf.add(tf.mul(s.m, BETA1), tf.mul(g, 1 - BETA1));
        const v = tf.add(tf.mul(s.v, BETA2), tf.mul(tf.square(g), 1 - BETA2));
        let next: tf.Tensor = tf.sub(W, tf.div(tf.mul(m, lrT), tf.add(tf.sqrt(v), EPSILON)));
        if (decays(s) && spec.decoupledWeightDecay) {
          const shrink = tf.mul(W, lr * spec.weightDecay);
          next = tf.sub(next, s.mask ? tf.mul(shrink, s.mask) : shrink);
        }
        const vHat = spec.proximal === 'adam' && (mu > 0 || s.group) ? tf.mul(v, vCorrection) : null;
        if (s.p.isWeight && mu > 0) {
          const theta = vHat ? tf.div(mu, tf.add(tf.sqrt(vHat), EPSILON)) : mu;
          const shrink = vHat ? tf.mul(tf.sign(next), tf.minimum(tf.abs(next), theta)) : tf.clipByValue(next, -mu, mu);
          next = tf.sub(next, s.mask ? tf.mul(shrink, s.mask) : shrink);
        }
        if (s.group) {
          const gamma = s.p.groupThreshold! * proxScale;
          const theta = vHat ? tf.div(gamma, tf.add(tf.sqrt(tf.mean(vHat, 0)), EPSILON)) : gamma;
          const norms = tf.sqrt(tf.sum(tf.square(next), 0));
          const factor = tf.relu(tf.sub(1, tf.div(theta, tf.maximum(norms, 1e-12))));
          next = tf.mul(next, tf.add(tf.sub(1, s.group), tf.mul(s.group, factor)));
        }
        s.m.assign(m);
        s.v.assign(v);
        W.assign(next);
      }
    },
    dispose() {
      for (const s of state) tf.dispose([s.mask, s.anchor, s.anchorWeight, s.group, s.m, s.v].filter((t): t is tf.Tensor => t !== null));
    },
  };
};
