import { ProfileFakeQuant, type ExtraLossFactory } from '@qcb/core';
import { quantizedBranch, type BranchInit } from './quantized-branch.js';

/** A pool worker's copy of CompArtifact's quantized branch, on its replica of the model. */
export const createQuantizedBranch: ExtraLossFactory = (raw, model) => {
  const init = raw as BranchInit;
  const profiles = init.profiles.map((p) => new ProfileFakeQuant(model, p));
  return { loss: quantizedBranch({ model, bits: init.bits, target: init.target, profiles }, null), dispose: () => undefined };
};
