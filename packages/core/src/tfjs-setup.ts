// tfjs-core's Node build ships no gradient functions: the @tensorflow/tfjs bundle
// registers them (and the cpu backend) on the one shared engine.
import '@tensorflow/tfjs';
