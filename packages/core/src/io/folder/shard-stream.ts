import { constants, open, type FileHandle } from 'node:fs/promises';
import { QcbError } from '../../errors.js';

export interface ShardFile {
  /** Path as written in the manifest, for messages. */
  name: string;
  realPath: string;
  /** Size observed when the group was checked. */
  size: number;
}

// The real path has no symlinks left; O_NOFOLLOW makes a last-moment swap to a symlink fail.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

/** Reads a group's files as one byte stream, with explicit offsets and lengths. */
export class ShardStream {
  private index = -1;
  private handle: FileHandle | null = null;
  private position = 0;

  constructor(
    private readonly files: readonly ShardFile[],
    private readonly group: string,
  ) {}

  async read(dst: Uint8Array): Promise<void> {
    let filled = 0;
    while (filled < dst.length) {
      // A loop, not an if: empty files are skipped.
      while (this.handle === null || this.position === this.files[this.index].size) await this.next();
      const file = this.files[this.index];
      const want = Math.min(dst.length - filled, file.size - this.position);
      const { bytesRead } = await this.handle!.read(dst, filled, want, this.position);
      if (bytesRead === 0) {
        throw new QcbError('E_WEIGHT_SIZE', `${this.group}: weight file '${file.name}' ended early while reading (was it truncated?)`);
      }
      filled += bytesRead;
      this.position += bytesRead;
    }
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    await h?.close();
  }

  private async next(): Promise<void> {
    await this.close();
    this.index++;
    this.position = 0;
    const file = this.files[this.index];
    if (file === undefined) throw new QcbError('E_WEIGHT_SIZE', `${this.group}: weights need more bytes than the files hold`);
    try {
      this.handle = await open(file.realPath, OPEN_FLAGS);
    } catch (e) {
      throw new QcbError('E_WEIGHT_PATH', `${this.group}: cannot open weight file '${file.name}' (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e });
    }
    const info = await this.handle.stat();
    if (!info.isFile() || info.size !== file.size) {
      throw new QcbError('E_WEIGHT_SIZE', `${this.group}: weight file '${file.name}' changed while the model was being read`);
    }
  }
}
