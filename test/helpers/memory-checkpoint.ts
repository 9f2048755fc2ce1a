import {
  GraphModel, cloneGraph,
  type DefenseCheckpoint, type DefenseResume, type JsonObject, type SlotState,
} from '@qcb/core';

/** One save as a memory checkpoint logs it: the units done and the defense's state, when it gave one. */
export interface CheckpointSave {
  readonly done: number;
  readonly state?: JsonObject;
}

/** An in-memory DefenseCheckpoint that logs its saves; `dispose()` frees the model it holds. */
export interface MemoryCheckpoint extends DefenseCheckpoint {
  /** Every save so far, in order. */
  readonly saves: readonly CheckpointSave[];
  dispose(): void;
}

/**
 * A checkpoint kept in memory, for defense tests: the model is copied on save and on load (the
 * previously saved copy is disposed), state and optimizer slots are kept as given. With
 * `interruptAfter` n > 0, the n-th save throws `interrupted` after saving, as a killed run would stop.
 */
export function memoryCheckpoint(interruptAfter = 0): MemoryCheckpoint {
  let saved: { done: number; model: GraphModel; state?: JsonObject; slots?: readonly SlotState[] } | null = null;
  const saves: CheckpointSave[] = [];
  return {
    saves,
    async load(): Promise<DefenseResume | null> {
      return saved && { ...saved, model: new GraphModel(cloneGraph(saved.model.graph)) };
    },
    async save(done, model, extra = {}) {
      saved?.model.dispose();
      saved = {
        done, model: new GraphModel(cloneGraph(model.graph)),
        ...(extra.state ? { state: extra.state } : {}), ...(extra.slots ? { slots: extra.slots } : {}),
      };
      saves.push({ done, ...(extra.state ? { state: extra.state } : {}) });
      if (saves.length === interruptAfter) throw new Error('interrupted');
    },
    dispose(): void {
      saved?.model.dispose();
      saved = null;
    },
  };
}
