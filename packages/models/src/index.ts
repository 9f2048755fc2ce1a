import type { GraphModel } from '@qcb/core';
import { QcbError } from '@qcb/core';
import { resnetSmall, type ResNetSmallOptions } from './resnet-small.js';

import { resnet18 } from './resnet18.js';
import { vggBn } from './vgg-bn.js';
import { alexnet } from './alexnet.js';
import { mobilenetV2 } from './mobilenet-v2.js';
import { vit } from './vit.js';

export { resnetSmall, type ResNetSmallOptions } from './resnet-small.js';
export { resnet18, type ResNet18Options } from './resnet18.js';
export { vggBn, VGG11, type VggBnOptions } from './vgg-bn.js';
export { alexnet, type AlexNetOptions } from './alexnet.js';
export { basicBlock } from './basic-block.js';
export { mobilenetV2, makeDivisible, type MobileNetV2Options } from './mobilenet-v2.js';
export { vit, type VitOptions } from './vit.js';

/** Options every architecture builder accepts. */
export interface ArchOptions {
  readonly inputShape?: readonly number[];
  readonly classes?: number;
  readonly seed?: number;
  /** Channel multiplier for architectures that take one (all but resnet18); default 1. */
  readonly width?: number;
}

const ARCHITECTURES: Readonly<Record<string, (o: ArchOptions) => GraphModel>> = {
  'resnet-small': (o) => resnetSmall(o as ResNetSmallOptions),
  resnet18: (o) => resnet18(o),
  'vgg-bn': (o) => vggBn(o),
  alexnet: (o) => alexnet(o),
  'mobilenet-v2': (o) => mobilenetV2(o),
  vit: (o) => vit(o),
};

const WIDTH_ARCHITECTURES: ReadonlySet<string> = new Set(['resnet-small', 'vgg-bn', 'alexnet', 'mobilenet-v2', 'vit']);

export function architectures(): string[] {
  return Object.keys(ARCHITECTURES);
}

/** Builds a freshly initialised model of a named architecture. */
export function buildArchitecture(name: string, options: ArchOptions = {}): GraphModel {
  const build = ARCHITECTURES[name];
  if (!build) throw new QcbError('E_USAGE', `unknown architecture "${name}" (available: ${architectures().join(', ')})`);
  if (options.width !== undefined && options.width !== 1 && !WIDTH_ARCHITECTURES.has(name)) {
    throw new QcbError('E_USAGE', `architecture "${name}" takes no width multiplier (only ${[...WIDTH_ARCHITECTURES].join(', ')} do)`);
  }
  return build(options);
}
