// A worker task for adam-replicas.test.ts, in JavaScript on core's dist/ (a pool's workers
// import compiled modules, and testing/ is not compiled): w fitted to mean((x w - y)^2) on
// rows in shared memory. A step whose batch holds `failOnRow` throws on the worker that gets
// that row (-1: none).
import * as tf from '@tensorflow/tfjs-core';
import { AdamReplica, HostRows, replicaTask } from '@qcb/core';

/** The share-weighted gradient of the least-squares loss on `rows`: each worker's, and the test's one-thread reference. */
export function leastSquaresGradient(x, y, w, rows, share) {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => tf.mul(tf.mean(tf.square(tf.sub(tf.matMul(x.gather(rows), w), y.gather(rows)))), share), [w]);
    return { value: value.dataSync()[0], grad: grads[w.name] };
  });
}

export function createLeastSquaresTask(init, worker) {
  const x = HostRows.fromShared(init.x);
  const y = HostRows.fromShared(init.y);
  const w = tf.tidy(() => tf.variable(tf.zeros([x.shape[1], 1]), true));
  const replica = new AdamReplica(w, init.replica, worker);
  const gradientOf = (rows, { start, size }, share) => {
    const own = rows.subarray(start, start + size);
    if (own.includes(init.failOnRow)) throw new Error(`row ${init.failOnRow} fails`);
    return leastSquaresGradient(x, y, w, own, share);
  };
  return replicaTask(replica, gradientOf, { calls: { publish: () => replica.publish() }, dispose: () => w.dispose() });
}
