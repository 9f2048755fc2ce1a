import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, QcbError, cloneGraph, type GraphNode, type NodeTransform } from '@qcb/core';

/** The weights of the three bends at t: (1 - t)^2, 2t(1 - t), t^2 (Bernstein polynomials of degree 2). */
export function bezierWeights(t: number): [number, number, number] {
  return [(1 - t) * (1 - t), 2 * t * (1 - t), t * t];
}

/** Whether gradient descent trains this parameter: what the curve bends (BN moving statistics are not). */
export function isCurved(node: GraphNode, param: string): boolean {
  return !node.frozen.includes(param);
}

interface Bends {
  readonly start: tf.Tensor;
  readonly mid: tf.Variable;
  readonly end: tf.Tensor;
}

/**
 * The middle bend a curve from `start` to `end` starts from: a copy of `start` whose
 * trainable parameters are the average of the endpoints' (the original code's
 * `init_linear`, BackdoorBench's `model_mix(0.5, 0.5)`): the curve starts as the line.
 */
export function averageMiddle(start: GraphModel, end: GraphModel): GraphModel {
  const mid = new GraphModel(cloneGraph(start.graph));
  for (const node of mid.graph.nodes) {
    for (const [name, v] of Object.entries(node.params)) {
      if (!isCurved(node, name)) continue;
      const average = tf.tidy(() => tf.mul(tf.add(v, end.node(node.name).params[name]), 0.5));
      v.assign(average);
      average.dispose();
    }
  }
  return mid;
}

/**
 * A quadratic Bezier curve in weight space (Garipov et al. 2018; Zhao et al., "Bridging
 * Mode Connectivity in Loss Landscapes and Adversarial Robustness", ICLR 2020):
 * phi(t) = (1 - t)^2 theta_0 + 2t(1 - t) theta_mid + t^2 theta_1 for every trainable
 * parameter; theta_0 and theta_1 are read, never written, and the middle bend's variables
 * are the ones to train. BN moving statistics are not on the curve: a model on it keeps
 * its own.
 */
export class BezierCurve {
  private readonly bends = new Map<string, Bends>();

  constructor(readonly start: GraphModel, readonly mid: GraphModel, readonly end: GraphModel) {
    for (const node of mid.graph.nodes) {
      for (const [name, v] of Object.entries(node.params)) {
        if (!isCurved(node, name)) continue;
        const s = start.node(node.name).params[name];
        const e = end.node(node.name).params[name];
        if (!s || !e || s.shape.join() !== v.shape.join() || e.shape.join() !== v.shape.join()) {
          throw new QcbError('E_USAGE', `mcr: the curve's endpoints differ from its middle at "${node.name}/${name}"`);
        }
        this.bends.set(`${node.name}/${name}`, { start: s, mid: v, end: e });
      }
    }
  }

  /** phi(t) of one parameter (differentiable in the middle bend); call inside tidy or a gradient. */
  point(node: string, param: string, t: number): tf.Tensor {
    const b = this.bends.get(`${node}/${param}`);
    if (!b) throw new QcbError('E_USAGE', `mcr: "${node}/${param}" is not on the curve`);
    const [w0, w1, w2] = bezierWeights(t);
    return tf.add(tf.add(tf.mul(b.start, w0), tf.mul(b.mid, w1)), tf.mul(b.end, w2));
  }

  /** Runs a model of the same graph with its trainable parameters replaced by phi(t). */
  transform(t: number): NodeTransform {
    return { param: (node, name, value) => (isCurved(node, name) ? this.point(node.name, name, t) : value) };
  }

  /** Writes phi(t) into `model`'s trainable parameters (its BN moving statistics stay). */
  assign(model: GraphModel, t: number): void {
    for (const node of model.graph.nodes) {
      for (const [name, v] of Object.entries(node.params)) {
        if (!isCurved(node, name)) continue;
        const value = tf.tidy(() => this.point(node.name, name, t));
        v.assign(value);
        value.dispose();
      }
    }
  }
}
