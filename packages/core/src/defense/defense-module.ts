import { ContainerModule } from 'inversify';
import type { AugmentationPlugin, DefensePlugin } from '../kernel/plugin.js';
import type { Engine } from '../kernel/engine.js';
import { TOKENS, sid } from '../kernel/tokens.js';
import type { DefenseDefinition } from './defense-plugin.js';

/** The ContainerModule a defense package default-exports. */
export function defenseModule(name: string, description: string, definition: DefenseDefinition): ContainerModule {
  const plugin: DefensePlugin = {
    kind: 'defense',
    name,
    description,
    definition,
    apply() {
      // The defense taps hooks while it runs; nothing at start.
    },
  };
  return new ContainerModule(({ bind }) => {
    bind(sid(TOKENS.Defense)).toConstantValue(plugin);
  });
}

/** The ContainerModule of an augmentation: `apply` taps the hooks it augments. */
export function augmentationModule(name: string, description: string, apply: (engine: Engine) => void): ContainerModule {
  const plugin: AugmentationPlugin = { kind: 'augmentation', name, description, apply };
  return new ContainerModule(({ bind }) => {
    bind(sid(TOKENS.Augmentation)).toConstantValue(plugin);
  });
}
