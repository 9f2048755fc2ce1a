import * as tf from '@tensorflow/tfjs-core';
import { augmentationModule, type DefenseRun } from '@qcb/core';
import { pdaPerturb } from './perturb.js';
import { resolvePdaOptions } from './options.js';
import { unitBall } from './unit-ball.js';
import { PDA_UNIT_TASK, type PdaPieceOptions } from './unit-task.js';

export { pdaPerturb, type TappedForward } from './perturb.js';
export { bnStatisticsLoss } from './bn-statistics-loss.js';
export { unitBall } from './unit-ball.js';
export { PDA_FAST, PDA_PAPER, pdaPreset, resolvePdaOptions, type PdaOptions } from './options.js';

export const PDA = 'pda';

/**
 * PDA on a run that selected it: per unit on the cached inputs (with LAC), or on whole
 * training batches through every BN of the network (with NAD, FT-SAM, FT or any defense
 * that trains through the core loop), with the run's preset and `pda.*` options.
 */
export function applyPda(run: DefenseRun): void {
  const options = resolvePdaOptions(run.preset, run.options);
  // PDA matches BN running statistics: a unit (or a network) without BN has none, so its
  // inputs stay as they are (the paper omits PDA on such models, Table 3). Said once per run.
  run.hooks.calibration.runStart.tapPromise(PDA, async (crun) => {
    const bare = crun.units.filter((u) => !u.nodes.some((n) => crun.work.node(n).op === 'batchNorm')).map((u) => u.head);
    if (bare.length === 0) return;
    const which = bare.length === crun.units.length ? 'the model has no BatchNorm' : `${bare.slice(0, 6).join(', ')}${bare.length > 6 ? `, ... (${bare.length - 6} more)` : ''}`;
    run.note?.(`pda: ${bare.length} of ${crun.units.length} units have no BatchNorm to match (${which}); their cached inputs are used as they are`);
  });
  run.hooks.calibration.unitInputs.tapPromise(PDA, async (inputs, uctx) => {
    const bns = new Set(uctx.unit.nodes.filter((n) => uctx.run.work.node(n).op === 'batchNorm'));
    if (bns.size === 0) return inputs;
    const o = unitBall(options, uctx.inputQuant);
    // With --threads N > 1 the pieces are perturbed on the pool's workers, a share each.
    if (uctx.mapPieces) {
      const moved = await uctx.mapPieces(PDA_UNIT_TASK, { bns: [...bns], ball: o } satisfies PdaPieceOptions, inputs);
      tf.dispose(inputs);
      return moved;
    }
    return inputs.map((x) => {
      const moved = pdaPerturb(x, (input, tap) => void uctx.runUnit(input, tap), bns, o);
      x.dispose();
      return moved;
    });
  });
  // Images are not quantized: the absolute ball (paper section 5.4), the loss summed over every BN.
  let batchesNoted = false;
  run.hooks.data.batch.tapPromise(PDA, async (batch, bctx) => {
    const bns = new Set(bctx.model.graph.nodes.filter((n) => n.op === 'batchNorm').map((n) => n.name));
    if (bns.size === 0) {
      if (!batchesNoted) run.note?.(`pda: graph "${bctx.model.graph.name}" has no BatchNorm to match; training batches are used as they are`);
      batchesNoted = true;
      return batch;
    }
    const x = pdaPerturb(batch.x, (input, tap) => void bctx.model.predict(input, { tap }), bns, unitBall(options, null)) as tf.Tensor4D;
    // The waterfall hands on the new batch; the replaced images are released here.
    batch.x.dispose();
    return { x, y: batch.y };
  });
}

export default augmentationModule(PDA, 'PDA: moves inputs towards the BN running statistics (per unit with LAC, or per training batch)', applyPda, ['pda.steps', 'pda.stepSize', 'pda.gamma', 'pda.gammaSteps']);
