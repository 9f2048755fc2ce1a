import { augmentationModule, type DefenseRun } from '@qcb/core';
import { equalizeOutliers, type OutlierChannel } from './equalize.js';
import { EQUALIZE_OPTION_KEYS, resolveEqualizeOptions } from './options.js';

export { channelGroup, type Blocked, type ChannelGroup } from './channel-group.js';
export { channelMaxima, quantile } from './channel-maxima.js';
export { equalizeOutliers, type Equalized, type OutlierChannel } from './equalize.js';
export { EQUALIZE_DEFAULTS, EQUALIZE_OPTION_KEYS, resolveEqualizeOptions, type EqualizeOptions } from './options.js';

export const EQUALIZE = 'equalize';

/** One line on an outlier channel: where it is, how far out, and what was done with it. */
export function describeOutlier(o: OutlierChannel): string {
  const where = `${o.tensor} channel ${o.channel} (max ${o.max.toFixed(2)}, ${(o.max / o.typical).toFixed(1)}x its tensor's 90th percentile)`;
  return o.skipped ? `${where} left alone: ${o.skipped}` : `${where} divided by ${o.factor} in ${o.producers!.join(', ')}, multiplied back in ${o.consumers!.join(', ')}`;
}

/**
 * Equalization on a run that selected it: the run's model stage gets the outlier-equalized
 * model (the same full-precision function), which the runner quantizes for the defense.
 * Options are read here, so that a bad value fails before any work.
 */
export function applyEqualize(run: DefenseRun): void {
  const options = resolveEqualizeOptions(run.options);
  run.hooks.model.prepare.tapPromise(EQUALIZE, async (model, ctx) => {
    const { model: equalized, outliers } = equalizeOutliers(model, ctx.quantized, ctx.calibration, options);
    if (outliers.length === 0) run.note?.('equalize: no outlier channel at the quantized layers\' inputs; the model is used as it is');
    for (const o of outliers) run.note?.(`equalize: ${describeOutlier(o)}`);
    return equalized;
  });
}

export default augmentationModule(EQUALIZE, 'Outlier equalization: scales outlier channels into the 8-bit activation range before quantizing (function-preserving)', applyEqualize, EQUALIZE_OPTION_KEYS);
