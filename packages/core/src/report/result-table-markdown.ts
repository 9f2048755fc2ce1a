import { formatSeedStat, type SeedStat } from './spread.js';
import type { ResultTable, TableCell } from './result-table.js';

const stat = (s: SeedStat | null, withSpread = true): string => (s === null ? 'n/a' : formatSeedStat(s, 1, withSpread));
// Markdown table cells end at a pipe or a line break.
const safe = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

/** "BA / ASR / DER" with each seed figure as mean±spread (DER as its mean, as the paper prints one figure). */
export function cellText(cell: TableCell, options: { bold?: boolean; noDer?: boolean } = {}): string {
  if (cell.status === 'missing') return '–';
  if (cell.status === 'failed') return cell.failed > 1 ? `failed (${cell.failed} seeds)` : 'failed';
  const parts = [stat(cell.ba), stat(cell.asr), options.noDer ? '–' : stat(cell.der, false)];
  const text = parts.join(' / ');
  const shown = options.bold ? `**${text}**` : text;
  return cell.failed > 0 ? `${shown} (${cell.failed} failed)` : shown;
}

function seedsNote(seeds: readonly number[]): string {
  if (seeds.length <= 1) return seeds.length === 1 ? `seed ${seeds[0]}` : 'no seeds';
  return `mean±standard deviation over seeds ${seeds.join(', ')}`;
}

/**
 * The table in Markdown: a header of columns, the "No defense" row (the quantized model's BA /
 * ASR), one row per defense, the best DER of each column in bold, and a note line.
 */
export function resultTableMarkdown(t: ResultTable): string {
  if (t.columns.length === 0) return '_The database holds no cells yet._\n';
  const line = (cols: readonly string[]): string => `| ${cols.map(safe).join(' | ')} |`;
  const lines = [
    line(['Defense', ...t.columns.map((c) => c.label)]),
    line(['---', ...t.columns.map(() => '---')]),
    line(['No defense', ...t.noDefense.map((c) => cellText(c, { noDer: true }))]),
    ...t.rows.map((row, i) => line([row.label, ...row.cells.map((c, j) => cellText(c, { bold: t.best[j].includes(i) }))])),
  ];
  const fp = t.columns.map((c, j) => {
    const cell = t.fullPrecision[j];
    return cell.status === 'done' ? `${c.label} ${stat(cell.ba)} / ${stat(cell.asr)}` : null;
  }).filter((s): s is string => s !== null);
  const notes = [
    `Cells: BA / ASR / DER (%), ${seedsNote(t.seeds)}; the best DER of each column in bold; "No defense" is the quantized model; "failed": every seed of the cell failed; "–": not run.`,
    ...(fp.length > 0 ? [`Full precision (BA / ASR, no quantization): ${fp.join('; ')}.`] : []),
  ];
  return `${lines.join('\n')}\n\n${notes.join('\n')}\n`;
}
