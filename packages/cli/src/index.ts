export { main, COMMANDS } from './main.js';
export type { CliIO } from './io.js';
export type { Command } from './commands/command.js';
export { inspectReport, type InspectReport } from './commands/inspect.js';
export { DEFAULT_PLUGINS } from './default-plugins.js';
