import { defenseModule } from '@qcb/core';
import { createEfrap } from './efrap.js';

export { createEfrap } from './efrap.js';
export { EFRAP_FAST, EFRAP_PAPER, EFRAP_RULES, efrapPreset, regulariserExponent, resolveEfrapOptions, type EfrapOptions } from './options.js';
export { FlipRounding } from './rounding.js';
export { flipGuide } from './guide.js';
export { learnUnitRounding, type UnitRounding } from './learn-unit.js';
export { reconstruction, roundingObjective, type RoundingObjective } from './objective.js';

export const efrap = createEfrap();

export default defenseModule('efrap', 'EFRAP: error-guided flipped rounding with activation preservation, unit by unit on the quantized model', efrap);
