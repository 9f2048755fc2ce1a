import * as tf from '@tensorflow/tfjs-core';
// Through the package, as the test helper's context is typed against it.
import { consumersOf, initBackend, unitOutputQuantizer } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../../../test/helpers/defense-context.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('unitOutputQuantizer', () => {
  it('puts a unit output that feeds a conv on that conv\'s input grid, and leaves one that feeds an add alone', async () => {
    const { ctx, dispose } = await tinyDefenseContext();
    const q = ctx.quantized;
    const consumers = consumersOf(q.model.graph);
    let quantizedUnits = 0;
    let plainUnits = 0;
    for (const unit of q.model.units()) {
      const next = consumers.get(unit.output)!;
      const conv = next.find((n) => q.parts.activations.has(n));
      const x = tf.randomUniform([2, 4], -1, 3, 'float32', 5);
      const y = unitOutputQuantizer(q, unit)(x);
      if (conv) {
        const p = q.parts.activations.get(conv)!;
        for (const v of y.dataSync()) {
          const level = v / p.scale[0] + p.zeroPoint[0];
          expect(Math.abs(level - Math.round(level))).toBeLessThan(1e-3);
          expect(Math.round(level)).toBeGreaterThanOrEqual(p.qmin);
          expect(Math.round(level)).toBeLessThanOrEqual(p.qmax);
        }
        quantizedUnits++;
      } else {
        expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
        plainUnits++;
      }
      tf.dispose([x, y]);
    }
    expect(quantizedUnits).toBeGreaterThan(0);
    expect(plainUnits).toBeGreaterThan(0);
    dispose();
  });
});
