import type { EvaluationResult } from '../defense/runner/evaluation.js';
import type { CellRecord } from '../grid/store.js';
import { attackLabel, attackRank, defenseLabel, defenseRank } from './names.js';
import { seedStat, type SeedStat } from './spread.js';

/** What a column stands for: the attack of a grid model under one deployment profile. */
export interface ColumnIdentity {
  /** The attack's name (the model's qcb.json attack record), else the model folder's name. */
  readonly attack: string;
  /** The profile's weight bits, when the profile is known. */
  readonly bits: number | null;
  /** The model folder's name, to tell apart two models of one attack and bit width. */
  readonly modelName: string;
}

/** Says what a grid model (its id relative to the database) under a quantizer is. */
export type ColumnResolver = (model: string, quantizer: string) => ColumnIdentity;

export interface TableColumn extends ColumnIdentity {
  readonly key: string;
  readonly model: string;
  readonly quantizer: string;
  /** "PQBackdoor 4-bit", with the model or profile added when two columns would read the same. */
  readonly label: string;
}

export type TableCell =
  | {
      readonly status: 'done';
      readonly ba: SeedStat;
      readonly asr: SeedStat | null;
      readonly der: SeedStat | null;
      /** Seeds of this cell that failed (shown beside the others' figures). */
      readonly failed: number;
    }
  | { readonly status: 'failed'; readonly error: string; readonly failed: number }
  | { readonly status: 'missing' };

export interface TableRow {
  readonly key: string;
  /** "LAC + PDA", with the preset or options added when two rows would read the same. */
  readonly label: string;
  readonly defense: string;
  readonly augment: readonly string[];
  readonly cells: readonly TableCell[];
}

/** The paper's table: rows = defenses, columns = attack x bit width, cells BA / ASR / DER over seeds. */
export interface ResultTable {
  readonly columns: readonly TableColumn[];
  readonly rows: readonly TableRow[];
  /** Per column: the quantized model without defense (BA / ASR, no DER). */
  readonly noDefense: readonly TableCell[];
  /** Per column: the full-precision model (where a QCB sleeps). */
  readonly fullPrecision: readonly TableCell[];
  /** Per column: the rows with the best mean DER (ties all count; empty without a DER). */
  readonly best: readonly (readonly number[])[];
  /** Every seed found, ascending. */
  readonly seeds: readonly number[];
}

type Done = Extract<CellRecord, { status: 'done' }>;

interface Bucket {
  readonly done: Done[];
  readonly failed: Extract<CellRecord, { status: 'failed' }>[];
}

const rowKeyOf = (r: CellRecord): string =>
  JSON.stringify({ defense: r.defense, augment: r.augment, preset: r.preset, options: r.options, share: r.share, samples: r.samples, data: r.data });
const columnKeyOf = (r: CellRecord): string => JSON.stringify([r.model, r.quantizer]);

function statOf(values: readonly (number | null)[]): SeedStat | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === values.length && present.length > 0 ? seedStat(present) : null;
}

function cellOf(bucket: Bucket | undefined): TableCell {
  if (!bucket || (bucket.done.length === 0 && bucket.failed.length === 0)) return { status: 'missing' };
  if (bucket.done.length === 0) return { status: 'failed', error: bucket.failed[0].error, failed: bucket.failed.length };
  const reports = bucket.done.map((d) => d.report);
  return {
    status: 'done',
    ba: seedStat(reports.map((r) => r.defended.ba)),
    asr: statOf(reports.map((r) => r.defended.asr)),
    der: statOf(reports.map((r) => r.der)),
    failed: bucket.failed.length,
  };
}

/** One evaluation per seed (the first done cell of the seed: every defense of a column shares it). */
function baselineCell(done: readonly Done[], pick: (d: Done) => EvaluationResult): TableCell {
  const bySeed = new Map<number, EvaluationResult>();
  for (const d of done) if (!bySeed.has(d.seed)) bySeed.set(d.seed, pick(d));
  if (bySeed.size === 0) return { status: 'missing' };
  const evals = [...bySeed.values()];
  return { status: 'done', ba: seedStat(evals.map((e) => e.ba)), asr: statOf(evals.map((e) => e.asr)), der: null, failed: 0 };
}

/** Labels that read the same get what tells them apart. */
function disambiguate<T>(items: readonly T[], base: (t: T) => string, parts: readonly ((t: T) => string)[]): string[] {
  return items.map((item) => {
    const same = items.filter((o) => base(o) === base(item));
    if (same.length === 1) return base(item);
    const extra = parts.filter((p) => new Set(same.map(p)).size > 1).map((p) => p(item));
    return extra.length > 0 ? `${base(item)} (${extra.join(', ')})` : base(item);
  });
}

function columnsOf(records: readonly CellRecord[], resolve: ColumnResolver): TableColumn[] {
  const seen = new Map<string, Omit<TableColumn, 'label'>>();
  for (const r of records) {
    const key = columnKeyOf(r);
    if (!seen.has(key)) seen.set(key, { key, model: r.model, quantizer: r.quantizer, ...resolve(r.model, r.quantizer) });
  }
  // The paper's order: 8-bit before 4-bit, then its attack order.
  const cols = [...seen.values()].sort((a, b) =>
    (b.bits ?? -1) - (a.bits ?? -1) || attackRank(a.attack) - attackRank(b.attack) || a.attack.localeCompare(b.attack) ||
    a.modelName.localeCompare(b.modelName) || a.quantizer.localeCompare(b.quantizer));
  const base = (c: Omit<TableColumn, 'label'>): string => `${attackLabel(c.attack)}${c.bits === null ? '' : ` ${c.bits}-bit`}`;
  const labels = disambiguate(cols, base, [(c) => c.modelName, (c) => c.quantizer]);
  return cols.map((c, i) => ({ ...c, label: labels[i] }));
}

function rowsOf(records: readonly CellRecord[]): { key: string; record: CellRecord }[] {
  const seen = new Map<string, CellRecord>();
  for (const r of records) if (!seen.has(rowKeyOf(r))) seen.set(rowKeyOf(r), r);
  return [...seen.entries()]
    .map(([key, record]) => ({ key, record }))
    .sort((a, b) => defenseRank(a.record.defense) - defenseRank(b.record.defense) || a.record.defense.localeCompare(b.record.defense) ||
      a.record.augment.length - b.record.augment.length || a.record.augment.join('+').localeCompare(b.record.augment.join('+')));
}

const optionsText = (o: Readonly<Record<string, string>>): string =>
  Object.keys(o).length === 0 ? 'default options' : Object.entries(o).map(([k, v]) => `${k}=${v}`).join(', ');

/** The grid's records as the paper's table (Table 1's layout). */
export function buildResultTable(records: readonly CellRecord[], resolve: ColumnResolver): ResultTable {
  const columns = columnsOf(records, resolve);
  const rowEntries = rowsOf(records);
  const buckets = new Map<string, Bucket>();
  for (const r of records) {
    const key = `${rowKeyOf(r)}\n${columnKeyOf(r)}`;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { done: [], failed: [] }));
    if (r.status === 'done') b.done.push(r);
    else b.failed.push(r);
  }
  const base = (e: { record: CellRecord }): string => [e.record.defense, ...e.record.augment].map(defenseLabel).join(' + ');
  const labels = disambiguate(rowEntries, base, [
    (e) => `${e.record.preset} preset`, (e) => optionsText(e.record.options), (e) => `share ${e.record.share}`,
    (e) => `${e.record.samples} samples`, (e) => e.record.data ?? 'data of qcb.json',
  ]);
  const rows: TableRow[] = rowEntries.map((e, i) => ({
    key: e.key, label: labels[i], defense: e.record.defense, augment: e.record.augment,
    cells: columns.map((c) => cellOf(buckets.get(`${e.key}\n${c.key}`))),
  }));
  const doneIn = (c: TableColumn): Done[] => records.filter((r): r is Done => r.status === 'done' && columnKeyOf(r) === c.key);
  const best = columns.map((_, j) => {
    const ders = rows.map((row) => {
      const cell = row.cells[j];
      return cell.status === 'done' && cell.der !== null ? cell.der.mean : null;
    });
    const present = ders.filter((d): d is number => d !== null);
    if (present.length === 0) return [];
    const top = Math.max(...present);
    return ders.flatMap((d, i) => (d !== null && top - d < 1e-9 ? [i] : []));
  });
  return {
    columns,
    rows,
    noDefense: columns.map((c) => baselineCell(doneIn(c), (d) => d.report.quantized)),
    fullPrecision: columns.map((c) => baselineCell(doneIn(c), (d) => d.report.fp)),
    best,
    seeds: [...new Set(records.map((r) => r.seed))].sort((a, b) => a - b),
  };
}
