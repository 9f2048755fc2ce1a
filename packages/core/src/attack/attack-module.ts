import { ContainerModule } from 'inversify';
import type { AttackPlugin } from '../kernel/plugin.js';
import { TOKENS, sid } from '../kernel/tokens.js';
import type { AttackDefinition } from './attack-plugin.js';

/** The ContainerModule an attack package default-exports. */
export function attackModule(name: string, description: string, definition: AttackDefinition): ContainerModule {
  const plugin: AttackPlugin = {
    kind: 'attack',
    name,
    description,
    definition,
    apply() {
      // Attacks run when `qcb attack` calls them; they tap no hooks.
    },
  };
  return new ContainerModule(({ bind }) => {
    bind(sid(TOKENS.Attack)).toConstantValue(plugin);
  });
}
