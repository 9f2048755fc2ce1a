import { readFile, stat } from 'node:fs/promises';
import { QcbError } from '../errors.js';

export type PathKind = 'file' | 'dir' | 'missing';

export async function pathKind(path: string): Promise<PathKind> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : 'file';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return 'missing';
    }
    throw new QcbError('E_DATA', `cannot access ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads a whole file, turning any failure into an E_DATA error naming it. */
export async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : (e as Error).message;
    throw new QcbError('E_DATA', `cannot read ${path}: ${why}`, { cause: e });
  }
}
