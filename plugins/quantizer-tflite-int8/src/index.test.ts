import { Engine, resolveQuantizer } from '@qcb/core';
import { describe, expect, it } from 'vitest';
import plugin, { TFLITE_INT8 } from './index.js';

describe('tflite-int8', () => {
  it('registers its profile by name through DI', async () => {
    const engine = await Engine.create([plugin]);
    expect(engine.registry().quantizers).toEqual(['tflite-int8']);
    expect(resolveQuantizer(engine, 'tflite-int8')).toBe(TFLITE_INT8);
    expect(TFLITE_INT8.weights.bits).toBe(8);
  });
});
