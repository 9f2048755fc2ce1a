/** Values per CIFAR-10 image (32x32x3): the input size the 128-image batch is meant for. */
const REFERENCE_VALUES = 32 * 32 * 3;

function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}

/**
 * The batch size of a training defense when its preset names none: 128 images of up to
 * CIFAR size (BackdoorBox's fine-tuning batch), proportionally fewer for larger inputs,
 * and at most an eighth of the data so that an epoch has several steps (a power of two,
 * at least 1).
 */
export function defaultBatchSize(count: number, inputShape: readonly number[]): number {
  const values = inputShape.reduce((a, b) => a * b, 1);
  const byInput = Math.max(8, Math.floor((128 * REFERENCE_VALUES) / Math.max(values, REFERENCE_VALUES)));
  return floorPow2(Math.min(byInput, Math.floor(count / 8)));
}

/** The batch size a phase runs with: the requested one (or the default), never more than the data. */
export function resolveBatchSize(requested: number | undefined, count: number, inputShape: readonly number[]): number {
  const size = requested && requested > 0 ? Math.floor(requested) : defaultBatchSize(count, inputShape);
  return Math.max(1, Math.min(size, count));
}
