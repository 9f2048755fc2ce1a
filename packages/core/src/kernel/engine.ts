import { Container, type ContainerModule } from 'inversify';
import { QcbError } from '../errors.js';
import { createEngineHooks, type EngineHooks } from './hooks.js';
import type { TriggerFactory } from '../triggers/trigger.js';
import type { NamedPlugin, PluginKind, PluginsByKind, QcbPlugin } from './plugin.js';
import { TOKENS, sid, type Token } from './tokens.js';

/** Names of the registered plugins of each kind, as `qcb plugins --json` prints them. */
export interface PluginRegistry {
  readonly quantizers: string[];
  readonly defenses: string[];
  readonly augmentations: string[];
  readonly attacks: string[];
}

const KIND_TOKENS: Readonly<Record<PluginKind, Token<NamedPlugin<PluginKind>>>> = {
  quantizer: TOKENS.Quantizer,
  defense: TOKENS.Defense,
  augmentation: TOKENS.Augmentation,
  attack: TOKENS.Attack,
};

/**
 * Owns the DI container and the hooks. Plugins arrive as inversify ContainerModules that
 * bind them to a token; `Engine.create` loads the modules and applies every plugin once.
 */
export class Engine {
  readonly hooks: EngineHooks = createEngineHooks();
  private readonly applied: QcbPlugin[] = [];

  private constructor(readonly container: Container) {}

  static async create(modules: readonly ContainerModule[] = []): Promise<Engine> {
    const container = new Container({ defaultScope: 'Singleton' });
    const engine = new Engine(container);
    container.bind(sid(TOKENS.Engine)).toConstantValue(engine);
    await container.loadAsync(...modules);
    engine.applyPlugins();
    return engine;
  }

  /** Everything bound to a token (none: an empty list). */
  all<T>(token: Token<T>): T[] {
    return this.container.getAll(sid(token), { optional: true });
  }

  /** Every registered plugin of a kind, in registration order. */
  plugins<K extends PluginKind>(kind: K): PluginsByKind[K][] {
    return this.all(KIND_TOKENS[kind]) as PluginsByKind[K][];
  }

  /** The plugin of a kind with that name; the error lists what exists. */
  plugin<K extends PluginKind>(kind: K, name: string): PluginsByKind[K] {
    const list = this.plugins(kind);
    const found = list.find((p) => p.name === name);
    if (!found) {
      const known = list.map((p) => p.name).join(', ') || 'none registered';
      throw new QcbError('E_PLUGIN', `unknown ${kind} "${name}" (available: ${known})`);
    }
    return found;
  }

  registry(): PluginRegistry {
    const names = (kind: PluginKind): string[] => this.plugins(kind).map((p) => p.name);
    return {
      quantizers: names('quantizer'),
      defenses: names('defense'),
      augmentations: names('augmentation'),
      attacks: names('attack'),
    };
  }

  /** Trigger factories of every registered trigger plugin (later registrations of a type win). */
  triggerFactories(): TriggerFactory[] {
    return this.all(TOKENS.Trigger).map((p) => p.factory).reverse();
  }

  /** Plugins applied so far, hook-only ones included. */
  appliedPlugins(): readonly QcbPlugin[] {
    return this.applied;
  }

  private applyPlugins(): void {
    for (const [kind, token] of Object.entries(KIND_TOKENS)) {
      const seen = new Set<string>();
      for (const p of this.all(token)) {
        if (seen.has(p.name)) throw new QcbError('E_PLUGIN', `two ${kind} plugins are named "${p.name}"`);
        seen.add(p.name);
      }
    }
    const every: QcbPlugin[] = [
      ...this.all(TOKENS.Plugin),
      ...Object.values(KIND_TOKENS).flatMap((t) => this.all(t)),
      ...this.all(TOKENS.Trigger),
    ];
    for (const p of every) {
      if (this.applied.includes(p)) continue;
      p.apply(this);
      this.applied.push(p);
    }
  }
}
