import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gridCells, parseGridSpec, runGrid, type GridCell, type NewCellRecord, type PurifyReport } from '@qcb/core';
import { CREATE_CELLS } from './schema.js';
import { openResultStore } from './sqlite-store.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-results-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cells = gridCells(
  parseGridSpec({ models: ['m'], quantizers: ['academic-w4a4'], defenses: ['lac+pda', { defense: 'nad', options: { lr: 0.01 } }], seeds: [0, 1], data: 'synthetic' }),
  [{ id: '../models/m', dir: '/models/m' }],
);
const report: PurifyReport = {
  fp: { ba: 89.37, asr: 2.56, n: 10000 }, quantized: { ba: 88.52, asr: 96.9, n: 10000 }, defended: { ba: 87.61, asr: null, n: 10000 }, der: null, seconds: 268.5,
};
const settings = (c: GridCell) => ({
  model: c.model, quantizer: c.quantizer, defense: c.defense, augment: c.augment, preset: c.preset, seed: c.seed,
  options: c.options, share: c.share, samples: c.samples, data: c.data, key: c.key,
});
const done = (c: GridCell): NewCellRecord => ({ ...settings(c), status: 'done', report, finishedAt: '2026-01-01T00:00:00.000Z', qcbVersion: '0.1.0' });

describe('the SQLite result store', () => {
  it('writes a done cell and reads it back whole', () => {
    const store = openResultStore(join(dir, 'sub/folder/a.db'));
    expect(store.get(cells[0].key)).toBeUndefined();
    const stored = store.record(done(cells[0]));
    expect(stored).toEqual({ ...done(cells[0]), attempts: 1 });
    expect(store.get(cells[0].key)).toEqual(stored);
    expect(store.record(done(cells[1]))).toMatchObject({ defense: 'nad', augment: [], options: { lr: '0.01' }, data: 'synthetic' });
    expect(store.list().map((r) => r.key)).toEqual([cells[0].key, cells[1].key]);
    store.close();
  });

  it('keeps a failed cell with its error, and replaces it when the cell is run again', () => {
    const store = openResultStore(join(dir, 'b.db'));
    const { report: _r, ...base } = done(cells[2]) as NewCellRecord & { report: PurifyReport };
    expect(store.record({ ...base, status: 'failed', error: 'out of memory' })).toMatchObject({ status: 'failed', error: 'out of memory', attempts: 1 });
    expect(store.get(cells[2].key)).toMatchObject({ status: 'failed', error: 'out of memory' });
    expect(store.record(done(cells[2]))).toMatchObject({ status: 'done', report, attempts: 2 });
    expect(store.list()).toHaveLength(1);
    store.close();
  });

  it('keeps its rows when reopened, and a grid on it skips the cells done earlier', async () => {
    const file = join(dir, 'c.db');
    const first = openResultStore(file);
    const ran: string[] = [];
    const runCell = async (c: GridCell): Promise<PurifyReport> => {
      ran.push(c.label);
      if (c.seed === 1 && c.defense === 'nad') throw new Error('diverged');
      return report;
    };
    expect(await runGrid({ cells: cells.slice(0, 2), store: first, lanes: 2, runCell, version: '0.1.0' })).toMatchObject({ ran: 2, failed: [] });
    first.close();

    const again = openResultStore(file);
    expect(again.list()).toHaveLength(2);
    const summary = await runGrid({ cells, store: again, lanes: 2, runCell, version: '0.1.0' });
    expect(summary).toMatchObject({ total: 4, earlier: 2, ran: 2 });
    expect(summary.failed.map((f) => f.key)).toEqual([cells[3].key]);
    expect(ran).toEqual(['m lac+pda s0', 'm nad{lr=0.01} s0', 'm lac+pda s1', 'm nad{lr=0.01} s1']);
    again.close();

    // The columns are there for anyone's SQL.
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT defense, augment, seed, status, defended_ba, der, error FROM cells ORDER BY seed, defense').all();
    expect(rows).toEqual([
      { defense: 'lac', augment: 'pda', seed: 0, status: 'done', defended_ba: 87.61, der: null, error: null },
      { defense: 'nad', augment: '', seed: 0, status: 'done', defended_ba: 87.61, der: null, error: null },
      { defense: 'lac', augment: 'pda', seed: 1, status: 'done', defended_ba: 87.61, der: null, error: null },
      { defense: 'nad', augment: '', seed: 1, status: 'failed', defended_ba: null, der: null, error: 'diverged' },
    ]);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
  });

  it('refuses a file that is not a qcb results database, or one written by a newer qcb', async () => {
    const text = join(dir, 'notes.db');
    await writeFile(text, 'not a database at all, but long enough to have a header of sorts....................................');
    expect(() => openResultStore(text)).toThrow(/^cannot use .*notes\.db as a results database: file is not a database$/);

    const other = join(dir, 'other.db');
    const o = new Database(other);
    o.exec('CREATE TABLE things (x)');
    o.close();
    expect(() => openResultStore(other)).toThrow(/other\.db is an SQLite database but not a qcb results database \(it has tables things\)/);

    const newer = join(dir, 'newer.db');
    const n = new Database(newer);
    n.pragma('user_version = 7');
    n.close();
    expect(() => openResultStore(newer)).toThrow(/has schema 7, newer than this qcb's \(2\)/);
  });

  it("keeps each cell's thread count, and migrates a schema-1 database (its cells without one)", () => {
    const file = join(dir, 'v1.db');
    const v1 = new Database(file);
    v1.exec(CREATE_CELLS.replace(/^\s*threads\s+INTEGER,\n/m, ''));
    v1.pragma('user_version = 1');
    v1.prepare(`INSERT INTO cells (key, model, quantizer, defense, augment, preset, seed, options, share, samples, data, status,
      fp_ba, fp_asr, fp_n, quantized_ba, quantized_asr, quantized_n, defended_ba, defended_asr, defended_n, der, seconds, finished_at, qcb_version)
      VALUES (?, 'm', 'academic-w4a4', 'lac', 'pda', 'fast', 0, '{}', 0.05, 1024, 'synthetic', 'done', 1, 1, 1, 1, 1, 1, 1, 1, 1, NULL, 9, '2026-01-01', '0.1.0')`).run(cells[0].key);
    v1.close();
    const store = openResultStore(file);
    expect(store.get(cells[0].key)).toMatchObject({ status: 'done', report: { seconds: 9 } });
    expect((store.get(cells[0].key) as { report: PurifyReport }).report.threads).toBeUndefined();
    const stored = store.record({ ...done(cells[1]), report: { ...report, threads: 2 } } as NewCellRecord);
    expect(stored).toMatchObject({ report: { threads: 2 } });
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.prepare('SELECT threads FROM cells ORDER BY rowid').all()).toEqual([{ threads: null }, { threads: 2 }]);
    db.close();
  });

  it('rejects a row that would be half a record', () => {
    const store = openResultStore(join(dir, 'd.db'));
    const { report: _r, ...base } = done(cells[0]) as NewCellRecord & { report: PurifyReport };
    // A done status without figures breaks the table's CHECK: nothing is written.
    expect(() => store.record({ ...base, status: 'done' } as unknown as NewCellRecord)).toThrow();
    expect(store.list()).toEqual([]);
    store.close();
  });
});
