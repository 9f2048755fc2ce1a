import { defenseModule } from '@qcb/core';
import { createNad } from './nad.js';

export { createNad, nadLayers, NAD_PHASES } from './nad.js';
export { attentionLoss, attentionMap } from './attention.js';
export { attentionDistillation } from './distillation.js';
export { stageEnds } from './stage-ends.js';
export { NAD_FAST, NAD_PAPER, NAD_RULES, nadPreset, nadSchedule, resolveNadOptions, type NadOptions, type NadSchedule } from './options.js';

export const nad = createNad();

export default defenseModule('nad', 'NAD: neural attention distillation from a briefly fine-tuned teacher (ICLR 2021)', nad);
