import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '../../ir/graph-model.js';
import type { Graph } from '../../ir/graph.js';
import type { CalibrationUnit } from '../../ir/units.js';
import { fakeQuant } from '../../quant/fake-quant.js';
import type { QuantizedModel } from '../../quant/quantized-model.js';
import { modelActivationBytes, modelShapes } from '../../runtime/memory/activation-bytes.js';
import { withAllocationGuard } from '../../runtime/memory/allocation-failure.js';
import { backendBudget, type MemoryBudget } from '../../runtime/memory/backend-budget.js';
import { describeBudget, planBatch, planBytes, planFromBytes, type BatchPlan } from '../../runtime/memory/batch-plan.js';
import type { ActivationBytes } from '../../runtime/memory/activation-bytes.js';
import { formatBytes } from '../../runtime/memory/format-bytes.js';

/** Samples per pass through one unit alone when memory allows (scoring the whole cache). */
export const UNIT_PASS_BATCH = 256;

/**
 * Copies of a unit's input and target a layer-wise defense holds per cached sample at its
 * peak: the per-batch pieces and their concatenation, or the concatenation and a moved copy
 * of the inputs (LAC's channel shift, PDA).
 */
const CACHE_COPIES = 2;

/** Share of the budget for the passes that fill the cache and run the unit; the cache holds the rest. */
const PASS_SHARE = 0.25;

/** The most of the budget a training step may hold; its micro-batches shrink to fit (the cache holds the rest). */
const STEP_SHARE = 0.5;

/** How much of the defender's data one unit caches, and in which batches it runs. */
export interface UnitCachePlan {
  /** Samples cached: `samples` of the defender batches' samples, spread evenly over them (spreadRows), in their order. */
  readonly samples: number;
  /** Samples the defender batches hold. */
  readonly available: number;
  /** Samples per forward pass while caching (up to the unit's input, and to its output on the fp path). */
  readonly batch: number;
  /** Samples per pass through the unit alone (e.g. a loss over the whole cache). */
  readonly unitBatch: number;
  /**
   * Samples per forward and backward pass of a training step: the step's batch (trainBatch),
   * or, when that does not fit half the budget, the largest power of two that does; the
   * step then sums the gradients of its micro-batches.
   */
  readonly stepBatch: number;
  /** Cached input and target bytes per sample. */
  readonly bytesPerSample: number;
  readonly budget: MemoryBudget;
  /** One line for the output when fewer than `available` samples fit; else null. */
  readonly note: string | null;
}

export interface UnitCacheOptions {
  /** Samples per forward pass (--batch); default what fits the budget. */
  readonly batch?: number;
  /** Samples per training step on the cache (reserved beside it). */
  readonly trainBatch?: number;
  /**
   * The defense's training step on the unit, measured (measurePassBytes): its loss, output
   * quantizer and gradients included. Default: the IR's estimate of the unit's nodes alone.
   */
  readonly step?: ActivationBytes;
  /** A pass through the unit with its loss, measured: sets the batch of passes over the whole cache. */
  readonly unitPass?: ActivationBytes;
  /** Default: the active backend's. */
  readonly budget?: MemoryBudget;
  /** Names the unit in the note, e.g. `unit 3/53`. */
  readonly label?: string;
}

/** The nodes `names` need, themselves included. */
function ancestors(graph: Graph, names: readonly string[]): Set<string> {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const seen = new Set<string>();
  const stack = [...names];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    stack.push(...(byName.get(name)?.inputs ?? []));
  }
  return seen;
}

function valuesOf(shape: readonly number[] | undefined): number {
  return shape === undefined ? 0 : shape.reduce((a, b) => a * b, 1);
}

/** The step's batch when `fixed + batch * perSample` fits `room`, else the largest power of two below it that does (at least 1). */
function microBatch(batch: number, step: ActivationBytes, room: number): number {
  if (step.fixed + batch * step.perSample <= room || step.perSample <= 0) return batch;
  const fitting = Math.floor((room - step.fixed) / step.perSample);
  return fitting < 1 ? 1 : Math.min(batch, 2 ** Math.floor(Math.log2(fitting)));
}

/**
 * Plans one unit's cache within the backend's memory budget: the batch of the passes that
 * fill it (up to the unit's input on the quantized path, up to its output on the fp path),
 * the batch of a pass through the unit, and how many samples fit beside them. When not all
 * of the defender's samples fit, the unit trains on as many as do, spread evenly over them
 * (the data may be sorted by class), and `note` says so.
 */
export function planUnitCache(work: QuantizedModel, fp: GraphModel, unit: CalibrationUnit, available: number, o: UnitCacheOptions = {}): UnitCachePlan {
  const budget = o.budget ?? backendBudget();
  const requested = o.batch !== undefined ? { requested: o.batch } : {};
  const quantized = { quantizedInputs: new Set(work.parts.activations.keys()), quantizedWeights: !work.parts.weightsOnGrid };
  const wanted = Math.max(1, available);
  // The passes get a share of the budget, the cache the rest.
  const passes = { ...budget, budgetBytes: Math.floor(budget.budgetBytes * PASS_SHARE) };
  const toInput = planBatch(work.model, { stage: 'caching the input of', wanted, budget: passes, nodes: ancestors(work.model.graph, [unit.input]), ...quantized, ...requested });
  const toTarget = planBatch(fp, { stage: 'caching the target of', wanted, budget: passes, nodes: ancestors(fp.graph, [unit.output]), ...requested });
  const unitNodes = new Set(unit.nodes);
  // The cache holds the unit's input already quantized: its own passes fake-quantize weights only.
  const weightsOnly = { quantizedWeights: quantized.quantizedWeights };
  const unitPass = o.unitPass
    ? planFromBytes(work.model.graph.name, o.unitPass, { stage: 'reconstructing', wanted: UNIT_PASS_BATCH, budget: passes, ...requested })
    : planBatch(work.model, { stage: 'reconstructing', wanted: UNIT_PASS_BATCH, budget: passes, nodes: unitNodes, ...weightsOnly, ...requested });
  // Steps on the unit take gradients through its inference mode (BN on its running statistics).
  const training = !o.trainBatch ? null : o.step ?? modelActivationBytes(work.model, { kind: 'training', trainingMode: false, nodes: unitNodes, ...weightsOnly });
  const stepBatch = training ? microBatch(o.trainBatch!, training, budget.budgetBytes * STEP_SHARE) : o.trainBatch ?? 1;
  const reserve = Math.max(
    planBytes(toInput), planBytes(toTarget), planBytes(unitPass),
    training ? training.fixed + stepBatch * training.perSample : 0,
  );
  const shapes = modelShapes(work.model);
  const inputValues = unit.input === work.model.graph.input ? valuesOf(work.model.inputShape) : valuesOf(shapes.get(unit.input));
  const bytesPerSample = 4 * (inputValues + valuesOf(modelShapes(fp).get(unit.output)));
  const fitting = Math.floor(Math.max(0, budget.budgetBytes - reserve) / (CACHE_COPIES * bytesPerSample));
  const samples = Math.max(Math.min(1, available), Math.min(available, fitting));
  const micro = stepBatch < (o.trainBatch ?? 1) ? `, training steps in micro-batches of ${stepBatch}` : '';
  const note = samples < available || micro
    ? `${o.label ?? 'unit'} "${unit.head}": caching ${samples} of ${available} samples, evenly spread${micro} (its input and target take ${formatBytes(bytesPerSample)} per sample; ${describeBudget(budget)})`
    : null;
  return { samples, available, batch: Math.min(toInput.batch, toTarget.batch), unitBatch: unitPass.batch, stepBatch, bytesPerSample, budget, note };
}

/** `samples` of `available` rows spread evenly (the defender's data may be sorted by class). */
export function spreadRows(available: number, samples: number): Int32Array {
  const n = Math.max(0, Math.min(samples, available));
  return Int32Array.from({ length: n }, (_, i) => Math.floor((i * available) / n));
}

/** One forward pass of a unit cache: rows of one defender batch (null: the whole batch). */
export interface CachePiece {
  readonly batch: number;
  readonly rows: Int32Array | null;
}

/** The passes that cache `samples` of the batches' rows spread evenly, `batch` rows at a time, in cache order. */
export function cachePieces(batchSizes: readonly number[], o: { samples?: number; batch?: number }): CachePiece[] {
  const available = batchSizes.reduce((n, b) => n + b, 0);
  const rows = spreadRows(available, o.samples ?? available);
  const pieces: CachePiece[] = [];
  let next = 0;
  let offset = 0;
  batchSizes.forEach((size, batch) => {
    const local: number[] = [];
    while (next < rows.length && rows[next] < offset + size) local.push(rows[next++] - offset);
    offset += size;
    const step = Math.max(1, Math.min(o.batch ?? size, size));
    for (let start = 0; start < local.length; start += step) {
      const picked = local.slice(start, start + step);
      pieces.push({ batch, rows: picked.length === size ? null : Int32Array.from(picked) });
    }
  });
  return pieces;
}

/** Runs `pass` on each piece's rows; one result per piece (the caller disposes them). */
export function runPieces(batches: readonly tf.Tensor4D[], pieces: readonly CachePiece[], pass: (x: tf.Tensor4D) => tf.Tensor): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  try {
    for (const { batch, rows } of pieces) {
      const b = batches[batch];
      out.push(tf.tidy(() => pass(rows ? tf.gather(b, rows) : b)));
    }
  } catch (e) {
    tf.dispose(out);
    throw e;
  }
  return out;
}

function inPieces(batches: readonly tf.Tensor4D[], o: { samples?: number; batch?: number }, pass: (x: tf.Tensor4D) => tf.Tensor): tf.Tensor[] {
  return runPieces(batches, cachePieces(batches.map((b) => b.shape[0]), o), pass);
}

/**
 * A unit's input as the quantized model feeds it, quantized by the unit's input quantizer:
 * the pass of cacheUnitInputs (one piece of a batch in, one tensor out).
 */
export function unitInputPass(work: QuantizedModel, unit: CalibrationUnit): (b: tf.Tensor4D) => tf.Tensor {
  const actParams = work.parts.activations.get(unit.head);
  const transform = work.transform();
  return (b) => {
    const [x] = work.model.outputsOf(b, [unit.input], { transform });
    // A copy without an input quantizer: for the first unit x is the batch itself, which the
    // caller disposes with the cache.
    return actParams ? fakeQuant(x, actParams) : tf.clone(x);
  };
}

/** The full-precision model's output at a unit's last node: the pass of cacheUnitTargets. */
export function unitTargetPass(fp: GraphModel, unit: CalibrationUnit): (b: tf.Tensor4D) => tf.Tensor {
  return (b) => fp.outputsOf(b, [unit.output])[0];
}

function memoryContext(model: GraphModel, stage: string, plan: Partial<Pick<UnitCachePlan, 'batch' | 'budget'>>, unit: CalibrationUnit): Pick<BatchPlan, 'model' | 'stage' | 'batch'> & { budget?: MemoryBudget } {
  return { model: model.graph.name, stage: `${stage} unit "${unit.head}" of`, batch: plan.batch ?? 0, ...(plan.budget ? { budget: plan.budget } : {}) };
}

/**
 * The input of a unit as the quantized model feeds it (earlier units already corrected),
 * quantized by the unit's input quantizer, for the defender batches (`samples` of them spread
 * evenly, `batch` at a time: planUnitCache): cached once, so that training and PDA need not run the
 * network again. One tensor per piece; the caller disposes them.
 */
export function cacheUnitInputs(work: QuantizedModel, unit: CalibrationUnit, batches: readonly tf.Tensor4D[], plan: Partial<Pick<UnitCachePlan, 'samples' | 'batch' | 'budget'>> = {}): tf.Tensor[] {
  return withAllocationGuard(memoryContext(work.model, 'caching the input of', plan, unit), () => inPieces(batches, plan, unitInputPass(work, unit)));
}

/** The full-precision model's output at the unit's last node, on its own fp path (the same samples and pieces as cacheUnitInputs). */
export function cacheUnitTargets(fp: GraphModel, unit: CalibrationUnit, batches: readonly tf.Tensor4D[], plan: Partial<Pick<UnitCachePlan, 'samples' | 'batch' | 'budget'>> = {}): tf.Tensor[] {
  return withAllocationGuard(memoryContext(fp, 'caching the target of', plan, unit), () => inPieces(batches, plan, unitTargetPass(fp, unit)));
}
