import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { QcbError } from '../errors.js';
import { readBytes } from './fs-checks.js';
import type { ImageSet } from './image-set.js';

const gunzipAsync = promisify(gunzip);

const DTYPE_UBYTE = 0x08;

/** An IDX array of unsigned bytes. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** Parses IDX bytes (big-endian header: 0, 0, dtype, ndims, then ndims uint32 sizes). */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new QcbError('E_DATA', `${file} is not an IDX file (bad magic number)`);
  }
  const dtype = bytes[2];
  if (dtype !== DTYPE_UBYTE) {
    throw new QcbError('E_DATA', `${file} has unsupported IDX dtype 0x${dtype.toString(16).padStart(2, '0')} (only 0x08 unsigned byte)`);
  }
  const ndims = bytes[3];
  if (ndims === 0) throw new QcbError('E_DATA', `${file} is an IDX file with no dimensions`);
  const header = 4 + 4 * ndims;
  if (bytes.length < header) {
    throw new QcbError('E_DATA', `${file} is truncated: its IDX header needs ${header} bytes, found ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let size = 1;
  for (let d = 0; d < ndims; d++) {
    const dim = view.getUint32(4 + 4 * d, false);
    dims.push(dim);
    size *= dim;
  }
  const expected = header + size;
  if (bytes.length < expected) {
    throw new QcbError('E_DATA', `${file} is truncated: dims [${dims.join(', ')}] need ${expected} bytes, found ${bytes.length}`);
  }
  if (bytes.length > expected) {
    throw new QcbError('E_DATA', `${file} has ${bytes.length - expected} extra bytes after the data for dims [${dims.join(', ')}]`);
  }
  return { dims, data: bytes.subarray(header) };
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads a file's IDX bytes, gunzipping them when it is named `.gz` or starts with the gzip magic. */
export async function readIdxBytes(path: string): Promise<Uint8Array> {
  const bytes: Uint8Array = await readBytes(path);
  if (!path.endsWith('.gz') && !isGzip(bytes)) return bytes;
  try {
    return await gunzipAsync(bytes);
  } catch (e) {
    throw new QcbError('E_DATA', `${path} could not be gunzipped (truncated or altered?): ${(e as Error).message}`, { cause: e });
  }
}

/** Reads an IDX file, plain or gzipped. */
export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(await readIdxBytes(path), path);
}

// byte / 255 for every byte value, so the hot loop is one table lookup.
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** Reads an images/labels IDX pair into an ImageSet with values in [0, 1]. */
export async function readIdxImageSet(imagesPath: string, labelsPath: string, classes: number): Promise<ImageSet> {
  const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
  return idxImageSet({ path: imagesPath, array: images }, { path: labelsPath, array: labels }, classes);
}

/** An IDX array with the file it came from, for error messages. */
export interface IdxFile {
  readonly path: string;
  readonly array: IdxArray;
}

/** Turns parsed images/labels IDX arrays into an ImageSet with values in [0, 1]. */
export function idxImageSet(imageFile: IdxFile, labelFile: IdxFile, classes: number): ImageSet {
  const { path: imagesPath, array: images } = imageFile;
  const { path: labelsPath, array: labels } = labelFile;
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw new QcbError('E_DATA', `${imagesPath} has dims [${images.dims.join(', ')}]; expected [count, height, width] or [count, height, width, channels]`);
  }
  if (labels.dims.length !== 1) {
    throw new QcbError('E_DATA', `${labelsPath} has dims [${labels.dims.join(', ')}]; expected [count]`);
  }
  const count = images.dims[0];
  if (labels.dims[0] !== count) {
    throw new QcbError('E_DATA', `${imagesPath} holds ${count} images but ${labelsPath} holds ${labels.dims[0]} labels`);
  }
  const labelArray = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = labels.data[i];
    if (label >= classes) {
      throw new QcbError('E_DATA', `${labelsPath} has label ${label} at index ${i}; labels must be below ${classes}`);
    }
    labelArray[i] = label;
  }
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = BYTE_TO_UNIT[images.data[i]];
  const shape: [number, number, number] = [images.dims[1], images.dims[2], images.dims[3] ?? 1];
  return { images: pixels, labels: labelArray, count, shape };
}
