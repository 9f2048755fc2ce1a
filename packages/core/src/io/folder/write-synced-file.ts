import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';

/** Creates a new file (never overwrites), writes `data` and fsyncs it before returning. */
export async function writeSyncedFile(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
