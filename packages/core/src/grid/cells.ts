import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Preset } from '../defense/defense-plugin.js';
import type { GridSpec } from './spec.js';

/** The settings of one cell: what its key is made of, and so what makes two runs the same. */
export interface CellSettings {
  /** The model folder relative to the results database's folder (POSIX separators). */
  readonly model: string;
  readonly quantizer: string;
  readonly defense: string;
  readonly augment: readonly string[];
  readonly preset: Preset;
  readonly seed: number;
  /** Sorted by name. */
  readonly options: Readonly<Record<string, string>>;
  readonly share: number;
  readonly samples: number;
  readonly data: string | null;
}

/** A cell of a grid, ready to run. */
export interface GridCell extends CellSettings {
  /** Canonical JSON of the settings: the row's primary key. */
  readonly key: string;
  /** Short name for progress lines: the model, the defense and the axes that vary in this grid. */
  readonly label: string;
  /** The model folder, absolute. */
  readonly modelDir: string;
}

/** A spec model resolved on disk: `id` goes in the key, `dir` is what the cell loads. */
export interface ResolvedModel {
  readonly id: string;
  readonly dir: string;
}

/** The key of a cell: its settings as JSON, with a fixed field order so equal settings give equal keys. */
export function cellKey(s: CellSettings): string {
  const options = Object.fromEntries(Object.entries(s.options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify({
    model: s.model, quantizer: s.quantizer, defense: s.defense, augment: [...s.augment], preset: s.preset, seed: s.seed,
    options, share: s.share, samples: s.samples, data: s.data,
  });
}

/** The settings of a cell, without its key and run-time fields. */
export function settingsOf(cell: CellSettings): CellSettings {
  return {
    model: cell.model, quantizer: cell.quantizer, defense: cell.defense, augment: cell.augment, preset: cell.preset, seed: cell.seed,
    options: cell.options, share: cell.share, samples: cell.samples, data: cell.data,
  };
}

/** A file name for a cell's output folder: its label made safe, and a hash of its key so names never collide. */
export function cellSlug(cell: Pick<GridCell, 'key' | 'label'>): string {
  const safe = cell.label.replace(/[^A-Za-z0-9._+=-]+/g, '_').replace(/^[._]+/, '').slice(0, 80);
  return `${safe}-${createHash('sha256').update(cell.key).digest('hex').slice(0, 10)}`;
}

/** The cells of a spec (its cross product), seeds outermost so that one seed's table fills first. */
export function gridCells(spec: GridSpec, models: readonly ResolvedModel[]): GridCell[] {
  if (models.length !== spec.models.length) throw new Error('gridCells: one resolved model per spec model');
  const cells: GridCell[] = [];
  for (const seed of spec.seeds) {
    for (const model of models) {
      for (const quantizer of spec.quantizers) {
        for (const preset of spec.presets) {
          for (const d of spec.defenses) {
            const settings: CellSettings = {
              model: model.id, quantizer, defense: d.defense, augment: d.augment, preset, seed,
              options: d.options, share: spec.share, samples: spec.samples, data: spec.data,
            };
            const label = [
              basename(model.dir),
              spec.quantizers.length > 1 ? quantizer : '',
              d.label,
              spec.presets.length > 1 ? preset : '',
              spec.seeds.length > 1 ? `s${seed}` : '',
            ].filter(Boolean).join(' ');
            cells.push({ ...settings, key: cellKey(settings), label, modelDir: model.dir });
          }
        }
      }
    }
  }
  return cells;
}
