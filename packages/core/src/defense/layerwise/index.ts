export { UNIT_PASS_BATCH, cacheUnitInputs, cacheUnitTargets, planUnitCache, spreadRows, type UnitCacheOptions, type UnitCachePlan } from './unit-cache.js';
export { unitOutputQuantizer } from './output-quantizer.js';
