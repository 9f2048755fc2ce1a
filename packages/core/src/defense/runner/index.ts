export { purify, type PurifyRequest, type PurifyOutcome } from './purify.js';
export { purifyReport, type PurifyReport } from './report.js';
export { evaluateModel, evaluationImages, evaluationSet, type EvaluationResult, type EvaluationSet } from './evaluation.js';
export { evaluateBaselines, type Baselines } from './baselines.js';
export { defenseCheckpointAt } from './checkpoint-folder.js';
export { modelFingerprint } from './fingerprint.js';
export { prepareDefense, type DefenseContextOptions, type PreparedDefense } from './defense-context.js';
export { evaluateModelOnPool, evaluateOnThreads, baselinesOnThreads, type EvaluationStage, type ThreadedEvaluationOptions } from './threaded-evaluation.js';
