import { describe, expect, it } from 'vitest';
import { Engine } from '../kernel/engine.js';
import { sid } from '../kernel/tokens.js';
import { createTrigger } from './parse-trigger.js';
import builtinDefault, { builtinTriggers, TRIGGER_TOKEN, type TriggerPlugin } from './trigger-plugins.js';

describe('builtinTriggers', () => {
  it('binds the patch, blend and wanet factories to the trigger token', async () => {
    expect(builtinDefault).toBe(builtinTriggers);
    expect(TRIGGER_TOKEN).toBe(Symbol.for('qcb.Trigger'));
    const engine = await Engine.create([builtinTriggers]);
    const plugins = engine.container.getAll<TriggerPlugin>(sid(TRIGGER_TOKEN));
    expect(plugins.map((p) => [p.kind, p.name, p.factory.type])).toEqual([
      ['trigger', 'patch', 'patch'],
      ['trigger', 'blend', 'blend'],
      ['trigger', 'wanet', 'wanet'],
    ]);
    expect(plugins.every((p) => p.description.length > 0)).toBe(true);
    const trigger = createTrigger({ type: 'patch', size: 2 }, [8, 8, 1], plugins.map((p) => p.factory));
    expect(trigger.spec).toEqual({ type: 'patch', size: 2, row: 5, col: 5, value: 1 });
  });
});
