import * as tf from '@tensorflow/tfjs-core';
import { augmentationModule, type Engine } from '@qcb/core';
import { pdaPerturb } from './perturb.js';
import { resolvePdaOptions } from './options.js';
import { unitBall } from './unit-ball.js';

export { pdaPerturb, type TappedForward } from './perturb.js';
export { bnStatisticsLoss } from './bn-statistics-loss.js';
export { unitBall } from './unit-ball.js';
export { PDA_FAST, PDA_PAPER, pdaPreset, resolvePdaOptions, type PdaOptions } from './options.js';

export const PDA = 'pda';

/**
 * PDA as an augmentation: per unit on the cached inputs (with LAC), or on whole training
 * batches through every BN of the network (with NAD, FT-SAM or any defense that emits
 * data-stage batches). Idle unless selected with --augment pda.
 */
export function applyPda(engine: Engine): void {
  engine.hooks.calibration.unitInputs.tapPromise(PDA, async (inputs, uctx) => {
    if (!uctx.run.augmentations.includes(PDA)) return inputs;
    const bns = new Set(uctx.unit.nodes.filter((n) => uctx.run.work.node(n).op === 'batchNorm'));
    if (bns.size === 0) return inputs;
    const o = unitBall(resolvePdaOptions(uctx.run.preset, uctx.run.options), uctx.inputQuant);
    return inputs.map((x) => {
      const moved = pdaPerturb(x, (input, tap) => void uctx.runUnit(input, tap), bns, o);
      x.dispose();
      return moved;
    });
  });
  engine.hooks.data.batch.tapPromise(PDA, async (batch, bctx) => {
    if (!bctx.augmentations.includes(PDA)) return batch;
    const bns = new Set(bctx.model.graph.nodes.filter((n) => n.op === 'batchNorm').map((n) => n.name));
    if (bns.size === 0) return batch;
    const x = pdaPerturb(batch.x, (input, tap) => void bctx.model.predict(input, { tap }), bns, resolvePdaOptions('fast')) as tf.Tensor4D;
    // The waterfall hands on the new batch; the replaced images are released here.
    batch.x.dispose();
    return { x, y: batch.y };
  });
}

export default augmentationModule(PDA, 'PDA: moves inputs towards the BN running statistics (per unit with LAC, or per training batch)', applyPda, ['pda.steps', 'pda.stepSize', 'pda.gamma', 'pda.gammaSteps']);
