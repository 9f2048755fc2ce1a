export * from './format-bytes.js';
export * from './wasm-heap.js';
export * from './backend-budget.js';
export * from './activation-bytes.js';
export * from './choose-batch.js';
export * from './batch-plan.js';
export * from './allocation-failure.js';
export * from './training-plan.js';
