import { describe, expect, it } from 'vitest';
import { cellKey, type CellSettings } from '../grid/cells.js';
import { MemoryResultStore, type NewCellRecord } from '../grid/store.js';
import { purifyReport } from '../defense/runner/report.js';
import { buildResultTable, type ColumnResolver } from './result-table.js';
import { resultTableMarkdown } from './result-table-markdown.js';

const settings = (model: string, defense: string, augment: string[], seed: number, over: Partial<CellSettings> = {}): CellSettings => ({
  model, quantizer: 'academic-w4a4', defense, augment, preset: 'fast', seed, options: {}, share: 0.05, samples: 1024, data: null, ...over,
});

function done(s: CellSettings, defended: [number, number], quantized: [number, number] = [88.5, 96.9]): NewCellRecord {
  const report = purifyReport({ ba: 89.4, asr: 2.6, n: 10_000 }, { ba: quantized[0], asr: quantized[1], n: 10_000 }, { ba: defended[0], asr: defended[1], n: 10_000 }, 60);
  return { ...s, key: cellKey(s), status: 'done', report, finishedAt: '2025-01-01T00:00:00Z', qcbVersion: '0.1.0' };
}

const failed = (s: CellSettings, error: string): NewCellRecord => ({ ...s, key: cellKey(s), status: 'failed', error, finishedAt: '2025-01-01T00:00:00Z', qcbVersion: '0.1.0' });

/** Model folders as a grid names them; the attack from their qcb.json, the bits from the profile. */
const resolver: ColumnResolver = (model) => ({
  attack: { '../models/pq-w4': 'pqbackdoor', '../models/ca-w4': 'compartifact', '../models/ca-w8': 'compartifact' }[model] ?? model,
  bits: model.endsWith('w8') ? 8 : 4,
  modelName: model.split('/').pop()!,
});

function twoSeedStore(): MemoryResultStore {
  const store = new MemoryResultStore();
  for (const seed of [0, 1]) {
    // Every defense of a seed shares that seed's quantized model.
    const q: [number, number] = seed === 0 ? [88.4, 96.8] : [88.6, 97.0];
    store.record(done(settings('../models/pq-w4', 'lac', [], seed), seed === 0 ? [87.4, 1.0] : [87.8, 1.4], q));
    store.record(done(settings('../models/pq-w4', 'lac', ['pda'], seed), seed === 0 ? [87.4, 0.5] : [87.8, 0.7], q));
    store.record(done(settings('../models/pq-w4', 'ft', [], seed), [88.0, 60.0], q));
    store.record(done(settings('../models/ca-w4', 'lac', ['pda'], seed), [89.0, 1.0], [89.0, 99.2]));
    store.record(done(settings('../models/ca-w8', 'lac', ['pda'], seed), [89.9, 1.0], [89.9, 80.0]));
  }
  store.record(failed(settings('../models/ca-w4', 'ft', [], 0), 'out of memory'));
  store.record(failed(settings('../models/ca-w4', 'ft', [], 1), 'out of memory'));
  return store;
}

describe('buildResultTable', () => {
  it('has the paper\'s layout: columns attack x bits (8-bit first), rows the defenses with LAC last, seeds aggregated', () => {
    const t = buildResultTable(twoSeedStore().list(), resolver);
    expect(t.columns.map((c) => c.label)).toEqual(['CompArtifact 8-bit', 'CompArtifact 4-bit', 'PQBackdoor 4-bit']);
    expect(t.rows.map((r) => r.label)).toEqual(['FT', 'LAC', 'LAC + PDA']);
    expect(t.seeds).toEqual([0, 1]);
    const lacPda = t.rows[2].cells[2];
    expect(lacPda.status).toBe('done');
    if (lacPda.status !== 'done') return;
    expect(lacPda.ba.mean).toBeCloseTo(87.6, 6);
    expect(lacPda.ba.spread).toBeCloseTo(Math.abs(87.8 - 87.4) / Math.SQRT2, 6);
    expect(lacPda.asr?.mean).toBeCloseTo(0.6, 6);
    expect(lacPda.ba.n).toBe(2);
  });

  it('bolds the best DER of each column, adds the no-defense row and shows failed cells', () => {
    const md = resultTableMarkdown(buildResultTable(twoSeedStore().list(), resolver));
    const lines = md.split('\n');
    expect(lines[0]).toBe('| Defense | CompArtifact 8-bit | CompArtifact 4-bit | PQBackdoor 4-bit |');
    // The quantized model of each column, per seed then over seeds; no DER.
    expect(lines[2]).toBe('| No defense | 89.9±0.0 / 80.0±0.0 / – | 89.0±0.0 / 99.2±0.0 / – | 88.5±0.1 / 96.9±0.1 / – |');
    // DER against the quantized model: (max(0, dASR) - max(0, dBA) + 1) / 2, mean over seeds.
    expect(lines[3]).toBe('| FT | – | failed (2 seeds) | 88.0±0.0 / 60.0±0.0 / 68.2 |');
    expect(lines[4]).toBe('| LAC | – | – | 87.6±0.3 / 1.2±0.3 / 97.4 |');
    expect(lines[5]).toBe('| LAC + PDA | **89.9±0.0 / 1.0±0.0 / 89.5** | **89.0±0.0 / 1.0±0.0 / 99.1** | **87.6±0.3 / 0.6±0.1 / 97.7** |');
    expect(md).toContain('mean±standard deviation over seeds 0, 1');
    expect(md).toContain('Full precision (BA / ASR, no quantization): CompArtifact 8-bit 89.4±0.0 / 2.6±0.0;');
  });

  it('prints one seed without a spread and tells apart rows and columns that would read the same', () => {
    const store = new MemoryResultStore();
    store.record(done(settings('../models/pq-w4', 'lac', ['pda'], 0), [87.4, 0.5]));
    store.record(done(settings('../models/pq-w4', 'lac', ['pda'], 0, { preset: 'paper' }), [87.9, 0.3]));
    store.record(done(settings('../models/pq-w4-act', 'lac', ['pda'], 0, { options: { iterations: '5' } }), [87.0, 2.0]));
    const resolveAct: ColumnResolver = (model) => ({ attack: 'pqbackdoor', bits: 4, modelName: model.split('/').pop()! });
    const t = buildResultTable(store.list(), resolveAct);
    expect(t.columns.map((c) => c.label)).toEqual(['PQBackdoor 4-bit (pq-w4)', 'PQBackdoor 4-bit (pq-w4-act)']);
    expect(t.rows.map((r) => r.label)).toEqual(['LAC + PDA (fast preset, default options)', 'LAC + PDA (paper preset, default options)', 'LAC + PDA (fast preset, iterations=5)']);
    const md = resultTableMarkdown(t);
    expect(md).toContain('| LAC + PDA (paper preset, default options) | **87.9 / 0.3 / 98.0** | – |');
    expect(md).toContain('seed 0;');
  });

  it('keeps the figures of the seeds that ran beside a failed one', () => {
    const store = new MemoryResultStore();
    store.record(done(settings('../models/pq-w4', 'lac', [], 0), [87.4, 1.0]));
    store.record(failed(settings('../models/pq-w4', 'lac', [], 1), 'killed'));
    expect(resultTableMarkdown(buildResultTable(store.list(), resolver)).split('\n')[3]).toBe('| LAC | **87.4 / 1.0 / 97.4** (1 failed) |');
  });

  it('says so when the database is empty', () => {
    expect(resultTableMarkdown(buildResultTable([], resolver))).toMatch(/no cells/);
  });
});
