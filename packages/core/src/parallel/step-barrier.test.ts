import { describe, expect, it } from 'vitest';
import { StepBarrier, barrierBuffer } from './step-barrier.js';

describe('StepBarrier', () => {
  it('releases a participant once every one has arrived as often, round after round', async () => {
    const buffer = barrierBuffer();
    const first = new StepBarrier(buffer, 2);
    const second = new StepBarrier(buffer, 2);
    for (let round = 0; round < 3; round++) {
      let released = false;
      const waiting = first.arriveAsync().then(() => {
        released = true;
      });
      await new Promise((r) => setImmediate(r));
      expect(released).toBe(false);
      // The last to arrive does not wait (a worker would block here until then).
      second.arrive();
      await waiting;
      expect(released).toBe(true);
    }
  });

  it('makes the waiting and the later participants throw when one fails', async () => {
    const buffer = barrierBuffer();
    const [a, b, c] = [0, 1, 2].map(() => new StepBarrier(buffer, 3));
    const waiting = a.arriveAsync();
    c.fail();
    await expect(waiting).rejects.toThrow('another participant of the data-parallel step failed');
    expect(() => b.arrive()).toThrow('another participant of the data-parallel step failed');
  });
});
