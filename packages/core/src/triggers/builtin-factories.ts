import { blendTriggerFactory } from './blend.js';
import { patchTriggerFactory } from './patch.js';
import type { TriggerFactory } from './trigger.js';
import { wanetTriggerFactory } from './wanet.js';

export const BUILTIN_TRIGGER_FACTORIES: readonly TriggerFactory[] = [
  patchTriggerFactory,
  blendTriggerFactory,
  wanetTriggerFactory,
];
