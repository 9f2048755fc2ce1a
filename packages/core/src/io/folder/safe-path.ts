import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Checks a folder-relative file name taken from untrusted input (a weight path, an extra file
 * name). Returns a description of the problem, or null when the name is acceptable.
 */
export function relativePathProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'is not a string';
  if (name.length === 0) return 'is empty';
  if (name.includes('\0')) return 'contains a NUL character';
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is an absolute path';
  const segments = name.split('/');
  if (segments.includes('..')) return "contains a '..' segment";
  if (segments.some((s) => s.length === 0)) return 'contains an empty path segment';
  return null;
}

/** True when `child` lies strictly below `root` (both absolute, already resolved). */
export function isStrictlyInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

export type ResolvedFile =
  | { kind: 'file'; realPath: string; size: number }
  | { kind: 'missing' }
  | { kind: 'outside'; realPath: string }
  | { kind: 'not-file'; realPath: string }
  | { kind: 'unresolvable'; reason: string };

/**
 * Resolves `rel` under the already-resolved folder `realRoot`, following symlinks, and reports
 * whether the result is a regular file that stays inside the folder. `rel` must have passed
 * relativePathProblem().
 */
export async function resolveFileInside(realRoot: string, rel: string): Promise<ResolvedFile> {
  let realPath: string;
  try {
    realPath = await realpath(path.join(realRoot, ...rel.split('/')));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'unresolvable', reason: code ?? String(e) };
  }
  if (!isStrictlyInside(realRoot, realPath)) return { kind: 'outside', realPath };
  // stat before open: opening a FIFO or device planted in the folder could block or never end.
  let info;
  try {
    info = await stat(realPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unresolvable', reason: code ?? String(e) };
  }
  if (!info.isFile()) return { kind: 'not-file', realPath };
  return { kind: 'file', realPath, size: info.size };
}
