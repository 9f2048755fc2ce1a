import { describe, expect, it } from 'vitest';
import { freeThreads, holdThread, runThreads, setRunThreads } from './threads.js';

describe('held threads', () => {
  it('leave the rest of a pool (at least one), and a release counts once', () => {
    const before = runThreads();
    try {
      setRunThreads(2);
      expect(freeThreads()).toBe(2);
      const release = holdThread();
      expect(freeThreads()).toBe(1);
      expect(freeThreads(4)).toBe(3);
      const second = holdThread();
      expect(freeThreads()).toBe(1);
      second();
      release();
      release();
      expect(freeThreads()).toBe(2);
      expect(freeThreads(4)).toBe(4);
    } finally {
      setRunThreads(before);
    }
  });
});
