export * from './defense-plugin.js';
export * from './defense-module.js';
export * from './defense-run.js';
export * from './runner/index.js';
export * from './training/index.js';
export * from './layerwise/index.js';
