export * from './defense-plugin.js';
export * from './defense-module.js';
