import type { GraphModel } from '@qcb/core';
import { QcbError } from '@qcb/core';
import { resnetSmall, type ResNetSmallOptions } from './resnet-small.js';

export { resnetSmall, type ResNetSmallOptions } from './resnet-small.js';

/** Options every architecture builder accepts. */
export interface ArchOptions {
  readonly inputShape?: readonly number[];
  readonly classes?: number;
  readonly seed?: number;
}

const ARCHITECTURES: Readonly<Record<string, (o: ArchOptions) => GraphModel>> = {
  'resnet-small': (o) => resnetSmall(o as ResNetSmallOptions),
};

export function architectures(): string[] {
  return Object.keys(ARCHITECTURES);
}

/** Builds a freshly initialised model of a named architecture. */
export function buildArchitecture(name: string, options: ArchOptions = {}): GraphModel {
  const build = ARCHITECTURES[name];
  if (!build) throw new QcbError('E_USAGE', `unknown architecture "${name}" (available: ${architectures().join(', ')})`);
  return build(options);
}
