import { accuracy, attackSuccessRate, initBackend, poisonedView, predictClasses } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyAttackContext } from '../../../test/helpers/attack-context.js';
import { badNets } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('BadNets', () => {
  it('plants an always-on backdoor while keeping clean accuracy', async () => {
    const { ctx, data } = await tinyAttackContext({ options: { epochs: 10, batchSize: 32, poisonRate: 0.2 } });
    const record = await badNets.run(ctx);
    expect(record.bits).toEqual([]);
    const forward = (x: Parameters<typeof ctx.model.predict>[0]) => ctx.model.predict(x);
    const poisoned = poisonedView(data.test, ctx.trigger, 0);
    expect(attackSuccessRate(predictClasses(forward, poisoned, { normalization: data.normalization }), poisoned.labels, 0)).toBeGreaterThan(90);
    expect(accuracy(predictClasses(forward, data.test, { normalization: data.normalization }), data.test.labels)).toBeGreaterThan(80);
    ctx.model.dispose();
  });
});
