import type { PurifyReport } from '../defense/runner/report.js';
import type { CellSettings } from './cells.js';

/** What the store keeps of one cell: its settings and either its report or its error. */
export type CellRecord = CellSettings & {
  readonly key: string;
  /** ISO 8601. */
  readonly finishedAt: string;
  /** The qcb version that ran the cell. */
  readonly qcbVersion: string;
  /** Runs of this cell so far (a failed cell is run again by the next grid). */
  readonly attempts: number;
} & ({ readonly status: 'done'; readonly report: PurifyReport } | { readonly status: 'failed'; readonly error: string });

/** A record before the store counts its attempt. */
export type NewCellRecord = DistributiveOmit<CellRecord, 'attempts'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Where a grid keeps its results: one record per cell key. */
export interface ResultStore {
  get(key: string): CellRecord | undefined;
  /** Writes the record whole (or not at all), replacing the key's earlier one and counting the attempt. */
  record(record: NewCellRecord): CellRecord;
  /** Every record, oldest first. */
  list(): CellRecord[];
  close(): void;
}

/** A store in memory (tests, and callers that keep their own results). */
export class MemoryResultStore implements ResultStore {
  private readonly rows = new Map<string, CellRecord>();

  get(key: string): CellRecord | undefined {
    return this.rows.get(key);
  }

  record(record: NewCellRecord): CellRecord {
    const attempts = (this.rows.get(record.key)?.attempts ?? 0) + 1;
    const stored = { ...record, attempts } as CellRecord;
    this.rows.delete(record.key);
    this.rows.set(record.key, stored);
    return stored;
  }

  list(): CellRecord[] {
    return [...this.rows.values()];
  }

  close(): void {
    // Nothing to release.
  }
}
