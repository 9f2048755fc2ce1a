import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseSidecar, resolveQuantizer, type CellRecord, type ColumnResolver, type Engine, type QcbSidecar } from '@qcb/core';

/** A model folder's qcb.json, or null when it is missing or unreadable (the table still shows the folder's name). */
export function sidecarOf(dir: string): QcbSidecar | null {
  const file = join(dir, 'qcb.json');
  if (!existsSync(file)) return null;
  try {
    return parseSidecar(JSON.parse(readFileSync(file, 'utf8')), file);
  } catch {
    return null;
  }
}

export const hasTrigger = (s: QcbSidecar | null): boolean => s?.trigger !== undefined && s.target !== undefined;

/**
 * Columns from the model folders the grid's keys name (relative to the database's folder):
 * the attack from qcb.json's attack record, else the folder's name; the bits from the profile.
 */
export function columnResolver(engine: Engine, dbDir: string): ColumnResolver {
  const sidecars = new Map<string, QcbSidecar | null>();
  return (model, quantizer) => {
    const dir = resolve(dbDir, model);
    if (!sidecars.has(dir)) sidecars.set(dir, sidecarOf(dir));
    const sidecar = sidecars.get(dir) ?? null;
    const modelName = basename(dir);
    let bits: number | null;
    try {
      bits = resolveQuantizer(engine, quantizer).weights.bits;
    } catch {
      // A profile of a plugin this run did not load: the attack's own bits when it names one.
      const own = sidecar?.attack?.bits;
      bits = own?.length === 1 ? own[0] : null;
    }
    return { attack: sidecar?.attack?.name ?? modelName, bits, modelName };
  };
}

/** The model the figures are drawn for, with the settings its grid cells ran under. */
export interface FigureSubject {
  readonly dir: string;
  readonly quantizer: string;
  /** The defender's share: the calibration and the images the figures are measured on. */
  readonly share: number;
  readonly data: string | null;
}

/**
 * --model (with the settings of its first grid cell, if any), else the grid's first model with
 * a trigger in qcb.json; --quantizer overrides the profile. A string says why there is none.
 */
export function figureSubject(records: readonly CellRecord[], dbDir: string, o: { model?: string; quantizer?: string }): FigureSubject | string {
  const dirOf = (r: CellRecord): string => resolve(dbDir, r.model);
  const record = o.model !== undefined
    ? records.find((r) => dirOf(r) === o.model)
    : records.find((r) => hasTrigger(sidecarOf(dirOf(r))));
  const dir = o.model ?? (record ? dirOf(record) : undefined);
  if (dir === undefined) return 'no model of the grid names a trigger and target in its qcb.json (pass --model <dir>)';
  const quantizer = o.quantizer ?? record?.quantizer ?? records[0]?.quantizer;
  if (quantizer === undefined) return `${dir} is not in the grid and the grid names no profile (pass --quantizer <profile>)`;
  return { dir, quantizer, share: record?.share ?? 0.05, data: record?.data ?? null };
}
