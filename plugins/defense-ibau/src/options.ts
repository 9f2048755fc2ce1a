import { resolveTrainingOptions, type JsonObject, type OptionRules, type Preset } from '@qcb/core';

export interface IbauOptions {
  /** Unlearning rounds (`n_rounds`): a fresh universal perturbation, then one pass of outer steps. */
  readonly rounds: number;
  /** Fixed-point iterations of the implicit hypergradient (`K`). */
  readonly fixedPointIterations: number;
  /** Images per outer step; the perturbation search walks the share in batches of this size too. */
  readonly batchSize: number;
  /** Images of the inner loss in the hypergradient; 0: the whole first batch, as the original. */
  readonly innerBatchSize: number;
  /** Adam on the model (the outer problem). */
  readonly lr: number;
  /** SGD on the perturbation (the authors' `lr=10`). */
  readonly perturbLr: number;
  /** Perturbation steps per round, one batch each; 0: one pass over the share, as the original. */
  readonly perturbSteps: number;
  /** Weight of `||delta||^2` in the inner loss (the authors' 0.001). */
  readonly perturbReg: number;
  /** L2 radius the perturbation is projected onto after its search (normalised input units); 0: none. */
  readonly normBound: number;
  /** Step of the inner problem's fixed-point map `delta - step * grad` (the authors' 0.1). */
  readonly innerStep: number;
  /** Share of each outer batch that gets the perturbation, rounded down (the authors' 0.01: 1 image in 100). */
  readonly patchPortion: number;
  /**
   * 'exact': second-order products by double backpropagation; 'finite-difference': central
   * differences of first-order gradients; 'auto': exact when every op of the model supports it.
   */
  readonly hypergradient: 'auto' | 'exact' | 'finite-difference';
}

/**
 * BackdoorBench's I-BAU (`config/defense/i-bau/config.yaml`, the settings the paper follows):
 * 5 rounds, K = 5, batches of 256, Adam lr 1e-4 without weight decay; the perturbation and
 * the fixed-point map as the authors' code (SGD lr 10 with one step per batch, penalty 1e-3,
 * map step 0.1, 1% of each outer batch perturbed), and the authors' L2 ball of radius 10,
 * which BackdoorBench leaves commented out.
 */
export const IBAU_PAPER: IbauOptions = {
  rounds: 5, fixedPointIterations: 5, batchSize: 256, innerBatchSize: 0, lr: 1e-4,
  perturbLr: 10, perturbSteps: 0, perturbReg: 1e-3, normBound: 10, innerStep: 0.1, patchPortion: 0.01, hypergradient: 'auto',
};

/**
 * The default: batches of 128 and an inner loss on 32 images, otherwise the paper's settings.
 * The inner batch sets the cost of the K - 1 Hessian-vector products and the mixed product of
 * every outer step (README, "Cost").
 */
export const IBAU_FAST: IbauOptions = { ...IBAU_PAPER, batchSize: 128, innerBatchSize: 32 };

export const IBAU_RULES: OptionRules<IbauOptions> = {
  rounds: { type: 'integer', min: 1 },
  fixedPointIterations: { type: 'integer', min: 1 },
  batchSize: { type: 'integer', min: 1 },
  innerBatchSize: { type: 'integer', min: 0 },
  lr: { type: 'number', min: 0, exclusiveMin: true },
  perturbLr: { type: 'number', min: 0, exclusiveMin: true },
  perturbSteps: { type: 'integer', min: 0 },
  perturbReg: { type: 'number', min: 0 },
  normBound: { type: 'number', min: 0 },
  innerStep: { type: 'number', min: 0, exclusiveMin: true },
  patchPortion: { type: 'number', min: 0, max: 1 },
  hypergradient: { type: 'enum', values: ['auto', 'exact', 'finite-difference'] },
};

export function ibauPreset(preset: Preset): IbauOptions {
  return preset === 'paper' ? IBAU_PAPER : IBAU_FAST;
}

/** The preset's options with the run's `--option` overrides of I-BAU's keys. */
export function resolveIbauOptions(preset: Preset, overrides: JsonObject = {}): IbauOptions {
  return resolveTrainingOptions(ibauPreset(preset), IBAU_RULES, overrides);
}
