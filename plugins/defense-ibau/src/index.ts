import { defenseModule } from '@qcb/core';
import { createIbau } from './ibau.js';

export { createIbau, IBAU_PHASE } from './ibau.js';
export { IBAU_FAST, IBAU_PAPER, IBAU_RULES, ibauPreset, resolveIbauOptions, type IbauOptions } from './options.js';
export { searchPerturbation, projectL2, type PerturbationSearch } from './perturbation.js';
export { implicitHypergradient, type FixedPointSpec, type Hypergradient } from './hypergradient.js';
export { exactSecondOrder, finiteDifferenceSecondOrder, supportsExactSecondOrder, type InnerLoss, type SecondOrder } from './second-order.js';
export { outerLoss, outerStep, patchMask, IBAU_STAGE, type OuterStepSetup } from './outer-step.js';
export { meanCrossEntropy, perturbationLoss, sampleCrossEntropy } from './loss.js';

export const ibau = createIbau();

export default defenseModule('ibau', 'I-BAU: adversarial unlearning of backdoors via implicit hypergradient, on the full-precision model', ibau);
