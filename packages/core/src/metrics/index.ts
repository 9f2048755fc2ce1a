export * from './accuracy.js';
export * from './asr.js';
export * from './der.js';
export * from './predict.js';
export * from './evaluate.js';
export * from './evaluation-plan.js';
