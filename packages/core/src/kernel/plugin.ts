import type { Engine } from './engine.js';

/**
 * Every feature of qcb, built-in or a user's, is a plugin: a name and an `apply` that
 * taps the engine's hooks, the way webpack applies plugins to its compiler.
 */
export interface QcbPlugin {
  readonly name: string;
  apply(engine: Engine): void;
}

export type PluginKind = 'quantizer' | 'defense' | 'augmentation' | 'attack';

/** A plugin users select by name on the command line (`--quantizer`, `--defense`, ...). */
export interface NamedPlugin<K extends PluginKind> extends QcbPlugin {
  readonly kind: K;
  /** One line for `qcb plugins`. */
  readonly description: string;
}

export type QuantizerPlugin = NamedPlugin<'quantizer'>;
export type DefensePlugin = NamedPlugin<'defense'>;
export type AugmentationPlugin = NamedPlugin<'augmentation'>;
export type AttackPlugin = NamedPlugin<'attack'>;
