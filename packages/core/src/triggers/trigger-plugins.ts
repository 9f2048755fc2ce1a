import { ContainerModule } from 'inversify';
import type { Engine } from '../kernel/engine.js';
import type { QcbPlugin } from '../kernel/plugin.js';
import { sid, type Token } from '../kernel/tokens.js';
import { blendTriggerFactory } from './blend.js';
import { patchTriggerFactory } from './patch.js';
import type { TriggerFactory } from './trigger.js';
import { wanetTriggerFactory } from './wanet.js';

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
export const TRIGGER_TOKEN = Symbol.for('qcb.Trigger') as Token<TriggerPlugin>;

function builtin(factory: TriggerFactory, description: string): TriggerPlugin {
  return {
    kind: 'trigger',
    name: factory.type,
    description,
    factory,
    apply() {
      // Built-in triggers tap no hooks.
    },
  };
}

export const BUILTIN_TRIGGER_PLUGINS: readonly TriggerPlugin[] = [
  builtin(patchTriggerFactory, 'BadNets square patch (patch:SIZE[@ROW,COL][,value=V])'),
  builtin(blendTriggerFactory, 'blend with a noise/stripes/checkerboard pattern (blend:ALPHA[,pattern=NAME][,seed=N])'),
  builtin(wanetTriggerFactory, 'WaNet smooth image warp (wanet[:k=K,s=S,seed=N])'),
];

export const builtinTriggers = new ContainerModule(({ bind }) => {
  for (const plugin of BUILTIN_TRIGGER_PLUGINS) bind(sid(TRIGGER_TOKEN)).toConstantValue(plugin);
});

export default builtinTriggers;
