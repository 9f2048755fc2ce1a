import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { QcbError } from '../errors.js';
import type { ResolvedModel } from './cells.js';

export interface ModelPlaces {
  /** The spec file's folder: paths in the spec are read relative to it first... */
  readonly specDir: string;
  /** ...then relative to the working folder. */
  readonly cwd: string;
  /** The results database's folder: keys name models relative to it, so a moved checkout keeps its rows. */
  readonly dbDir: string;
  /** For error messages. */
  readonly source: string;
}

/** Finds each spec model's folder (it must hold a model.json) and names it for the cell keys. */
export function resolveGridModels(models: readonly string[], places: ModelPlaces): ResolvedModel[] {
  const out: ResolvedModel[] = [];
  models.forEach((m, i) => {
    const tries = isAbsolute(m) ? [m] : [resolve(places.specDir, m), resolve(places.cwd, m)];
    const dir = tries.find((d) => existsSync(join(d, 'model.json')));
    if (dir === undefined) {
      const where = isAbsolute(m) ? '' : ` (looked in ${places.specDir} and ${places.cwd})`;
      throw new QcbError('E_USAGE', `${places.source}: models[${i}] names no model folder: "${m}" has no model.json${where}`);
    }
    const id = relative(places.dbDir, dir).split(sep).join('/') || '.';
    const first = out.findIndex((o) => o.id === id);
    if (first >= 0) throw new QcbError('E_USAGE', `${places.source}: models[${i}] is the folder of models[${first}]`);
    out.push({ id, dir });
  });
  return out;
}
