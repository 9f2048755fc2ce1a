import { defenseModule } from '@qcb/core';
import { createFtSam } from './ft-sam.js';

export { createFtSam, FT_SAM_PHASE } from './ft-sam.js';
export { FT_SAM_FAST, FT_SAM_PAPER, FT_SAM_RULES, ftSamPreset, ftSamSchedule, resolveFtSamOptions, type FtSamOptions } from './options.js';

export const ftSam = createFtSam();

export default defenseModule('ft-sam', 'FT-SAM: fine-tuning with adaptive sharpness-aware minimisation and label smoothing (BackdoorBench)', ftSam);
