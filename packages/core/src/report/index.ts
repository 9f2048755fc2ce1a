export * from './names.js';
export * from './spread.js';
export * from './result-table.js';
export * from './result-table-markdown.js';
export * from './neuron-importance.js';
export * from './neuron-histograms.js';
export * from './unit-drift.js';
export * from './bn-input-stats.js';
