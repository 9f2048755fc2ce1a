import { defenseModule } from '@qcb/core';
import { createFinePruning } from './fine-pruning.js';

export { createFinePruning, planPruning, FINE_PRUNING_PHASE, type PruningPlan } from './fine-pruning.js';
export { pruneTarget, type PruneTarget } from './prune-target.js';
export { leastActive, meanChannelActivations } from './channel-ranking.js';
export { channelRows, pruneChannels } from './channel-mask.js';
export {
  FINE_PRUNING_FAST, FINE_PRUNING_PAPER, FINE_PRUNING_RULES, finePruningPreset, finePruningSchedule, resolveFinePruningOptions,
  type FinePruningOptions,
} from './options.js';

export const finePruning = createFinePruning();

export default defenseModule(
  'fine-pruning',
  'Fine-pruning: prunes the least active channels of the last feature map of the full-precision model, then fine-tunes it on the defender\'s labelled share',
  finePruning,
);
