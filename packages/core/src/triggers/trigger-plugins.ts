import { ContainerModule } from 'inversify';
import type { Engine } from '../kernel/engine.js';
import type { QcbPlugin } from '../kernel/plugin.js';
import { TOKENS, sid } from '../kernel/tokens.js';
import { BUILTIN_TRIGGER_FACTORIES } from './builtin-factories.js';
import type { TriggerFactory, TriggerType } from './trigger.js';

/** A trigger kind, selected by its spec's `type` (its name). */
export interface TriggerPlugin extends QcbPlugin {
  readonly kind: 'trigger';
  readonly name: string;
  /** One line for `qcb plugins`. */
  readonly description: string;
  readonly factory: TriggerFactory;
  apply(engine: Engine): void;
}

/** Trigger plugins are multi-bound to this token. */
export const TRIGGER_TOKEN = TOKENS.Trigger;

const DESCRIPTIONS: Readonly<Record<TriggerType, string>> = {
  patch: 'BadNets square patch (patch:SIZE[@ROW,COL][,value=V])',
  blend: 'blend with a noise, stripes or checkerboard pattern (blend:ALPHA[,pattern=NAME][,seed=N])',
  wanet: 'WaNet smooth image warp (wanet[:k=K,s=S,seed=N])',
};

export const BUILTIN_TRIGGER_PLUGINS: readonly TriggerPlugin[] = BUILTIN_TRIGGER_FACTORIES.map((factory) => ({
  kind: 'trigger',
  name: factory.type,
  description: DESCRIPTIONS[factory.type],
  factory,
  apply() {
    // Built-in triggers tap no hooks.
  },
}));

export const builtinTriggers = new ContainerModule(({ bind }) => {
  for (const plugin of BUILTIN_TRIGGER_PLUGINS) bind(sid(TRIGGER_TOKEN)).toConstantValue(plugin);
});

export default builtinTriggers;
