import type { ContainerModule } from 'inversify';
import { BUILTIN_MODULES } from '../../../builtins.js';
import { defenderBatches } from '../../../data/defender-batches.js';
import { defenderSubset } from '../../../data/subsets.js';
import { syntheticDataset } from '../../../data/synthetic.js';
import { cloneGraph } from '../../../ir/clone-graph.js';
import { GraphModel } from '../../../ir/graph-model.js';
import { tinyResidualModel } from '../../../ir/testing/tiny-residual.js';
import type { JsonObject } from '../../../io/folder/index.js';
import { Engine } from '../../../kernel/engine.js';
import { parseGenericSpec } from '../../../quant/generic-spec.js';
import { quantizeModel } from '../../../quant/quantize-model.js';
import type { AugmentSpec } from '../../../train/augment.js';
import type { SlotState } from '../../../train/optimizers/index.js';
import type { DefenseCheckpoint, DefenseResume, Preset } from '../../defense-plugin.js';
import { startDefenseRun } from '../../defense-run.js';
import type { TrainingDefenseContext } from '../spec.js';

/** What a memory checkpoint holds after a save. */
export interface SavedCheckpoint {
  readonly done: number;
  readonly model: GraphModel;
  readonly state?: JsonObject;
  readonly slots?: readonly SlotState[];
}

/** An in-memory DefenseCheckpoint (saves a copy of the model); `interruptAfter` makes the n-th save throw after saving. */
export class MemoryCheckpoint implements DefenseCheckpoint {
  saved: SavedCheckpoint | null = null;
  saves = 0;

  constructor(public interruptAfter = 0) {}

  async load(): Promise<DefenseResume | null> {
    if (!this.saved) return null;
    const { done, model, state, slots } = this.saved;
    return { done, model: new GraphModel(cloneGraph(model.graph)), ...(state ? { state } : {}), ...(slots ? { slots } : {}) };
  }

  async save(done: number, model: GraphModel, extra: { readonly state?: JsonObject; readonly slots?: readonly SlotState[] } = {}): Promise<void> {
    this.saved?.model.dispose();
    this.saved = { done, model: new GraphModel(cloneGraph(model.graph)), ...extra };
    this.saves++;
    if (this.interruptAfter > 0 && this.saves === this.interruptAfter) throw new Error('interrupted');
  }

  dispose(): void {
    this.saved?.model.dispose();
    this.saved = null;
  }
}

export interface TinyTrainingOptions {
  readonly preset?: Preset;
  readonly options?: JsonObject;
  readonly augmentations?: string[];
  readonly modules?: ContainerModule[];
  readonly checkpoint?: MemoryCheckpoint;
  /** The dataset's training augmentation as the runner passes it. */
  readonly augmentation?: AugmentSpec;
  /** Labelled images in the defender's share (default 64). */
  readonly count?: number;
  readonly fp?: GraphModel;
}

/** A defense context over a tiny untrained residual model (8x8x1, 3 classes) and synthetic data. */
export async function tinyTrainingContext(o: TinyTrainingOptions = {}): Promise<{ ctx: TrainingDefenseContext; dispose(): void }> {
  const data = syntheticDataset({ classes: 3, shape: [8, 8, 1], trainCount: o.count ?? 64, testCount: 8, seed: 5 });
  const fp = o.fp ?? tinyResidualModel(7);
  const engine = await Engine.create([...BUILTIN_MODULES, ...(o.modules ?? [])]);
  const batches = defenderBatches(data.train, data.normalization, { share: 1, samples: 32, batchSize: 32 });
  const profile = parseGenericSpec('uniform:w8a8');
  const quantized = await quantizeModel(fp, profile, batches);
  const settings = { defense: 'test', augmentations: o.augmentations ?? [], preset: o.preset ?? 'fast', options: o.options ?? {}, seed: 0 };
  const run = startDefenseRun(engine, settings);
  const ctx: TrainingDefenseContext = {
    engine, fp, quantized, profile,
    data: defenderSubset(data.train, 1, 0), normalization: data.normalization, batches,
    augmentations: run.augmentations, preset: settings.preset, options: settings.options, seed: 0, hooks: run.hooks,
    progress: { stage: () => undefined, step: () => undefined, stageDone: () => undefined },
    checkpoint: o.checkpoint ?? new MemoryCheckpoint(),
    ...(o.augmentation ? { augmentation: o.augmentation } : {}),
  };
  return { ctx, dispose: () => { batches.forEach((b) => b.dispose()); if (!o.fp) fp.dispose(); } };
}
