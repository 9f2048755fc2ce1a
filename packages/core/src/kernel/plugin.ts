import type { AttackDefinition } from '../attack/attack-plugin.js';
import type { DefenseDefinition } from '../defense/defense-plugin.js';
import type { DefenseRun } from '../defense/defense-run.js';
import type { QuantizerProfile } from '../quant/profile.js';
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

/** A quantization scheme for a deployment target: mostly data (see quant/profile.ts). */
export interface QuantizerPlugin extends NamedPlugin<'quantizer'> {
  readonly profile: QuantizerProfile;
}
/** A defense (`qcb purify --defense <name>`). */
export interface DefensePlugin extends NamedPlugin<'defense'> {
  readonly definition: DefenseDefinition;
}
/**
 * An augmentation (`qcb purify --augment <name>`). Its `apply` runs at engine start like
 * every plugin's; `applyToRun` runs only for the runs that select it.
 */
export interface AugmentationPlugin extends NamedPlugin<'augmentation'> {
  /** The `--option` keys it reads (e.g. 'pda.gamma'); absent: not declared, nothing checked. */
  readonly optionKeys?: readonly string[];
  /** Taps the hooks of a run that selected it. */
  applyToRun(run: DefenseRun): void;
}
/** An attack (`qcb attack <name>`): a definition the attack command runs. */
export interface AttackPlugin extends NamedPlugin<'attack'> {
  readonly definition: AttackDefinition;
}

/** The plugin type of each kind. */
export interface PluginsByKind {
  quantizer: QuantizerPlugin;
  defense: DefensePlugin;
  augmentation: AugmentationPlugin;
  attack: AttackPlugin;
}
