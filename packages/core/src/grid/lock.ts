import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { QcbError } from '../errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes a lock file holding this process's pid, so that two grids never run the same cells
 * into one database (and one scratch folder). A lock left by a dead process is taken over.
 * Returns the function that releases it.
 */
export function acquireGridLock(file: string, what: string): () => void {
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new QcbError('E_USAGE', `another grid (pid ${pid}) is running on ${what}`, { hint: `or remove ${file} if that is not so` });
      }
      rmSync(file, { force: true });
    }
  }
  throw new QcbError('E_IO', `could not take the lock ${file}`);
}
