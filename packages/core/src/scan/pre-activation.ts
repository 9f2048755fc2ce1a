import type { GraphModel } from '../ir/graph-model.js';
import { opDef } from '../ir/ops/index.js';
import type { CalibrationUnit } from '../ir/units.js';

/** Where a unit's neurons are measured. */
export interface PreActivationPoint {
  /** The unit's head (its conv/dense node): the unit's name in reports. */
  readonly unit: string;
  readonly index: number;
  /** The node whose output is measured, one neuron per channel of its last axis. */
  readonly node: string;
}

/**
 * A unit's pre-activation: the head's output after the norm layers that follow it (conv > BN),
 * before the first activation, pooling or merge. The paper measures "the output before
 * ReLU function (pre-activation)" (section 3, Figure 1). When a profile folds BN, the
 * quantized unit's head already computes what the full-precision BN outputs, so both
 * models are measured at the same quantity. A head with a fused activation (a Keras
 * `Conv2D(activation='relu')`) has no observable pre-activation; its output is measured.
 */
export function preActivationNode(model: GraphModel, unit: CalibrationUnit): string {
  let node = unit.head;
  for (const name of unit.nodes.slice(1)) {
    if (opDef(model.node(name).op).role !== 'norm') break;
    node = name;
  }
  return node;
}

export function preActivationPoints(model: GraphModel): PreActivationPoint[] {
  return model.units().map((u) => ({ unit: u.head, index: u.index, node: preActivationNode(model, u) }));
}
