export * from './threads.js';
export * from './portable-graph.js';
export * from './shards.js';
export * from './task.js';
export * from './compiled-url.js';
export * from './step-pool.js';
export * from './parallel-classifier.js';
