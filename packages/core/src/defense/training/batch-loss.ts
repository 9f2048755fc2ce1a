import * as tf from '@tensorflow/tfjs-core';
import { batchStatsRecorder } from '../../ir/batch-stats.js';
import type { BatchStats } from '../../ir/op-def.js';
import type { NodeTap } from '../../ir/executor.js';
import type { GraphModel } from '../../ir/graph-model.js';
import type { Batch, LossTerm } from '../../kernel/hook-types.js';
import { crossEntropy } from '../../train/train-step.js';
import type { DefenseRunHooks } from '../defense-run.js';
import { smoothedCrossEntropy } from './label-smoothing.js';
import type { BatchTerms, BnMode, ExtraLoss } from './spec.js';

/** What a defense's own loss terms need besides the batch. */
export interface OwnLossSetup {
  readonly model: GraphModel;
  readonly bn: BnMode;
  readonly labelSmoothing: number;
  readonly extraLoss?: ExtraLoss;
}

/** What the loss of a batch needs besides the batch. */
export interface BatchLossSetup extends OwnLossSetup {
  readonly hooks: DefenseRunHooks;
  /** The loss stage other plugins see, `defense:<name>`. */
  readonly stage: string;
}

/**
 * The defense's own loss terms of a batch: cross-entropy ('ce'), then the extra terms read
 * from the same forward pass. Runs under gradient recording. The second SAM pass
 * (`perturbed`) leaves BN's moving statistics alone, as BackdoorBench's SAM does (momentum
 * 0 on that pass).
 */
export function ownTerms(s: OwnLossSetup, batch: Batch, extra: BatchTerms | null, perturbed: boolean): LossTerm[] {
  if (s.extraLoss?.replacesCrossEntropy) return extra ? extra.terms(new Map(), new Map()) : [];
  const wanted = new Set(s.extraLoss?.nodes ?? []);
  const features = new Map<string, tf.Tensor>();
  const recorder = s.extraLoss?.batchStats ? batchStatsRecorder() : null;
  const stats: ReadonlyMap<string, BatchStats> = recorder?.stats ?? new Map();
  const tap: NodeTap = (node, inputs, output) => {
    if (wanted.has(node.name)) features.set(node.name, output);
    recorder?.tap(node, inputs, output);
  };
  const training = s.bn === 'train';
  const logits = s.model.predict(batch.x, { training, updateStats: training && !perturbed, ...(wanted.size > 0 || recorder ? { tap } : {}) });
  const ce = s.labelSmoothing > 0 ? smoothedCrossEntropy(logits, batch.y, s.labelSmoothing) : crossEntropy(logits, batch.y);
  return [{ name: 'ce', value: ce, weight: 1 }, ...(extra ? extra.terms(features, stats) : [])];
}

/** The named loss terms of a batch: the defense's own (ownTerms), then whatever the run's `loss.terms` hook adds. */
export function batchTerms(s: BatchLossSetup, batch: Batch, extra: BatchTerms | null, perturbed: boolean): LossTerm[] {
  return s.hooks.loss.terms.call(ownTerms(s, batch, extra, perturbed), { stage: s.stage, model: s.model });
}

/** The scalar the step minimises: the sum of weight x value over the terms. */
export function weightedSum(terms: readonly LossTerm[]): tf.Scalar {
  return terms.map((t) => tf.mul(t.value, t.weight)).reduce((a, b) => tf.add(a, b)) as tf.Scalar;
}
