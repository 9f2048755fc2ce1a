import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../runtime/backend.js';
import { patchTriggerFactory } from './patch.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** Coordinates of the pixels (any channel) that are non-zero in a single NHWC image. */
function litPixels(values: Float32Array | Int32Array | Uint8Array, h: number, w: number, c: number): string[] {
  const out = new Set<string>();
  for (let i = 0; i < h * w * c; i++) if (values[i] !== 0) out.add(`${Math.floor(i / (w * c))},${Math.floor(i / c) % w}`);
  return [...out];
}

function square(rows: number[], cols: number[]): string[] {
  return rows.flatMap((r) => cols.map((c) => `${r},${c}`));
}

describe('patch trigger', () => {
  it('puts a white 4x4 square one pixel from the bottom-right corner of 28x28 by default', () => {
    const trigger = patchTriggerFactory.create({ type: 'patch', size: 4 }, [28, 28, 1]);
    expect(trigger.spec).toEqual({ type: 'patch', size: 4, row: 23, col: 23, value: 1 });
    const out = tf.tidy(() => trigger.apply(tf.zeros([1, 28, 28, 1])));
    const values = out.dataSync() as Float32Array;
    out.dispose();
    expect(litPixels(values, 28, 28, 1).sort()).toEqual(square([23, 24, 25, 26], [23, 24, 25, 26]).sort());
    expect(values.reduce((a, b) => a + b, 0)).toBe(16);
  });

  it('uses rows and columns 27..30 on 32x32 RGB, every channel', () => {
    const trigger = patchTriggerFactory.create({ type: 'patch', size: 4 }, [32, 32, 3]);
    const out = tf.tidy(() => trigger.apply(tf.zeros([2, 32, 32, 3])));
    const values = out.dataSync() as Float32Array;
    out.dispose();
    const second = values.subarray(32 * 32 * 3);
    expect(litPixels(second, 32, 32, 3).sort()).toEqual(square([27, 28, 29, 30], [27, 28, 29, 30]).sort());
    expect(second.reduce((a, b) => a + b, 0)).toBe(16 * 3);
  });

  it('stamps a given value at an explicit position and leaves the rest exact', () => {
    const trigger = patchTriggerFactory.create({ type: 'patch', size: 2, row: 0, col: 1, value: 0.5 }, [3, 4, 1]);
    const x = tf.tensor4d([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 0, 0.25], [1, 3, 4, 1]);
    const out = trigger.apply(x);
    expect(Array.from(out.dataSync())).toEqual(Array.from(new Float32Array([
      0.1, 0.5, 0.5, 0.4,
      0.5, 0.5, 0.5, 0.8,
      0.9, 1, 0, 0.25,
    ])));
    tf.dispose([x, out]);
  });

  it('rejects patches that do not fit and bad values', () => {
    const create = (spec: Parameters<typeof patchTriggerFactory.create>[0]) => () => patchTriggerFactory.create(spec, [8, 8, 1]);
    expect(create({ type: 'patch', size: 9 })).toThrow(/patch trigger: rows 0\.\.8 do not fit the input height 8/);
    expect(create({ type: 'patch', size: 3, row: 6 })).toThrow(/rows 6\.\.8 do not fit/);
    expect(create({ type: 'patch', size: 3, col: 7 })).toThrow(/columns 7\.\.9 do not fit the input width 8/);
    expect(create({ type: 'patch', size: 0 })).toThrow(/size must be a positive integer/);
    expect(create({ type: 'patch', size: 2, value: 255 })).toThrow(/value must be in \[0, 1\]/);
    expect(create({ type: 'blend', alpha: 0.1 })).toThrow(/patch trigger factory got a spec of type "blend"/);
    try {
      create({ type: 'patch', size: 9 })();
    } catch (e) {
      expect((e as { code: string }).code).toBe('E_USAGE');
    }
  });

  it('lets a patch of the full image size sit at 0,0', () => {
    const trigger = patchTriggerFactory.create({ type: 'patch', size: 8 }, [8, 8, 1]);
    expect(trigger.spec).toMatchObject({ row: 0, col: 0 });
  });

  it('rejects images of another shape and leaks no tensors', () => {
    const trigger = patchTriggerFactory.create({ type: 'patch', size: 3 }, [8, 8, 1]);
    const x = tf.zeros([4, 8, 8, 1]) as tf.Tensor4D;
    const wrong = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    expect(() => trigger.apply(wrong)).toThrow(/made for 8x8x1 images but got 8x8x3/);
    const before = tf.memory().numTensors;
    trigger.apply(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, wrong]);
  });
});
