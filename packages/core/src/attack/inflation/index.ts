export * from './inflatable-chains.js';
export * from './channel-contributions.js';
export * from './inflate-channels.js';
export * from './inflation-lock.js';
export * from './inflate-least-contributing.js';
export * from './params-equal.js';
