import { Engine, resolveQuantizer } from '@qcb/core';
import { describe, expect, it } from 'vitest';
import plugin, { ACADEMIC_W8A8 } from './index.js';

describe('academic-w8a8', () => {
  it('registers its profile by name through DI', async () => {
    const engine = await Engine.create([plugin]);
    expect(engine.registry().quantizers).toEqual(['academic-w8a8']);
    expect(resolveQuantizer(engine, 'academic-w8a8')).toBe(ACADEMIC_W8A8);
    expect(ACADEMIC_W8A8.weights.bits).toBe(8);
  });
});
