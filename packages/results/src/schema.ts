/** The schema version this package writes (PRAGMA user_version). */
export const SCHEMA_VERSION = 2;

/**
 * One row per cell. `key` is the canonical JSON of the cell's settings (the primary key);
 * the settings are also kept in columns of their own so that the table can be queried.
 * A done cell has the report's figures and no error; a failed cell has the error and no figures.
 */
export const CREATE_CELLS = `
CREATE TABLE cells (
  key            TEXT PRIMARY KEY NOT NULL,
  model          TEXT NOT NULL,
  quantizer      TEXT NOT NULL,
  defense        TEXT NOT NULL,
  augment        TEXT NOT NULL,
  preset         TEXT NOT NULL,
  seed           INTEGER NOT NULL,
  options        TEXT NOT NULL,
  share          REAL NOT NULL,
  samples        INTEGER NOT NULL,
  data           TEXT,
  status         TEXT NOT NULL CHECK (status IN ('done', 'failed')),
  fp_ba          REAL,
  fp_asr         REAL,
  fp_n           INTEGER,
  quantized_ba   REAL,
  quantized_asr  REAL,
  quantized_n    INTEGER,
  defended_ba    REAL,
  defended_asr   REAL,
  defended_n     INTEGER,
  der            REAL,
  seconds        REAL,
  error          TEXT,
  finished_at    TEXT NOT NULL,
  qcb_version    TEXT NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 1,
  threads        INTEGER,
  CHECK ((status = 'done') = (error IS NULL AND defended_ba IS NOT NULL))
) STRICT`;

/** A cell's row as better-sqlite3 reads it. */
export interface CellRow {
  readonly key: string;
  readonly model: string;
  readonly quantizer: string;
  readonly defense: string;
  /** The augmentations joined with '+' ('' for none), e.g. 'pda'. */
  readonly augment: string;
  readonly preset: string;
  readonly seed: number;
  /** JSON object. */
  readonly options: string;
  readonly share: number;
  readonly samples: number;
  readonly data: string | null;
  readonly status: string;
  readonly fp_ba: number | null;
  readonly fp_asr: number | null;
  readonly fp_n: number | null;
  readonly quantized_ba: number | null;
  readonly quantized_asr: number | null;
  readonly quantized_n: number | null;
  readonly defended_ba: number | null;
  readonly defended_asr: number | null;
  readonly defended_n: number | null;
  readonly der: number | null;
  readonly seconds: number | null;
  readonly error: string | null;
  readonly finished_at: string;
  readonly qcb_version: string;
  readonly attempts: number;
  /** Threads the cell ran on; null for cells recorded before schema 2. */
  readonly threads: number | null;
}

/** Schema 1 -> 2: the thread count of each cell (null for the cells already there). */
export const MIGRATE_1_TO_2 = 'ALTER TABLE cells ADD COLUMN threads INTEGER';
