import type { ContainerModule } from 'inversify';
import { builtinTriggers } from './triggers/trigger-plugins.js';

/** Plugins every engine the CLI creates loads before the user's. */
export const BUILTIN_MODULES: readonly ContainerModule[] = [builtinTriggers];
