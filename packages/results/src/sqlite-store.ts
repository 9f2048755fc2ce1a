import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { QcbError, type CellRecord, type NewCellRecord, type ResultStore } from '@qcb/core';
import { recordOf, rowOf } from './row.js';
import { CREATE_CELLS, MIGRATE_1_TO_2, SCHEMA_VERSION, type CellRow } from './schema.js';

const COLUMNS = [
  'key', 'model', 'quantizer', 'defense', 'augment', 'preset', 'seed', 'options', 'share', 'samples', 'data', 'status',
  'fp_ba', 'fp_asr', 'fp_n', 'quantized_ba', 'quantized_asr', 'quantized_n', 'defended_ba', 'defended_asr', 'defended_n',
  'der', 'seconds', 'error', 'finished_at', 'qcb_version', 'threads',
] as const;

const UPSERT = `INSERT INTO cells (${COLUMNS.join(', ')}, attempts) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')}, 1)
  ON CONFLICT (key) DO UPDATE SET ${COLUMNS.filter((c) => c !== 'key').map((c) => `${c} = excluded.${c}`).join(', ')}, attempts = cells.attempts + 1
  RETURNING *`;

/** Creates the table in a new database, or checks that an existing one is ours and not newer (an older one is migrated). */
function prepareSchema(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new QcbError('E_USAGE', `results database ${file} has schema ${version}, newer than this qcb's (${SCHEMA_VERSION})`, { hint: 'update qcb' });
  }
  if (version === SCHEMA_VERSION) return;
  if (version === 1) {
    db.transaction(() => {
      db.exec(MIGRATE_1_TO_2);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
    return;
  }
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[];
  if (tables.length > 0) {
    throw new QcbError('E_USAGE', `${file} is an SQLite database but not a qcb results database (it has tables ${tables.map((t) => t.name).join(', ')})`);
  }
  db.transaction(() => {
    db.exec(CREATE_CELLS);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** A result store in an SQLite file (created with its folder when missing). */
export class SqliteResultStore implements ResultStore {
  private readonly getStmt: Database.Statement<[string], CellRow>;
  private readonly listStmt: Database.Statement<[], CellRow>;
  private readonly upsert: Database.Statement<[Omit<CellRow, 'attempts'>], CellRow>;

  private constructor(private readonly db: Database.Database) {
    this.getStmt = db.prepare<[string], CellRow>('SELECT * FROM cells WHERE key = ?');
    this.listStmt = db.prepare<[], CellRow>('SELECT * FROM cells ORDER BY finished_at, rowid');
    this.upsert = db.prepare<[Omit<CellRow, 'attempts'>], CellRow>(UPSERT);
  }

  static open(file: string): SqliteResultStore {
    let db: Database.Database | null = null;
    try {
      mkdirSync(dirname(file), { recursive: true });
      db = new Database(file);
      // WAL: a reader (sqlite3, a notebook) can look at the table while a grid writes to it.
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      prepareSchema(db, file);
      return new SqliteResultStore(db);
    } catch (e) {
      db?.close();
      if (e instanceof QcbError) throw e;
      throw new QcbError('E_USAGE', `cannot use ${file} as a results database: ${(e as Error).message}`);
    }
  }

  get(key: string): CellRecord | undefined {
    const row = this.getStmt.get(key);
    return row === undefined ? undefined : recordOf(row);
  }

  record(record: NewCellRecord): CellRecord {
    // One statement in one transaction: the row is written whole or not at all.
    const row = this.db.transaction(() => this.upsert.get(rowOf(record))).immediate();
    if (row === undefined) throw new Error(`results database: the row of ${record.key} was not written`);
    return recordOf(row);
  }

  list(): CellRecord[] {
    return this.listStmt.all().map(recordOf);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Opens (or creates) the results database at `file`. */
export function openResultStore(file: string): SqliteResultStore {
  return SqliteResultStore.open(file);
}
