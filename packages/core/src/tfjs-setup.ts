// tfjs-core's Node build ships no gradient functions: the @tensorflow/tfjs bundle
// registers them (and the cpu backend) on the one shared engine.
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

// Production mode: no "install tfjs-node" banner from the cpu backend, no debug checks.
tf.env().set('PROD', true);
