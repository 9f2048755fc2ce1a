import * as tf from '@tensorflow/tfjs-core';
import { leadingAxesReductionConfig } from './leading-axes-sum.js';

/** Sum on wasm: reductions over leading axes in one pass (leading-axes-sum.ts), the rest as shipped. */
export const sumConfig: tf.KernelConfig = leadingAxesReductionConfig(tf.Sum);
