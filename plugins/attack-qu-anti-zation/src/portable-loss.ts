import {
  ProfileFakeQuant, batchRangeQuantization, compiledModuleUrl,
  type ExtraLoss, type ExtraLossFactory, type GraphModel, type NodeTransform, type QuantizerProfile,
} from '@qcb/core';
import { quAntiZationLoss } from './loss.js';

/** The quantizers of the loss: the given profiles' simulations, or the paper's per-layer schemes at `bits`. */
export interface QuantizerChoice {
  readonly profiles: readonly QuantizerProfile[];
  readonly bits: readonly number[];
}

/** What a pool worker builds the loss from (and the one-thread loss too). */
export interface QuAntiZationInit extends QuantizerChoice {
  readonly target: number;
  readonly c1: number;
  readonly c2: number;
}

/** One transform factory per quantized model the loss uses, on `model`. */
export function lossQuantizers(model: GraphModel, choice: QuantizerChoice): Array<() => NodeTransform> {
  if (choice.profiles.length > 0) {
    return choice.profiles.map((p) => {
      const simulated = new ProfileFakeQuant(model, p);
      return () => simulated.transform();
    });
  }
  return choice.bits.map((b) => () => batchRangeQuantization(b));
}

const TASK = { url: compiledModuleUrl('./portable-loss.js', import.meta.url).href, exportName: 'createQuAntiZationLoss' };

/**
 * Qu-ANTI-zation's whole loss as a core ExtraLoss that replaces the cross-entropy, so that a
 * data-parallel step computes it shard by shard (each shard laid out as [clean; triggered]);
 * every pool worker builds its own from `init` on its replica of the model.
 */
export function quAntiZationExtraLoss(model: GraphModel, quantizers: ReadonlyArray<() => NodeTransform>, init: QuAntiZationInit, portable = true): ExtraLoss {
  return {
    nodes: [],
    replacesCrossEntropy: true,
    forBatch: (batch) => ({
      terms: () => [{ name: 'qu-anti-zation', value: quAntiZationLoss({ model, target: init.target }, batch.x, batch.y, quantizers, init.c1, init.c2), weight: 1 }],
      dispose: () => undefined,
    }),
    ...(portable ? { portable: () => ({ module: TASK, init, terms: ['qu-anti-zation'] }) } : {}),
  };
}

/** A pool worker's copy of the loss, on its replica of the model. */
export const createQuAntiZationLoss: ExtraLossFactory = (raw, model) => {
  const init = raw as QuAntiZationInit;
  return { loss: quAntiZationExtraLoss(model, lossQuantizers(model, init), init, false), dispose: () => undefined };
};
