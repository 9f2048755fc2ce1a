export { cacheUnitInputs, cacheUnitTargets } from './unit-cache.js';
export { unitOutputQuantizer } from './output-quantizer.js';
