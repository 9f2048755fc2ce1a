import type { ServiceIdentifier } from 'inversify';
import type { Engine } from './engine.js';
import type { TriggerPlugin } from '../triggers/trigger-plugins.js';
import type { AttackPlugin, AugmentationPlugin, DefensePlugin, QcbPlugin, QuantizerPlugin } from './plugin.js';

/** A service identifier that remembers the type bound to it. */
export type Token<T> = symbol & { readonly __service?: T };

function token<T>(key: string): Token<T> {
  return Symbol.for(`qcb.${key}`) as Token<T>;
}

/**
 * Injection tokens. Always inject by token: vitest/vite transforms emit no decorator
 * metadata, so nothing may rely on constructor types.
 */
export const TOKENS = Object.freeze({
  /** Plugins that only tap hooks (multi-bound). */
  Plugin: token<QcbPlugin>('Plugin'),
  Quantizer: token<QuantizerPlugin>('Quantizer'),
  Defense: token<DefensePlugin>('Defense'),
  Augmentation: token<AugmentationPlugin>('Augmentation'),
  Attack: token<AttackPlugin>('Attack'),
  /** Trigger kinds (patch, blend, wanet, ...), selected by a trigger spec's `type`. */
  Trigger: token<TriggerPlugin>('Trigger'),
  Engine: token<Engine>('Engine'),
});

/** Narrows a token for inversify's untyped-symbol API. */
export function sid<T>(t: Token<T>): ServiceIdentifier<T> {
  return t;
}
