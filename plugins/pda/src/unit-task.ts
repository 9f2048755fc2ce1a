import { compiledModuleUrl, unitPieceTask, type TaskModule } from '@qcb/core';
import { pdaPerturb } from './perturb.js';
import type { PdaOptions } from './options.js';

/** What PDA sends with a unit's cached inputs to the pool (UnitContext.mapPieces). */
export interface PdaPieceOptions {
  /** The unit's BatchNorm nodes. */
  readonly bns: readonly string[];
  /** The unit's ball (unitBall). */
  readonly ball: PdaOptions;
}

/** The worker module that perturbs a share of a unit's cached inputs. */
export const PDA_UNIT_TASK: TaskModule = { url: compiledModuleUrl('./unit-task.js', import.meta.url).href, exportName: 'createPdaUnitTask' };

/**
 * PDA on one piece of a unit's cached inputs, on a pool worker: the same perturbation as on
 * the calling thread (each piece matches the BN statistics on its own), so the same inputs.
 */
export const createPdaUnitTask = unitPieceTask<PdaPieceOptions>((x, unit, o) => pdaPerturb(x, (input, tap) => void unit.runUnit(input, tap), new Set(o.bns), o.ball));
