import { describe, expect, it } from 'vitest';
import type { PurifyReport } from '../defense/runner/report.js';
import { gridCells, type GridCell } from './cells.js';
import { runGrid, type GridStatus } from './run-grid.js';
import { parseGridSpec } from './spec.js';
import { MemoryResultStore } from './store.js';

const cells = gridCells(
  parseGridSpec({ models: ['m'], quantizers: ['academic-w4a4'], defenses: ['lac', 'lac+pda'], seeds: [0, 1] }),
  [{ id: 'm', dir: '/m' }],
);

function report(seed: number): PurifyReport {
  const r = { ba: 90 + seed, asr: 1, n: 10 };
  return { fp: r, quantized: { ...r, asr: 90 }, defended: r, der: 94, seconds: 1 };
}

/** A runner that ends each cell when the test says so, and counts how many run at once. */
function manualRunner(fail: (c: GridCell) => boolean = () => false) {
  const pending: { cell: GridCell; end: () => void }[] = [];
  let running = 0;
  let most = 0;
  const ran: string[] = [];
  const runCell = (cell: GridCell, _lane: number, signal: AbortSignal): Promise<PurifyReport> => new Promise((resolve, reject) => {
    running++;
    most = Math.max(most, running);
    ran.push(cell.label);
    const end = (): void => {
      running--;
      if (fail(cell)) reject(new Error(`${cell.label} broke\nstack`));
      else resolve(report(cell.seed));
    };
    signal.addEventListener('abort', () => {
      running--;
      reject(new Error('killed'));
    });
    pending.push({ cell, end });
  });
  const endNext = async (): Promise<void> => {
    while (pending.length === 0) await new Promise((r) => setImmediate(r));
    pending.shift()?.end();
  };
  return { runCell, ran, endNext, most: () => most, waiting: () => pending.length };
}

describe('runGrid', () => {
  it('runs every cell, lanes at a time, and records each result', async () => {
    const store = new MemoryResultStore();
    const m = manualRunner();
    const statuses: GridStatus[] = [];
    const t = { now: 0 };
    const done = runGrid({
      cells, store, lanes: 2, runCell: m.runCell, version: '9.9.9', clock: () => t.now, now: () => new Date(Date.UTC(2026, 0, 1)),
      events: { cellEnd: (_c, _r, s) => statuses.push(s) },
    });
    for (let i = 0; i < cells.length; i++) {
      t.now += 10;
      await m.endNext();
    }
    const summary = await done;
    expect(summary).toEqual({ total: 4, earlier: 0, ran: 4, failed: [], stopped: false });
    expect(m.most()).toBe(2);
    expect(store.list()).toHaveLength(4);
    expect(store.get(cells[3].key)).toMatchObject({ status: 'done', report: report(1), qcbVersion: '9.9.9', finishedAt: '2026-01-01T00:00:00.000Z', attempts: 1, defense: 'lac', augment: ['pda'], seed: 1 });
    expect(statuses.map((s) => s.finished)).toEqual([1, 2, 3, 4]);
    // 10 s per cell so far, 3 cells left after the first.
    expect(statuses[0]).toMatchObject({ total: 4, earlier: 0, failed: 0, elapsedSeconds: 10, etaSeconds: 30 });
    expect(statuses[3].etaSeconds).toBe(0);
  });

  it('skips the cells done earlier and runs a failed one again', async () => {
    const store = new MemoryResultStore();
    const first = manualRunner((c) => c.label === 'm lac+pda s0');
    const run1 = runGrid({ cells, store, lanes: 1, runCell: first.runCell, version: '1' });
    for (let i = 0; i < 4; i++) await first.endNext();
    const s1 = await run1;
    expect(s1.ran).toBe(4);
    expect(s1.failed.map((f) => (f.status === 'failed' ? f.error : ''))).toEqual(['m lac+pda s0 broke']);
    expect(store.get(cells[1].key)).toMatchObject({ status: 'failed', error: 'm lac+pda s0 broke', attempts: 1 });

    const second = manualRunner();
    const run2 = runGrid({ cells, store, lanes: 2, runCell: second.runCell, version: '1' });
    await second.endNext();
    expect(await run2).toEqual({ total: 4, earlier: 3, ran: 1, failed: [], stopped: false });
    expect(second.ran).toEqual(['m lac+pda s0']);
    expect(store.get(cells[1].key)).toMatchObject({ status: 'done', attempts: 2 });

    const third = manualRunner();
    expect(await runGrid({ cells, store, lanes: 2, runCell: third.runCell, version: '1' })).toMatchObject({ earlier: 4, ran: 0 });
    expect(third.ran).toEqual([]);
  });

  it('when stopped, ends the running cells without recording them and starts no more', async () => {
    const store = new MemoryResultStore();
    const m = manualRunner();
    const stop = new AbortController();
    const run = runGrid({ cells, store, lanes: 2, runCell: m.runCell, version: '1', signal: stop.signal });
    await m.endNext();
    while (m.waiting() < 2) await new Promise((r) => setImmediate(r));
    stop.abort();
    expect(await run).toMatchObject({ ran: 1, stopped: true, failed: [] });
    expect(store.list()).toHaveLength(1);
    expect(m.ran).toHaveLength(3);
  });

  it('stops the other lanes when the store cannot write', async () => {
    const store = new MemoryResultStore();
    store.record = () => {
      throw new Error('disk full');
    };
    const m = manualRunner();
    const run = runGrid({ cells, store, lanes: 2, runCell: m.runCell, version: '1' });
    await m.endNext();
    await expect(run).rejects.toThrow('disk full');
    expect(m.ran).toHaveLength(2);
  });
});
