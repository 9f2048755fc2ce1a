import { defenseModule } from '@qcb/core';
import { createIbau } from './ibau.js';

export { createIbau, IBAU_PHASE } from './ibau.js';
export { IBAU_FAST, IBAU_PAPER, IBAU_RULES, ibauPreset, resolveIbauOptions, type IbauOptions } from './options.js';
export { localSearchGradient, searchPerturbation, projectL2, type PerturbationSearch, type SearchGradient } from './perturbation.js';
export { implicitHypergradient, outerGradients, type FixedPointSpec, type Hypergradient, type OuterGradients } from './hypergradient.js';
export { exactSecondOrder, finiteDifferenceSecondOrder, supportsExactSecondOrder, type InnerLoss, type LocalSecondOrder, type SecondOrder } from './second-order.js';
export { localTerms, outerLoss, outerStep, patchMask, IBAU_STAGE, type HypergradientTerms, type OuterStepSetup } from './outer-step.js';
export { IbauPool } from './pool.js';
export { meanCrossEntropy, perturbationLoss, sampleCrossEntropy } from './loss.js';

export const ibau = createIbau();

export default defenseModule('ibau', 'I-BAU: adversarial unlearning of backdoors via implicit hypergradient, on the full-precision model', ibau);
