import { describe, expect, it } from 'vitest';
import type { QuantParams } from '@qcb/core';
import { PDA_FAST, PDA_PAPER, resolvePdaOptions } from './options.js';
import { unitBall } from './unit-ball.js';

const grid = (scale: number[]): QuantParams => ({ bits: 4, qmin: 0, qmax: 15, axis: scale.length > 1 ? 3 : null, scale: Float32Array.from(scale), zeroPoint: new Float32Array(scale.length) });

describe('unitBall', () => {
  it('keeps the absolute radius unless gammaSteps is set', () => {
    const absolute = resolvePdaOptions('fast', { 'pda.gammaSteps': 0 });
    expect(unitBall(absolute, grid([0.2]))).toBe(absolute);
    expect(unitBall(PDA_PAPER, grid([0.2]))).toBe(PDA_PAPER);
    const zero = { ...PDA_FAST, gammaSteps: 0 };
    expect(unitBall(zero, grid([0.2]))).toBe(zero);
  });

  it('scales the radius to the input step and keeps the step size in proportion', () => {
    const o = resolvePdaOptions('fast', { 'pda.gammaSteps': 0.25 });
    const ball = unitBall(o, grid([0.2]));
    expect(ball.gamma).toBeCloseTo(0.05, 7);
    expect(ball.stepSize / ball.gamma).toBeCloseTo(PDA_FAST.stepSize / PDA_FAST.gamma, 7);
    expect(unitBall(o, grid([0.1, 0.4])).gamma).toBeCloseTo(0.1, 7);
  });

  it('keeps the absolute radius on a unit whose input is not quantized', () => {
    const o = resolvePdaOptions('fast', { 'pda.gammaSteps': 0.25 });
    expect(unitBall(o, null)).toBe(o);
    expect(() => resolvePdaOptions('fast', { 'pda.gammaSteps': -1 })).toThrow(/pda.gammaSteps/);
  });
});
