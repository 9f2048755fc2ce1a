import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { QcbError } from '../errors.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { QcbSidecar } from '../io/folder/index.js';
import { loadModel, saveModel } from '../io/model-io.js';
import type { Optimizer, SlotState } from './optimizers/optimizer.js';

const STATE_FILE = 'train-state.json';
const SLOTS_FILE = 'optimizer.bin';

/** What a run needs to continue exactly where it stopped. */
export interface CheckpointState {
  /** Epochs completed. */
  readonly epoch: number;
  /** A mid-epoch checkpoint: steps of the next epoch done, and the sum of their losses. */
  readonly step?: number;
  readonly lossSum?: number;
  /** The settings the run was started with; a resume must use the same ones. */
  readonly settings: Record<string, unknown>;
  readonly history: unknown[];
  /** Multi-phase runs: the phase `epoch` counts in, and the phases already finished. */
  readonly phase?: string;
  readonly completedPhases?: string[];
  /** A runner's own JSON state (e.g. a defense's). */
  readonly extra?: Record<string, unknown>;
}

interface StoredState extends CheckpointState {
  readonly slots: Array<{ name: string; shape: number[]; offset: number; length: number }>;
}

function packSlots(slots: readonly SlotState[]): { bytes: Uint8Array; index: StoredState['slots'] } {
  const total = slots.reduce((n, s) => n + s.values.length, 0);
  const all = new Float32Array(total);
  const index: StoredState['slots'] = [];
  let offset = 0;
  for (const s of slots) {
    all.set(s.values, offset);
    index.push({ name: s.name, shape: s.shape, offset, length: s.values.length });
    offset += s.values.length;
  }
  return { bytes: new Uint8Array(all.buffer), index };
}

/** Writes model, optimizer slots and state to `dir`, atomically. */
export async function saveCheckpoint(dir: string, model: GraphModel, optimizer: Optimizer, state: CheckpointState, sidecar: QcbSidecar | null = null): Promise<void> {
  await writeCheckpoint(dir, model, await optimizer.state(), state, sidecar);
}

/** Writes model, the given optimizer slots (none: an empty list) and state to `dir`, atomically. */
export async function writeCheckpoint(dir: string, model: GraphModel, slots: readonly SlotState[], state: CheckpointState, sidecar: QcbSidecar | null = null): Promise<void> {
  const { bytes, index } = packSlots(slots);
  const stored: StoredState = { ...state, slots: index };
  await saveModel(dir, model, { sidecar, extraFiles: { [STATE_FILE]: JSON.stringify(stored), [SLOTS_FILE]: bytes } });
}

export interface LoadedCheckpoint {
  readonly model: GraphModel;
  readonly state: CheckpointState;
  readonly slots: SlotState[];
}

/** Loads a checkpoint if `dir` holds one; rejects one made with other settings. */
export async function loadCheckpoint(dir: string, settings: Record<string, unknown>): Promise<LoadedCheckpoint | null> {
  if (!existsSync(dir)) return null;
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  let stored: StoredState;
  try {
    stored = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as StoredState;
  } catch {
    throw new QcbError('E_IO', `${dir} is not a readable checkpoint (delete it to start over)`);
  }
  if (JSON.stringify(stored.settings) !== JSON.stringify(settings)) {
    throw new QcbError('E_USAGE', `the checkpoint in ${dir} was made with other settings (delete it to start over, or rerun with the same options)`);
  }
  const raw = await readFile(join(dir, SLOTS_FILE));
  const floats = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const slots = stored.slots.map((s) => ({ name: s.name, shape: s.shape, values: floats.slice(s.offset, s.offset + s.length) }));
  const { model } = await loadModel(dir);
  return {
    model,
    state: { epoch: stored.epoch, step: stored.step, lossSum: stored.lossSum, settings: stored.settings, history: stored.history, phase: stored.phase, completedPhases: stored.completedPhases, extra: stored.extra },
    slots,
  };
}

export async function removeCheckpoint(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
