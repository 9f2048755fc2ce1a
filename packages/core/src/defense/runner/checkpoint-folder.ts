import type { JsonObject } from '../../io/folder/index.js';
import { loadCheckpoint, writeCheckpoint } from '../../train/checkpoint.js';
import type { DefenseCheckpoint } from '../defense-plugin.js';

/**
 * A defense's checkpoint in a folder: the model after `done` units or epochs, the defense's
 * state and optimizer slots. Valid only for the settings it was made with (another run's
 * checkpoint is an error that says so, not a silent restart).
 */
export function defenseCheckpointAt(dir: string, settings: JsonObject): DefenseCheckpoint {
  return {
    async load() {
      const loaded = await loadCheckpoint(dir, settings);
      if (!loaded) return null;
      const state = loaded.state.extra as JsonObject | undefined;
      return { done: loaded.state.epoch, model: loaded.model, ...(state ? { state } : {}), ...(loaded.slots.length ? { slots: loaded.slots } : {}) };
    },
    async save(done, model, extra = {}) {
      await writeCheckpoint(dir, model, extra.slots ?? [], { epoch: done, settings, history: [], ...(extra.state ? { extra: extra.state } : {}) });
    },
  };
}

/** No checkpoint: nothing saved, nothing to resume. */
export const NO_CHECKPOINT: DefenseCheckpoint = {
  load: async () => null,
  save: async () => undefined,
};
