import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { QcbError } from '../../errors.js';

async function syncDir(dir: string): Promise<void> {
  // Directory fsync is not possible everywhere (e.g. Windows); the data files are synced anyway.
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort */
  }
}

async function existsAsDirectory(target: string): Promise<boolean> {
  try {
    const info = await lstat(target);
    if (!info.isDirectory()) throw new QcbError('E_USAGE', `${target}: exists and is not a directory; refusing to replace it`);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

async function swapIn(tmp: string, target: string): Promise<void> {
  const aside = path.join(path.dirname(target), `.${path.basename(target)}.old-${randomBytes(6).toString('hex')}`);
  await rename(target, aside);
  try {
    await rename(tmp, target);
  } catch (e) {
    try {
      await rename(aside, target);
    } catch {
      throw new QcbError('E_IO', `${target}: replacing the folder failed and the previous content could not be moved back; it is at ${aside}`, { cause: e });
    }
    throw e;
  }
  // The new content is in place; a leftover old copy is only wasted space.
  await rm(aside, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Builds a directory with `fill` in a temporary sibling, then moves it to `target`, replacing
 * any existing directory. On failure the temporary folder is removed and `target` is untouched.
 * Missing parent directories are created.
 */
export async function replaceDirAtomically(target: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const parent = path.dirname(target);
  const base = path.basename(target);
  if (base === '' || parent === target) throw new QcbError('E_USAGE', `${target}: cannot replace a filesystem root`);
  await mkdir(parent, { recursive: true });
  const replacing = await existsAsDirectory(target);
  const tmp = path.join(parent, `.${base}.tmp-${randomBytes(6).toString('hex')}`);
  await mkdir(tmp);
  try {
    await fill(tmp);
    await syncDir(tmp);
    if (replacing) await swapIn(tmp, target);
    else await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
  await syncDir(parent);
}
