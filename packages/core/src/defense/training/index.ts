export * from './spec.js';
export { defaultBatchSize, resolveBatchSize } from './batch-size.js';
export { smoothedCrossEntropy } from './label-smoothing.js';
export { Sam, type SamLoss, type SamStepResult } from './sam.js';
export { batchTerms, weightedSum, type BatchLossSetup } from './batch-loss.js';
export { batchStep, type BatchStepResult } from './batch-step.js';
export { loadTrainingResume, phaseModel } from './resume.js';
export { trainDefense } from './train-defense.js';
export { resolveTrainingOptions, type OptionRule, type OptionRules } from './options.js';
