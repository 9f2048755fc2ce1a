import { basename } from 'node:path';
import {
  QcbError, backdoorAndBenignNeurons, everyNeuronImportance, loadDataset, loadModel, measureDrift, neuronHistograms, quantizeModel, readQuantized,
  resolveQuantizer, scanData, unitMeanDrift, type Engine, type GraphModel, type NeuronHistogram, type NeuronRef, type QuantizedModel,
  type ScanData, type UnitDrift, type UnitMeanDrift,
} from '@qcb/core';
import type { FigureSubject } from './model-folders.js';
import { pdaStatistics, unitsWithBatchNorm, type PdaStatistics } from './pda-statistics.js';

export interface NeuronFigureData {
  readonly backdoor: NeuronRef;
  readonly benign: NeuronRef;
  /** Index 0: the backdoor neuron, 1: the benign one. */
  readonly histograms: readonly NeuronHistogram[];
  readonly target: number;
  /** Triggered images (other classes than the target) and clean ones. */
  readonly triggeredImages: number;
  readonly cleanImages: number;
  /** The classifier's neurons were left out (--hidden-neurons). */
  readonly hiddenOnly: boolean;
}

export interface DriftFigureData {
  readonly before: readonly UnitMeanDrift[];
  /** Null without --defense-model. */
  readonly after: readonly UnitMeanDrift[] | null;
  readonly defenseModel: string | null;
  /** The purified folder's own profile when it is not the one the figures use. */
  readonly defenseProfile: string | null;
}

/** What the figures show of one model under one profile. */
export interface ModelAnalysis {
  readonly model: string;
  readonly profile: string;
  readonly images: number;
  /** Null when qcb.json names no trigger and target. */
  readonly neurons: NeuronFigureData | null;
  readonly drift: DriftFigureData;
  /** Null when no unit has a BN (a profile that folds BN). */
  readonly pda: PdaStatistics | null;
}

/** The purified model of a `qcb purify --out` folder. */
async function loadPurified(dir: string): Promise<QuantizedModel> {
  const { model } = await loadModel(dir);
  try {
    const q = await readQuantized(dir, model);
    if (!q) throw new QcbError('E_USAGE', `--defense-model ${dir} holds no quant.json: pass the folder qcb purify --out wrote`);
    return q;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

async function neuronData(
  fp: GraphModel, quantized: QuantizedModel, drift: readonly UnitDrift[], backdoor: NonNullable<ScanData['backdoor']>, hiddenOnly: boolean,
): Promise<NeuronFigureData> {
  // The classifier's target logit is where a targeted backdoor ends: --hidden-neurons leaves
  // the last unit out to look for the backdoor among hidden neurons, as the paper's Figure 1 does.
  const last = Math.max(...drift.map((u) => u.index));
  const include = (u: UnitDrift): boolean => !hiddenOnly || u.index !== last || drift.length === 1;
  const importance = await everyNeuronImportance(quantized, drift, backdoor.triggered, { include });
  const { backdoor: bad, benign } = backdoorAndBenignNeurons(drift, importance);
  const triggered = backdoor.triggered.map((b) => b.x);
  const clean = backdoor.clean.map((b) => b.x);
  const histograms = await neuronHistograms(fp, quantized, [bad, benign], [{ name: 'clean', batches: clean }, { name: 'triggered', batches: triggered }]);
  const count = (xs: readonly { shape: number[] }[]): number => xs.reduce((n, x) => n + x.shape[0], 0);
  return { backdoor: bad, benign, histograms, target: backdoor.target, triggeredImages: count(triggered), cleanImages: count(clean), hiddenOnly };
}

/**
 * Quantizes the model with the grid's profile on the defender's share (as purify and scan do),
 * measures every unit's drift, every hidden neuron's importance (with a trigger), the two
 * neurons' histograms, the purified model's drift (with --defense-model) and PDA's effect on
 * one unit's BN input statistics.
 */
export interface AnalysisOptions {
  /** A `qcb purify --out` folder of the same model: the drift after the defense. */
  readonly defenseModel: string | null;
  /** Leave the classifier's neurons out of the backdoor / benign neuron choice. */
  readonly hiddenOnly: boolean;
  readonly say: (line: string) => void;
}

export async function analyseModel(engine: Engine, s: FigureSubject, o: AnalysisOptions): Promise<ModelAnalysis> {
  const { defenseModel, say } = o;
  const profile = resolveQuantizer(engine, s.quantizer);
  const { model: fp, sidecar } = await loadModel(s.dir);
  const owned: GraphModel[] = [fp];
  try {
    const dataName = s.data ?? sidecar?.dataset ?? 'fashion-mnist';
    const data = await loadDataset(dataName);
    const normalization = sidecar?.normalization ?? data.normalization;
    const images = scanData(engine, data.train, sidecar, normalization, { share: s.share });
    try {
      say(`quantizing ${basename(s.dir)} with ${profile.name} and measuring the drift of every neuron`);
      const quantized = await quantizeModel(fp, profile, images.batches, { hooks: engine.hooks.quantizer });
      if (quantized.model !== fp) owned.push(quantized.model);
      const drift = await measureDrift(fp, quantized, images.batches);
      let neurons: NeuronFigureData | null = null;
      if (images.backdoor) {
        say(`importance (Definition 3.1) of every ${o.hiddenOnly ? 'hidden ' : ''}neuron on ${images.backdoor.triggered.reduce((n, b) => n + b.x.shape[0], 0)} triggered images`);
        neurons = await neuronData(fp, quantized, drift, images.backdoor, o.hiddenOnly);
      }
      let after: UnitMeanDrift[] | null = null;
      let defenseProfile: string | null = null;
      if (defenseModel !== null) {
        say(`drift of the purified model ${defenseModel}`);
        const purified = await loadPurified(defenseModel);
        owned.push(purified.model);
        if (purified.parts.profile !== profile.name) defenseProfile = purified.parts.profile;
        after = unitMeanDrift(await measureDrift(fp, purified, images.batches));
      }
      const bnUnits = unitsWithBatchNorm(quantized);
      // The unit of the backdoor neuron when it has a BN, else the BN unit that drifts most.
      const meanKl = new Map(unitMeanDrift(drift).map((u) => [u.unit, u.meanKl]));
      const pdaUnit = bnUnits.find((u) => u.head === neurons?.backdoor.unit) ??
        [...bnUnits].sort((a, b) => (meanKl.get(b.head) ?? 0) - (meanKl.get(a.head) ?? 0))[0];
      let pda: PdaStatistics | null = null;
      if (pdaUnit) {
        say(`PDA (fast preset) on the cached inputs of ${pdaUnit.head}`);
        pda = pdaStatistics(quantized, pdaUnit, images.batches);
      }
      const count = images.batches.reduce((n, b) => n + b.shape[0], 0);
      return {
        model: basename(s.dir), profile: profile.name, images: count, neurons,
        drift: { before: unitMeanDrift(drift), after, defenseModel, defenseProfile }, pda,
      };
    } finally {
      images.dispose();
    }
  } finally {
    for (const m of owned) m.dispose();
  }
}
