import type { PurifyReport } from '../defense/runner/report.js';
import { settingsOf, type GridCell } from './cells.js';
import type { CellRecord, ResultStore } from './store.js';

/** Where a grid stands, for progress lines. */
export interface GridStatus {
  readonly total: number;
  /** Cells found done in the store at the start: not run again. */
  readonly earlier: number;
  /** Cells this run finished, failed ones included. */
  readonly finished: number;
  readonly failed: number;
  readonly running: number;
  readonly elapsedSeconds: number;
  /** From this run's pace; NaN before its first cell ends. */
  readonly etaSeconds: number;
}

export interface GridEvents {
  start?(status: GridStatus): void;
  cellStart?(cell: GridCell, lane: number, status: GridStatus): void;
  cellEnd?(cell: GridCell, record: CellRecord, status: GridStatus): void;
}

export interface GridRequest {
  readonly cells: readonly GridCell[];
  readonly store: ResultStore;
  /** Cells run at a time. */
  readonly lanes: number;
  /** Runs one cell; a rejection is recorded as the cell's error. */
  readonly runCell: (cell: GridCell, lane: number, signal: AbortSignal) => Promise<PurifyReport>;
  /** The version written with each record. */
  readonly version: string;
  /** Stops starting cells and aborts the running ones, which are then not recorded. */
  readonly signal?: AbortSignal;
  readonly events?: GridEvents;
  /** Seconds, for elapsed time and the eta. */
  readonly clock?: () => number;
  readonly now?: () => Date;
}

export interface GridSummary {
  readonly total: number;
  readonly earlier: number;
  readonly ran: number;
  /** Cells that failed in this run. */
  readonly failed: readonly CellRecord[];
  /** Whether the run was stopped before every cell was done. */
  readonly stopped: boolean;
}

function message(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0] || 'failed without a message';
}

/**
 * Runs every cell that the store does not hold as done, `lanes` at a time, and records each
 * result (or error) as it ends, so that a stopped grid resumes where it was.
 */
export async function runGrid(r: GridRequest): Promise<GridSummary> {
  if (!Number.isInteger(r.lanes) || r.lanes < 1) throw new Error(`runGrid: lanes must be a positive integer, got ${r.lanes}`);
  const clock = r.clock ?? (() => performance.now() / 1000);
  const now = r.now ?? (() => new Date());
  const started = clock();
  const abort = new AbortController();
  const onStop = (): void => abort.abort();
  r.signal?.addEventListener('abort', onStop, { once: true });
  if (r.signal?.aborted) abort.abort();

  const todo = r.cells.filter((c) => r.store.get(c.key)?.status !== 'done');
  const earlier = r.cells.length - todo.length;
  const failed: CellRecord[] = [];
  let finished = 0;
  let running = 0;
  const status = (): GridStatus => {
    const elapsed = clock() - started;
    const left = todo.length - finished;
    return {
      total: r.cells.length, earlier, finished, failed: failed.length, running, elapsedSeconds: elapsed,
      etaSeconds: finished > 0 ? (elapsed / finished) * left : left === 0 ? 0 : NaN,
    };
  };

  const queue = [...todo];
  const lane = async (index: number): Promise<void> => {
    for (let cell = queue.shift(); cell !== undefined && !abort.signal.aborted; cell = queue.shift()) {
      running++;
      r.events?.cellStart?.(cell, index, status());
      let outcome: { report: PurifyReport } | { error: string };
      try {
        outcome = { report: await r.runCell(cell, index, abort.signal) };
      } catch (e) {
        outcome = { error: message(e) };
      }
      running--;
      if (abort.signal.aborted) return;
      const base = { ...settingsOf(cell), key: cell.key, finishedAt: now().toISOString(), qcbVersion: r.version };
      const record = r.store.record('report' in outcome ? { ...base, status: 'done', report: outcome.report } : { ...base, status: 'failed', error: outcome.error });
      finished++;
      if (record.status === 'failed') failed.push(record);
      r.events?.cellEnd?.(cell, record, status());
    }
  };

  r.events?.start?.(status());
  try {
    // A lane that throws (the store could not write) stops the others before the error goes up.
    const lanes = Array.from({ length: Math.min(r.lanes, Math.max(1, todo.length)) }, (_, i) => lane(i).catch((e: unknown) => {
      abort.abort();
      throw e;
    }));
    const ends = await Promise.allSettled(lanes);
    const broken = ends.find((e): e is PromiseRejectedResult => e.status === 'rejected');
    if (broken) throw broken.reason;
  } finally {
    r.signal?.removeEventListener('abort', onStop);
  }
  return { total: r.cells.length, earlier, ran: finished, failed, stopped: abort.signal.aborted };
}
