export { UNIT_PASS_BATCH, cacheUnitInputs, cacheUnitTargets, cachePieces, planUnitCache, runPieces, spreadRows, unitInputPass, unitTargetPass, type CachePiece, type UnitCacheOptions, type UnitCachePlan } from './unit-cache.js';
export { unitOutputQuantizer } from './output-quantizer.js';
export { HostRows, type SharedRows } from './host-rows.js';
