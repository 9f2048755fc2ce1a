import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm, rmdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MemoryResultStore, QcbError, acquireGridLock, cellSlug, checkGridNames, gridCells, gridStatusLine, gridTable, parseGridSpec, purifyReportFrom,
  recordJson, resolveGridModels, runGrid, runJsonChild, type CellRecord, type GridCell, type PurifyReport, type ResultStore,
} from '@qcb/core';
import { createEngine } from '../context.js';
import { numberOption } from '../numbers.js';
import { globalsOf, requireString, type GlobalOptions } from '../options.js';
import type { CliIO } from '../io.js';
import type { Command } from './command.js';

// src/commands and dist/commands are both two folders under the package: each cell runs the built binary.
const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The `qcb purify --json` command line of a cell, with the grid's own global options. */
function purifyArgs(cell: GridCell, out: string, g: GlobalOptions): string[] {
  const args = ['purify', '--model', cell.modelDir, '--quantizer', cell.quantizer, '--defense', cell.defense];
  for (const a of cell.augment) args.push('--augment', a);
  args.push('--preset', cell.preset, '--seed', String(cell.seed), '--defender-share', String(cell.share), '--defender-samples', String(cell.samples));
  for (const [k, v] of Object.entries(cell.options)) args.push('--option', `${k}=${v}`);
  if (cell.data !== null) args.push('--data', cell.data);
  args.push('--out', out, '--json', '--backend', g.backend);
  if (g.threads !== undefined) args.push('--threads', g.threads);
  for (const p of g.plugin) args.push('--plugin', p);
  if (g.config !== undefined) args.push('--config', g.config);
  if (g.verbose) args.push('--verbose');
  return args;
}

async function readSpec(file: string, shown: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new QcbError('E_USAGE', `--spec ${shown}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new QcbError('E_USAGE', `${shown}: not JSON (${(e as Error).message})`);
  }
}

function finishedLine(cell: GridCell, record: CellRecord): string {
  if (record.status === 'failed') return `failed ${cell.label}: ${record.error}`;
  const d = record.report.defended;
  const der = record.report.der === null ? 'n/a' : record.report.der.toFixed(2);
  return `done ${cell.label}: defended BA ${d.ba.toFixed(2)} ASR ${d.asr === null ? 'n/a' : d.asr.toFixed(2)}, DER ${der}`;
}

function printTable(io: CliIO, cells: readonly GridCell[], store: ResultStore, json: boolean): void {
  const rows = cells.map((cell) => ({ cell, record: store.get(cell.key) }));
  if (json) {
    for (const { cell, record } of rows) if (record !== undefined) io.out(`${JSON.stringify(recordJson(cell, record))}\n`);
  } else {
    io.out(`${gridTable(rows)}\n`);
  }
}

/** Stops the grid on SIGINT / SIGTERM: the running cells are ended and left unrecorded (and resumable). */
function stopOnSignals(io: CliIO): { signal: AbortSignal; dispose(): void } {
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    io.err(`grid: ${sig}: stopping the running cells\n`);
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: stop.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export const gridCommand: Command = {
  name: 'grid',
  summary: 'run a spec\'s grid of purifications (models x quantizers x defenses x seeds) into an SQLite table; resumes',
  usage: 'qcb grid --spec <file.json> --db <file> [--lanes N] [--keep <dir>] [--list] [--json]',
  options: {
    spec: { type: 'string' },
    db: { type: 'string' },
    lanes: { type: 'string' },
    keep: { type: 'string' },
    list: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  async run(args, io) {
    const globals = globalsOf(args);
    const shown = requireString(args, 'spec');
    const specFile = resolve(io.cwd, shown);
    const dbFile = resolve(io.cwd, requireString(args, 'db'));
    const lanes = numberOption(args, 'lanes', availableParallelism(), { integer: true, min: 1 });
    // The lanes share the cores: each cell gets its part unless --threads says otherwise.
    const cellGlobals = { ...globals, threads: globals.threads ?? String(Math.max(1, Math.floor(availableParallelism() / lanes))) };
    const keep = typeof args.values['keep'] === 'string' ? resolve(io.cwd, args.values['keep']) : null;
    const json = args.values['json'] === true;

    const spec = parseGridSpec(await readSpec(specFile, shown), shown);
    const models = resolveGridModels(spec.models, { specDir: dirname(specFile), cwd: io.cwd, dbDir: dirname(dbFile), source: shown });
    checkGridNames(await createEngine(globals, io.cwd), spec, shown);
    const cells = gridCells(spec, models);
    if (!existsSync(BIN)) throw new QcbError('E_USAGE', `the grid runs each cell with ${BIN}, which is not built`, { hint: 'run pnpm build' });

    // Loaded here, not at the top: only this command needs the native SQLite module.
    const { openResultStore } = await import('@qcb/results');
    // --list does not create a database that is not there.
    const store: ResultStore = args.values['list'] && !existsSync(dbFile) ? new MemoryResultStore() : openResultStore(dbFile);
    try {
      if (args.values['list']) {
        printTable(io, cells, store, json);
        return 0;
      }
      const release = acquireGridLock(`${dbFile}.lock`, dbFile);
      // Next to the database rather than in the system's temporary folder: a grid killed mid-cell
      // leaves that cell's purify checkpoint where the resumed grid looks for it.
      const work = keep ?? `${dbFile}.work`;
      const stop = stopOnSignals(io);
      try {
        const runCell = async (cell: GridCell, _lane: number, signal: AbortSignal): Promise<PurifyReport> => {
          const out = join(work, cellSlug(cell));
          let ended = false;
          try {
            const report = purifyReportFrom(await runJsonChild({
              script: BIN, args: purifyArgs(cell, out, cellGlobals), cwd: io.cwd, signal,
              onStderrLine: (line) => io.err(`[${cell.label}] ${line}\n`),
            }));
            ended = true;
            return report;
          } catch (e) {
            ended = !signal.aborted;
            throw e;
          } finally {
            if (ended && keep === null) await rm(out, { recursive: true, force: true });
            if (ended) await rm(`${out}.checkpoint`, { recursive: true, force: true });
          }
        };
        const summary = await runGrid({
          cells, store, lanes, runCell, version: VERSION, signal: stop.signal,
          events: {
            start: (s) => io.err(s.total === s.earlier
              ? `grid: ${s.total} cells, all ${s.earlier} done earlier\n`
              : `grid: ${s.total} cells, ${s.earlier} done earlier, ${s.total - s.earlier} to run, ${Math.min(lanes, s.total - s.earlier)} at a time\n`),
            cellStart: (cell, lane) => io.err(`grid: lane ${lane + 1} starts ${cell.label}\n`),
            cellEnd: (cell, record, s) => io.err(`${gridStatusLine(s)} | ${finishedLine(cell, record)}\n`),
          },
        });
        if (keep === null) await rmdir(work).catch(() => undefined);
        printTable(io, cells, store, json);
        const failed = summary.failed.length;
        io.err(`grid: ${summary.total} cells: ${summary.earlier} done earlier, ${summary.ran} ran, ${failed} failed${summary.stopped ? ', stopped' : ''}\n`);
        for (const f of summary.failed) io.err(`  failed: ${cells.find((c) => c.key === f.key)?.label ?? f.key}: ${f.status === 'failed' ? f.error : ''}\n`);
        return summary.stopped ? 130 : failed > 0 ? 1 : 0;
      } finally {
        stop.dispose();
        release();
      }
    } finally {
      store.close();
    }
  },
};
