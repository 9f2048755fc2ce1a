import { defenseModule } from '@qcb/core';
import { createMcr } from './mcr.js';

export { createMcr, ENDPOINT_PHASE, MCR_PHASES } from './mcr.js';
export { BezierCurve, averageMiddle, bezierWeights, isCurved } from './bezier.js';
export { CURVE_PHASE, copyStatistics, curveT, trainCurve, type CurveTrainingSpec } from './curve-training.js';
export { recomputeBnStatistics } from './bn-statistics.js';
export { bestCandidate, chooseCurvePoint, curvePointModel, splitShare, type PointSetup, type ShareSplit } from './selection.js';
export { MCR_FAST, MCR_PAPER, MCR_RULES, curvePoints, mcrPreset, mcrSchedule, resolveMcrOptions, type McrOptions, type McrSchedule } from './options.js';

export const mcr = createMcr();

export default defenseModule(
  'mcr',
  'MCR: mode connectivity repair, the model at t on a Bezier curve trained from the full-precision model to its fine-tuned copy',
  mcr,
);
