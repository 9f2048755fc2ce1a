// A worker task for plain-tensor.test.ts, in JavaScript on core's dist/ (a pool's workers
// import compiled modules, and testing/ is not compiled): it reports the sums of the plain
// tensors its init holds, and answers `twice` with a plain tensor of its own (2 x the first).
import * as tf from '@tensorflow/tfjs-core';
import { toPlainTensor } from '@qcb/core';

const sum = (p) => p.values.reduce((a, b) => a + b, 0);

export function createPlainEchoTask(init) {
  return {
    call(kind) {
      if (kind === 'sums') return init.plain.map(sum);
      if (kind === 'twice') return tf.tidy(() => toPlainTensor(tf.mul(tf.tensor(init.plain[0].values, [...init.plain[0].shape]), 2)));
      throw new Error(`unknown call ${kind}`);
    },
    dispose() {},
  };
}
