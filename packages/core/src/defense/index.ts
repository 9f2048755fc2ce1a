export * from './defense-plugin.js';
export * from './defense-module.js';
export * from './defense-run.js';
