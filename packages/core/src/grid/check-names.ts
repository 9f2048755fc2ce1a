import { checkDefenseOptionKeys } from '../defense/defense-module.js';
import { QcbError, isQcbError } from '../errors.js';
import type { Engine } from '../kernel/engine.js';
import { resolveQuantizer } from '../quant/quantizer-plugin.js';
import type { GridSpec } from './spec.js';

/**
 * Checks the spec's plugin names and option keys against the engine before any cell runs,
 * so that a typo fails at once rather than as cell 30 of a night's grid.
 */
export function checkGridNames(engine: Engine, spec: GridSpec, source = 'spec'): void {
  const at = (field: string, check: () => void): void => {
    try {
      check();
    } catch (e) {
      if (!isQcbError(e)) throw e;
      throw new QcbError('E_USAGE', `${source}: ${field}: ${e.message}`);
    }
  };
  spec.quantizers.forEach((q, i) => at(`quantizers[${i}]`, () => resolveQuantizer(engine, q)));
  spec.defenses.forEach((d, i) => {
    const field = `defenses[${i}]`;
    at(field, () => {
      const definition = engine.plugin('defense', d.defense).definition;
      const augmentations = d.augment.map((a) => engine.plugin('augmentation', a));
      checkDefenseOptionKeys(d.options, definition, augmentations);
    });
  });
}
