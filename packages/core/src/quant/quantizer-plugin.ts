import { ContainerModule } from 'inversify';
import type { Engine } from '../kernel/engine.js';
import type { QuantizerPlugin } from '../kernel/plugin.js';
import { TOKENS, sid } from '../kernel/tokens.js';
import { parseGenericSpec } from './generic-spec.js';
import type { QuantizerProfile } from './profile.js';

/** The plugin object of a profile: quantizer profiles tap no hooks, they are data. */
export function quantizerPlugin(profile: QuantizerProfile): QuantizerPlugin {
  return {
    kind: 'quantizer',
    name: profile.name,
    description: profile.description,
    profile,
    apply() {
      // A profile is read by the quantizer; nothing to tap.
    },
  };
}

/** A ContainerModule registering quantizer profiles: the default export of a profile package. */
export function quantizerModule(...profiles: QuantizerProfile[]): ContainerModule {
  return new ContainerModule(({ bind }) => {
    for (const p of profiles) bind(sid(TOKENS.Quantizer)).toConstantValue(quantizerPlugin(p));
  });
}

/** A registered profile by name, or a generic `uniform:...` spec. */
export function resolveQuantizer(engine: Engine, name: string): QuantizerProfile {
  return name.startsWith('uniform:') ? parseGenericSpec(name) : engine.plugin('quantizer', name).profile;
}
