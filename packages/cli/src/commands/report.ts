import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { QcbError, buildResultTable, resultTableMarkdown, type CellRecord } from '@qcb/core';
import { createEngine, selectBackend } from '../context.js';
import { globalsOf, requireString } from '../options.js';
import { analyseModel } from '../report/analysis.js';
import { writeFigures, type WrittenFigure } from '../report/figures.js';
import { reportMarkdown } from '../report/markdown.js';
import { columnResolver, figureSubject, type FigureSubject } from '../report/model-folders.js';
import type { Command } from './command.js';

/** A path as the user would type it from here: relative when below the working folder, else absolute. */
function shownPath(cwd: string, dir: string): string {
  const rel = relative(cwd, dir);
  return rel === '' ? '.' : rel.startsWith('..') ? dir : rel;
}

async function readRecords(dbFile: string, shown: string): Promise<CellRecord[]> {
  if (!existsSync(dbFile)) throw new QcbError('E_USAGE', `--db ${shown}: no such file (qcb grid --db writes it)`);
  // Loaded here, as in qcb grid: only the commands that read the database load the native SQLite module.
  const { openResultStore } = await import('@qcb/results');
  const store = openResultStore(dbFile);
  try {
    return store.list();
  } finally {
    store.close();
  }
}

/** How to get the drift figure after a defense, with this subject's own settings. */
function driftNote(s: FigureSubject, cwd: string): string {
  const model = shownPath(cwd, s.dir);
  return `Activation drift after the defense: skipped, no \`--defense-model\`. Purify the model and pass the folder: ` +
    `\`qcb purify --model ${model} --quantizer ${s.quantizer} --defense lac --augment pda --out <dir>\`, then \`qcb report ... --defense-model <dir>\`.`;
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'write report.md with the paper\'s table from a grid database, and its figures as SVG and PNG',
  usage: 'qcb report --db <file> --out <dir> [--model <dir>] [--defense-model <dir>] [--quantizer <profile>] [--hidden-neurons] [--table-only]',
  options: {
    db: { type: 'string' },
    out: { type: 'string' },
    model: { type: 'string' },
    'defense-model': { type: 'string' },
    quantizer: { type: 'string' },
    'hidden-neurons': { type: 'boolean', default: false },
    'table-only': { type: 'boolean', default: false },
  },
  async run(args, io) {
    const globals = globalsOf(args);
    const shownDb = requireString(args, 'db');
    const dbFile = resolve(io.cwd, shownDb);
    const outDir = resolve(io.cwd, requireString(args, 'out'));
    const path = (name: string): string | undefined => (typeof args.values[name] === 'string' ? resolve(io.cwd, args.values[name]) : undefined);
    const model = path('model');
    const defenseModel = path('defense-model') ?? null;
    for (const [flag, dir] of [['--model', model], ['--defense-model', defenseModel]] as const) {
      if (dir && !existsSync(join(dir, 'model.json'))) throw new QcbError('E_USAGE', `${flag} ${dir}: no model.json there`);
    }
    const records = await readRecords(dbFile, shownDb);
    const engine = await createEngine(globals, io.cwd);
    const say = (line: string): void => io.err(`report: ${line}\n`);

    const table = resultTableMarkdown(buildResultTable(records, columnResolver(engine, dirname(dbFile))));
    await mkdir(outDir, { recursive: true });
    let figures: WrittenFigure[] = [];
    const skipped: string[] = [];
    let subjectText: string | null = null;
    if (args.values['table-only'] !== true) {
      const quantizer = typeof args.values['quantizer'] === 'string' ? args.values['quantizer'] : undefined;
      const subject = figureSubject(records, dirname(dbFile), { model, quantizer });
      if (typeof subject === 'string') {
        skipped.push(`Figures: skipped, ${subject}.`);
      } else {
        await selectBackend(globals);
        subjectText = `\`${shownPath(io.cwd, subject.dir)}\` under ${subject.quantizer}`;
        const analysis = await analyseModel(engine, subject, { defenseModel, hiddenOnly: args.values['hidden-neurons'] === true, say });
        const written = await writeFigures(outDir, analysis, driftNote(subject, io.cwd));
        figures = written.figures;
        skipped.push(...written.skipped);
      }
    }
    const file = join(outDir, 'report.md');
    await writeFile(file, reportMarkdown({ db: basename(dbFile), records, table, figures, skipped, subject: subjectText }));
    say(`wrote ${file}${figures.length > 0 ? ` and ${figures.map((f) => f.name).join(', ')} (.svg, .png)` : ''}`);
    io.out(`${file}\n`);
    return 0;
  },
};
