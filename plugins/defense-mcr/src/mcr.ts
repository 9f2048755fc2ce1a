import {
  GraphModel, cloneGraph, loadTrainingResume, phaseModel, resolveBatchSize, trainDefense,
  type DefenseContext, type DefenseDefinition,
} from '@qcb/core';
import { BezierCurve, averageMiddle } from './bezier.js';
import { CURVE_PHASE, trainCurve } from './curve-training.js';
import { MCR_FAST, curvePoints, mcrSchedule, resolveMcrOptions } from './options.js';
import { chooseCurvePoint, splitShare } from './selection.js';

export const ENDPOINT_PHASE = 'endpoint';
export const MCR_PHASES = [ENDPOINT_PHASE, CURVE_PHASE] as const;

/**
 * Mode connectivity repair (Zhao et al., ICLR 2020; the paper's MCR baseline): the model
 * (theta_0) and a copy fine-tuned on the defender's share (theta_1) are joined by a
 * quadratic Bezier curve whose middle bend starts at their average and is trained with
 * t ~ U(0, 1) drawn per batch; the model at t (0.1 by default), its BN statistics
 * recomputed at t on the share, is the repaired model. With several candidates, a part of
 * the share is held out of all training and picks the most accurate point. A run resumed
 * in the curve phase fine-tunes the endpoint again (deterministic: the same endpoint)
 * without checkpointing it, as NAD does with its teacher.
 */
export function createMcr(): DefenseDefinition {
  return {
    operatesOn: 'full-precision',
    optionKeys: Object.keys(MCR_FAST),
    async run(ctx: DefenseContext): Promise<GraphModel> {
      const o = resolveMcrOptions(ctx.preset, ctx.options);
      const points = curvePoints(o);
      const split = points.length > 1 ? splitShare(ctx.data, o.holdout, ctx.seed) : { train: ctx.data, held: null };
      const resume = await loadTrainingResume(ctx, MCR_PHASES);
      const optimizer = { type: 'sgd' as const, momentum: o.momentum, weightDecay: o.weightDecay };
      const batchSize = o.batchSize > 0 ? o.batchSize : undefined;
      const endpoint = phaseModel(resume, ENDPOINT_PHASE, ctx.fp);
      let mid: GraphModel | null = resume?.phase === CURVE_PHASE ? resume.model : null;
      let work: GraphModel | null = null;
      try {
        await trainDefense(ctx, endpoint, {
          defense: 'mcr', phase: ENDPOINT_PHASE, epochs: o.endpointEpochs, ...(batchSize ? { batchSize } : {}), optimizer,
          schedule: mcrSchedule(o.endpointSchedule, o.endpointLr), data: split.train, resume, checkpoints: resume?.phase !== CURVE_PHASE,
        });
        mid ??= averageMiddle(ctx.fp, endpoint);
        const curve = new BezierCurve(ctx.fp, mid, endpoint);
        work = new GraphModel(cloneGraph(mid.graph));
        await trainCurve(ctx, curve, work, {
          epochs: o.epochs, ...(batchSize ? { batchSize } : {}), optimizer, schedule: mcrSchedule(o.schedule, o.lr),
          data: split.train, epochOffset: o.endpointEpochs, resume,
        });
        ctx.progress.stage(`bn statistics at t ${points.join(', ')}`, points.length);
        const setup = {
          curve, template: work, data: split.train, normalization: ctx.normalization,
          batchSize: resolveBatchSize(batchSize, split.train.count, ctx.fp.inputShape),
        };
        const chosen = chooseCurvePoint(setup, points, split.held, (done, line) => ctx.progress.step(done, line));
        ctx.progress.stageDone(points.length > 1 ? '' : `t ${points[0]}`);
        return chosen;
      } finally {
        endpoint.dispose();
        mid?.dispose();
        work?.dispose();
      }
    },
  };
}
