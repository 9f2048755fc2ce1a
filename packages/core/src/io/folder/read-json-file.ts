import { constants, open } from 'node:fs/promises';
import { QcbError, type QcbErrorCode } from '../../errors.js';
import { resolveFileInside } from './safe-path.js';

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

export interface JsonFileSpec {
  /** File name inside the folder. */
  name: string;
  /** Path shown in messages. */
  display: string;
  maxSize: number;
  /** Code for every failure except a missing file. */
  code: QcbErrorCode;
}

/** Reads and parses a JSON file inside `realDir`; returns undefined when the file does not exist. */
export async function readJsonFile(realDir: string, spec: JsonFileSpec): Promise<unknown> {
  const { display, code } = spec;
  const resolved = await resolveFileInside(realDir, spec.name);
  switch (resolved.kind) {
    case 'missing':
      return undefined;
    case 'outside':
      throw new QcbError(code, `${display}: resolves outside the model folder (to ${resolved.realPath})`);
    case 'not-file':
      throw new QcbError(code, `${display}: is not a regular file`);
    case 'unresolvable':
      throw new QcbError(code, `${display}: cannot be resolved (${resolved.reason})`);
  }
  if (resolved.size > spec.maxSize) {
    throw new QcbError(code, `${display}: is ${resolved.size} bytes, more than the ${spec.maxSize} bytes allowed`);
  }
  const text = await readExactly(resolved.realPath, resolved.size, display, code);
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (e) {
    throw new QcbError(code, `${display}: invalid JSON: ${(e as Error).message}`, { cause: e });
  }
}

async function readExactly(realPath: string, size: number, display: string, code: QcbErrorCode): Promise<string> {
  const handle = await open(realPath, OPEN_FLAGS);
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size !== size) throw new QcbError(code, `${display}: changed while being read`);
    const buffer = Buffer.alloc(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
      if (bytesRead === 0) throw new QcbError(code, `${display}: ended early while being read`);
      filled += bytesRead;
    }
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
