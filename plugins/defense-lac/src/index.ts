import { defenseModule } from '@qcb/core';
import { createLac } from './lac.js';

export { createLac, type LacConfig } from './lac.js';
export { squaredEuclidean, type Distance } from './distance.js';
export { LAC_FAST, LAC_PAPER, lacPreset, type LacOptions } from './options.js';

export const lac = createLac();

export default defenseModule('lac', 'LAC: layer-wise activation correction of the quantized model (ICML 2024)', lac);
