import * as tf from '@tensorflow/tfjs-core';
import { defenseModule } from '@qcb/core';
import { createLac, type Distance } from '@qcb/defense-lac';

/** Mean absolute difference: less sensitive than the squared distance to a few large activations. */
export const meanAbsolute: Distance = (output, target) => tf.mean(tf.abs(tf.sub(output, target))) as tf.Scalar;

/**
 * A new defense, written outside the qcb packages: LAC's per-unit correction with an L1
 * distance. The default export is the inversify ContainerModule that registers it, so
 * `qcb purify --plugin <this file> --defense lac-l1` finds it by name.
 */
export default defenseModule('lac-l1', 'LAC with an L1 reconstruction distance (examples/custom-defense)', createLac({ distance: meanAbsolute, termName: 'lac-l1:reconstruction' }));
