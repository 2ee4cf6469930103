// Small TF.js helpers that keep the tensor count honest.
import * as tf from '@tensorflow/tfjs-core';

/** A variable holding `init`'s values; `init` itself is disposed (tf.variable keeps a reference to it otherwise). */
export function variableOf<R extends tf.Rank>(init: tf.Tensor<R>, trainable = true): tf.Variable<R> {
  const v = tf.variable(init, trainable);
  init.dispose();
  return v;
}
