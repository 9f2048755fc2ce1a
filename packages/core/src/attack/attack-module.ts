import { QcbError } from '../errors.js';
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

/** Plugin options with the user's overrides (numbers and strings from --option key=value). */
export function withOverrides<T extends object>(defaults: T, overrides: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in defaults)) throw new QcbError('E_USAGE', `unknown option "${k}" (options: ${Object.keys(defaults).join(', ')})`);
    const d = (defaults as Record<string, unknown>)[k];
    out[k] = typeof d === 'number' ? Number(v) : v;
    if (typeof d === 'number' && !Number.isFinite(out[k] as number)) throw new QcbError('E_USAGE', `option "${k}" must be a number, got ${JSON.stringify(v)}`);
  }
  return out as T;
}
