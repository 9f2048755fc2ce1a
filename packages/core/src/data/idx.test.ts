import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIdx, readIdx, readIdxImageSet } from './idx.js';

function idxBytes(dims: number[], data: number[], dtype = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = dtype;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-idx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Two 2x3 images and their labels.
const pixels = [0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 255];
const images = idxBytes([2, 2, 3], pixels);
const labels = idxBytes([2], [7, 2]);

describe('parseIdx', () => {
  it('reads dims and data', () => {
    const parsed = parseIdx(images, 'a');
    expect(parsed.dims).toEqual([2, 2, 3]);
    expect(Array.from(parsed.data)).toEqual(pixels);
  });

  it.each([
    ['bad magic', Buffer.from([1, 0, 8, 1, 0, 0, 0, 1, 5]), /bad magic/],
    ['unsupported dtype', idxBytes([1], [0, 0, 0, 0], 0x0d), /unsupported IDX dtype 0x0d/],
    ['truncated data', idxBytes([2, 2, 3], pixels.slice(0, 11)), /truncated/],
    ['truncated header', idxBytes([2, 2, 3], []).subarray(0, 10), /truncated: its IDX header/],
    ['extra bytes', idxBytes([2], [1, 2, 3]), /1 extra bytes/],
  ])('rejects %s', (_, bytes, message) => {
    expect(() => parseIdx(bytes, 'some-file')).toThrow(expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(message) }));
    expect(() => parseIdx(bytes, 'some-file')).toThrow(/some-file/);
  });
});

describe('readIdxImageSet', () => {
  it('round-trips plain and gzipped files to [0, 1] floats', async () => {
    await writeFile(join(dir, 'img'), images);
    await writeFile(join(dir, 'lbl.gz'), gzipSync(labels));
    await writeFile(join(dir, 'img-nameless-gz'), gzipSync(images));
    for (const imageFile of ['img', 'img-nameless-gz']) {
      const set = await readIdxImageSet(join(dir, imageFile), join(dir, 'lbl.gz'), 10);
      expect(set.count).toBe(2);
      expect(set.shape).toEqual([2, 3, 1]);
      expect(Array.from(set.labels)).toEqual([7, 2]);
      expect(Array.from(set.images)).toEqual(pixels.map((v) => Math.fround(v / 255)));
    }
  });

  it('rejects a count mismatch naming both files', async () => {
    await writeFile(join(dir, 'img'), images);
    await writeFile(join(dir, 'lbl3'), idxBytes([3], [1, 2, 3]));
    await expect(readIdxImageSet(join(dir, 'img'), join(dir, 'lbl3'), 10)).rejects.toThrow(/img holds 2 images but .*lbl3 holds 3 labels/);
  });

  it('rejects a label out of range', async () => {
    await writeFile(join(dir, 'img'), images);
    await writeFile(join(dir, 'lbl-bad'), idxBytes([2], [3, 10]));
    await expect(readIdxImageSet(join(dir, 'img'), join(dir, 'lbl-bad'), 10)).rejects.toThrow(
      expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(/lbl-bad has label 10 at index 1/) }),
    );
  });
});

describe('readIdx', () => {
  it('rejects a .gz file that is not gzip', async () => {
    await writeFile(join(dir, 'plain.gz'), labels);
    await expect(readIdx(join(dir, 'plain.gz'))).rejects.toThrow(
      expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(/plain\.gz could not be gunzipped/) }),
    );
  });

  it('rejects a missing file', async () => {
    await expect(readIdx(join(dir, 'nope'))).rejects.toThrow(expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(/nope: file not found/) }));
  });
});
