import { resnetSmall } from '../../../../models/src/resnet-small.js';
import type { GraphModel } from '../../ir/graph-model.js';

/**
 * resnet-small with 4, 8 and 8 channels on 8x8x1 images and 4 classes. @qcb/models
 * depends on core, so core's tests reach its source by path; the cast bridges the two
 * declarations of GraphModel the type checker sees (core's source, and its build that
 * @qcb/models is typed against), which are one class at run time.
 */
export function tinyResnet(seed = 1): GraphModel {
  return resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed }) as unknown as GraphModel;
}
