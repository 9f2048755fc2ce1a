import { defenseModule } from '@qcb/core';
import { createFt } from './ft.js';

export { createFt, FT_PHASE } from './ft.js';
export { FT_FAST, FT_PAPER, FT_RULES, ftPreset, ftSchedule, resolveFtOptions, type FtOptions } from './options.js';

export const ft = createFt();

export default defenseModule('ft', 'FT: fine-tunes every layer of the full-precision model on the defender\'s labelled share', ft);
