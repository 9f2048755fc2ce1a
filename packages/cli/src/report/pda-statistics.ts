import type * as tf from '@tensorflow/tfjs-core';
import {
  bnInputMoments, bnRunningMoments, cacheUnitInputs, unitBatchNorms, type CalibrationUnit, type ChannelMoments, type QuantizedModel,
} from '@qcb/core';
import { PDA_FAST, pdaPerturb, unitBall, type PdaOptions } from '@qcb/pda';

/** Figure 3's data: one BN of one unit, its running statistics and its input's batch statistics before and after PDA. */
export interface PdaStatistics {
  readonly unit: string;
  readonly bn: string;
  readonly running: ChannelMoments;
  readonly before: ChannelMoments;
  readonly after: ChannelMoments;
  /** The options PDA ran with on this unit (the fast preset's radius in steps of the unit's input quantizer). */
  readonly options: PdaOptions;
}

/** The units of the quantized model that hold a BN (PDA does nothing elsewhere). */
export function unitsWithBatchNorm(quantized: QuantizedModel): CalibrationUnit[] {
  return quantized.model.units().filter((u) => unitBatchNorms(quantized.model, u).length > 0);
}

/**
 * The unit's inputs on the quantized path as LAC caches them (`cacheUnitInputs`), moved by PDA
 * as LAC + PDA moves them (`pdaPerturb` per cached batch, the radius from `unitBall`); the
 * first BN's input statistics are measured on both, running the unit with its weights on the grid.
 */
export function pdaStatistics(quantized: QuantizedModel, unit: CalibrationUnit, batches: readonly tf.Tensor4D[], options: PdaOptions = PDA_FAST): PdaStatistics {
  const model = quantized.model;
  const bns = unitBatchNorms(model, unit);
  if (bns.length === 0) throw new Error(`unit ${unit.head} has no BN`);
  const bn = bns[0];
  // Weights on their grids, no activation quantizer: the cached input is already quantized (LAC's unit transform).
  const transform = quantized.transform({ activations: false });
  const o = unitBall(options, quantized.parts.activations.get(unit.head) ?? null);
  const inputs = cacheUnitInputs(quantized, unit, batches);
  const moved: tf.Tensor[] = [];
  try {
    const before = bnInputMoments(model, unit, bn, inputs, transform);
    for (const x of inputs) moved.push(pdaPerturb(x, (input, tap) => void model.runUnit(unit, input, { transform, tap }), new Set(bns), o));
    const after = bnInputMoments(model, unit, bn, moved, transform);
    return { unit: unit.head, bn, running: bnRunningMoments(model, bn), before, after, options: o };
  } finally {
    for (const t of [...inputs, ...moved]) t.dispose();
  }
}
