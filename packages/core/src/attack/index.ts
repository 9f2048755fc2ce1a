export * from './attack-plugin.js';
export * from './attack-trainer.js';
export * from './training-quantizers.js';
export * from './attack-module.js';
export * from './profile-fake-quant.js';
export * from './inflation/index.js';
