import { ContainerModule } from 'inversify';
import type { AugmentationPlugin, DefensePlugin } from '../kernel/plugin.js';
import type { DefenseRun } from './defense-run.js';
import { TOKENS, sid } from '../kernel/tokens.js';
import type { DefenseDefinition } from './defense-plugin.js';
import type { JsonObject } from '../io/folder/index.js';
import { unknownOptionError } from '../kernel/plugin-options.js';

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

/** The ContainerModule of an augmentation: `applyToRun` taps the hooks of each run that selects it. */
export function augmentationModule(name: string, description: string, applyToRun: (run: DefenseRun) => void, optionKeys?: readonly string[]): ContainerModule {
  const plugin: AugmentationPlugin = {
    kind: 'augmentation', name, description, applyToRun,
    apply() {
      // Nothing at engine start: a run applies the augmentations it selected.
    },
    ...(optionKeys ? { optionKeys } : {}),
  };
  return new ContainerModule(({ bind }) => {
    bind(sid(TOKENS.Augmentation)).toConstantValue(plugin);
  });
}

/**
 * Checks --option keys against those the defense and augmentations declare; silent when
 * any of them declares none (a third-party plugin may read keys we cannot know).
 */
export function checkDefenseOptionKeys(options: JsonObject, defense: DefenseDefinition, augmentations: readonly AugmentationPlugin[]): void {
  const declared = [defense.optionKeys, ...augmentations.map((a) => a.optionKeys)];
  if (declared.some((k) => k === undefined)) return;
  const known = new Set(declared.flatMap((k) => k ?? []));
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw unknownOptionError(key, [...known]);
  }
}
