import type { CellRecord } from '@qcb/core';
import type { WrittenFigure } from './figures.js';

export interface ReportText {
  readonly db: string;
  readonly records: readonly CellRecord[];
  readonly table: string;
  readonly figures: readonly WrittenFigure[];
  /** Figures not drawn, each with why and how to get it. */
  readonly skipped: readonly string[];
  /** What the figures were drawn for ("pqbackdoor-w4 under academic-w4a4"), null when none were. */
  readonly subject: string | null;
}

/** report.md: the table, then each figure's PNG (relative link) with its caption and SVG. */
export function reportMarkdown(r: ReportText): string {
  const done = r.records.filter((c) => c.status === 'done').length;
  const failed = r.records.length - done;
  const out = [
    '# qcb report',
    '',
    `From \`${r.db}\`: ${r.records.length} cells, ${done} done, ${failed} failed.`,
    '',
    '## Defense results',
    '',
    r.table.trimEnd(),
  ];
  if (r.figures.length > 0 || r.skipped.length > 0) out.push('', '## Figures', '');
  if (r.subject !== null) out.push(`Drawn for ${r.subject}.`, '');
  for (const f of r.figures) {
    out.push(`### ${f.heading}`, '', `![${f.heading}](${f.name}.png)`, '', `*${f.caption}* ([SVG](${f.name}.svg))`, '');
  }
  for (const s of r.skipped) out.push(`- ${s}`);
  return `${out.join('\n').trimEnd()}\n`;
}
