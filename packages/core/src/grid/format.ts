import type { JsonObject } from '../io/folder/index.js';
import { formatDuration } from '../util/progress.js';
import type { GridCell } from './cells.js';
import type { GridStatus } from './run-grid.js';
import type { CellRecord } from './store.js';

/** The overall progress line: cells done / total, failures, elapsed time and eta. */
export function gridStatusLine(s: GridStatus): string {
  const done = s.earlier + s.finished;
  const parts = [
    `grid ${done}/${s.total} cells${s.earlier > 0 ? ` (${s.earlier} done earlier)` : ''}`,
    `${s.failed} failed`,
    `${s.running} running`,
    `${formatDuration(s.elapsedSeconds)} elapsed`,
    `eta ${formatDuration(s.etaSeconds)}`,
  ];
  return parts.join(', ');
}

/** One cell's record as a JSON object (a line of `qcb grid --json`). */
export function recordJson(cell: GridCell, r: CellRecord): JsonObject {
  const head: JsonObject = {
    label: cell.label, model: r.model, quantizer: r.quantizer, defense: r.defense, augment: [...r.augment], preset: r.preset, seed: r.seed,
    options: { ...r.options }, share: r.share, samples: r.samples, data: r.data, status: r.status,
  };
  const tail: JsonObject = { finishedAt: r.finishedAt, qcbVersion: r.qcbVersion, attempts: r.attempts, key: r.key };
  if (r.status === 'failed') return { ...head, error: r.error, ...tail };
  const { fp, quantized, defended, der, seconds } = r.report;
  return { ...head, fp: { ...fp }, quantized: { ...quantized }, defended: { ...defended }, der, seconds, ...tail };
}

const pct = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(2));

/** The grid as a text table, one row per cell in spec order; cells not run yet show as "-". */
export function gridTable(rows: readonly { cell: GridCell; record: CellRecord | undefined }[]): string {
  const header = ['cell', 'fp BA', 'fp ASR', 'q BA', 'q ASR', 'def BA', 'def ASR', 'DER', 'time'];
  const body = rows.map(({ cell, record }) => {
    if (record === undefined) return [cell.label, '-', '-', '-', '-', '-', '-', '-', 'not run'];
    if (record.status === 'failed') return [cell.label, '-', '-', '-', '-', '-', '-', '-', `failed: ${record.error}`];
    const r = record.report;
    return [cell.label, pct(r.fp.ba), pct(r.fp.asr), pct(r.quantized.ba), pct(r.quantized.asr), pct(r.defended.ba), pct(r.defended.asr), pct(r.der), formatDuration(r.seconds)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (i === header.length - 1 ? 0 : b[i].length))));
  const line = (cols: readonly string[]): string =>
    cols.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : i === cols.length - 1 ? c : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}
