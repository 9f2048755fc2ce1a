import { BUILTIN_MODULES, Engine, loadDataset, loadModel, purify, type JsonObject, type Preset, type PurifyReport } from '@qcb/core';
import nad from '@qcb/defense-nad';
import pda from '@qcb/pda';
import academicW4a4 from '@qcb/quantizer-academic-w4a4';

export interface NadRow {
  /** 'nad' or 'nad + pda'. */
  readonly defense: string;
  readonly report: PurifyReport;
}

export interface PdaWithNadOptions {
  readonly quantizer?: string;
  readonly preset?: Preset;
  readonly seed?: number;
  /** NAD's --option overrides, for both runs, e.g. { epochs: 2 }. */
  readonly options?: JsonObject;
  /** PDA's, for the second run, e.g. { 'pda.gamma': 0.02 }. */
  readonly pdaOptions?: JsonObject;
  readonly dataDir?: string;
  /** Called with each row as soon as it is measured. */
  readonly onRow?: (row: NadRow) => void;
}

/** The engine with what this example composes, registered through DI: the built-in triggers, one profile, NAD and PDA. */
export function createEngine(): Promise<Engine> {
  return Engine.create([...BUILTIN_MODULES, academicW4a4, nad, pda]);
}

/**
 * NAD alone and NAD with PDA as its input augmentation (paper section 5.4): the same model,
 * profile, defender share and seed; only `augmentations` differs between the two runs.
 */
export async function runPdaWithNad(modelDir: string, o: PdaWithNadOptions = {}): Promise<NadRow[]> {
  const engine = await createEngine();
  const { model, sidecar } = await loadModel(modelDir);
  try {
    const data = await loadDataset(sidecar?.dataset ?? 'fashion-mnist', { dataDir: o.dataDir });
    const rows: NadRow[] = [];
    for (const augmentations of [[], ['pda']]) {
      const outcome = await purify({
        engine, model, quantizer: o.quantizer ?? 'academic-w4a4', defense: 'nad', augmentations,
        data, normalization: sidecar?.normalization ?? data.normalization, sidecar,
        preset: o.preset ?? 'fast', seed: o.seed ?? 0,
        options: { ...o.options, ...(augmentations.length > 0 ? o.pdaOptions : {}) },
      });
      outcome.dispose();
      const row = { defense: ['nad', ...augmentations].join(' + '), report: outcome.report };
      o.onRow?.(row);
      rows.push(row);
    }
    return rows;
  } finally {
    model.dispose();
  }
}

const pct = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(2));

/** The rows as a table: the undefended quantized model once, then each defense. */
export function formatRows(rows: readonly NadRow[]): string {
  const first = rows[0]?.report;
  const lines = ['model                     BA %    ASR %    DER %'];
  if (first) {
    lines.push(`full precision          ${pct(first.fp.ba).padStart(6)}   ${pct(first.fp.asr).padStart(6)}`);
    lines.push(`quantized, no defense   ${pct(first.quantized.ba).padStart(6)}   ${pct(first.quantized.asr).padStart(6)}`);
  }
  for (const r of rows) {
    lines.push(`${r.defense.padEnd(22)}  ${pct(r.report.defended.ba).padStart(6)}   ${pct(r.report.defended.asr).padStart(6)}   ${pct(r.report.der).padStart(6)}`);
  }
  return lines.join('\n');
}
