import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { QcbError } from '../errors.js';

/** 8-bit RGBA pixels, row-major. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
}

function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** Decodes a PNG or JPEG (recognised by content, not name) to RGBA. */
export function decodeImage(bytes: Buffer, file: string): RgbaImage {
  let image: RgbaImage;
  try {
    if (isPng(bytes)) {
      const png = PNG.sync.read(bytes);
      image = { width: png.width, height: png.height, data: png.data };
    } else if (isJpeg(bytes)) {
      image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
    } else {
      throw new Error('neither PNG nor JPEG data');
    }
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new QcbError('E_DATA', `cannot decode image ${file}: ${why}`, { cause: e });
  }
  if (image.width <= 0 || image.height <= 0 || image.data.length < image.width * image.height * 4) {
    throw new QcbError('E_DATA', `cannot decode image ${file}: empty or short pixel data`);
  }
  return image;
}

/** True when every pixel has R = G = B. */
export function isGray(image: RgbaImage): boolean {
  const d = image.data;
  const end = image.width * image.height * 4;
  for (let i = 0; i < end; i += 4) {
    if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) return false;
  }
  return true;
}

/**
 * Writes the image into out (h x w x channels floats in [0, 1]) at offset,
 * nearest-neighbour resizing when its size differs. Alpha is ignored.
 * channels 1 is BT.601 luma, computed in integers so gray pixels stay exact.
 */
export function writePixels(image: RgbaImage, h: number, w: number, channels: 1 | 3, out: Float32Array, offset: number): void {
  const d = image.data;
  let o = offset;
  for (let y = 0; y < h; y++) {
    const sy = Math.min(image.height - 1, Math.floor(((y + 0.5) * image.height) / h));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(image.width - 1, Math.floor(((x + 0.5) * image.width) / w));
      const i = (sy * image.width + sx) * 4;
      if (channels === 1) {
        out[o++] = (299 * d[i] + 587 * d[i + 1] + 114 * d[i + 2]) / 255000;
      } else {
        out[o++] = d[i] / 255;
        out[o++] = d[i + 1] / 255;
        out[o++] = d[i + 2] / 255;
      }
    }
  }
}
