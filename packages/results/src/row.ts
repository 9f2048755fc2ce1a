import type { CellRecord, NewCellRecord, Preset, PurifyReport } from '@qcb/core';
import type { CellRow } from './schema.js';

/** The named parameters of the insert, from a record. */
export function rowOf(r: NewCellRecord): Omit<CellRow, 'attempts'> {
  const report: PurifyReport | null = r.status === 'done' ? r.report : null;
  return {
    key: r.key, model: r.model, quantizer: r.quantizer, defense: r.defense, augment: r.augment.join('+'), preset: r.preset, seed: r.seed,
    options: JSON.stringify(r.options), share: r.share, samples: r.samples, data: r.data, status: r.status,
    fp_ba: report?.fp.ba ?? null, fp_asr: report?.fp.asr ?? null, fp_n: report?.fp.n ?? null,
    quantized_ba: report?.quantized.ba ?? null, quantized_asr: report?.quantized.asr ?? null, quantized_n: report?.quantized.n ?? null,
    defended_ba: report?.defended.ba ?? null, defended_asr: report?.defended.asr ?? null, defended_n: report?.defended.n ?? null,
    der: report?.der ?? null, seconds: report?.seconds ?? null,
    error: r.status === 'failed' ? r.error : null, finished_at: r.finishedAt, qcb_version: r.qcbVersion,
    threads: report?.threads ?? null,
  };
}

function figure(v: number | null, column: string, key: string): number {
  if (v === null) throw new Error(`results row ${key}: ${column} is empty in a done cell`);
  return v;
}

/** A record from a row. */
export function recordOf(row: CellRow): CellRecord {
  const base = {
    key: row.key, model: row.model, quantizer: row.quantizer, defense: row.defense, augment: row.augment === '' ? [] : row.augment.split('+'),
    preset: row.preset as Preset, seed: row.seed, options: JSON.parse(row.options) as Record<string, string>, share: row.share, samples: row.samples,
    data: row.data, finishedAt: row.finished_at, qcbVersion: row.qcb_version, attempts: row.attempts,
  };
  if (row.status === 'failed') return { ...base, status: 'failed', error: row.error ?? '' };
  const k = row.key;
  return {
    ...base,
    status: 'done',
    report: {
      fp: { ba: figure(row.fp_ba, 'fp_ba', k), asr: row.fp_asr, n: figure(row.fp_n, 'fp_n', k) },
      quantized: { ba: figure(row.quantized_ba, 'quantized_ba', k), asr: row.quantized_asr, n: figure(row.quantized_n, 'quantized_n', k) },
      defended: { ba: figure(row.defended_ba, 'defended_ba', k), asr: row.defended_asr, n: figure(row.defended_n, 'defended_n', k) },
      der: row.der,
      seconds: figure(row.seconds, 'seconds', k),
      ...(row.threads !== null ? { threads: row.threads } : {}),
    },
  };
}
