import { describe, expect, it } from 'vitest';
import { formatDuration, progressBar } from './progress.js';

describe('progressBar', () => {
  it('prints a line per 10% when not interactive, and a final summary', () => {
    const lines: string[] = [];
    let t = 0;
    const p = progressBar({ label: 'epoch 1/2', total: 20, write: (s) => lines.push(s), interactive: false, width: 10, now: () => t });
    for (let i = 1; i <= 20; i++) {
      t += 1;
      p.update(i, `loss ${i}`);
    }
    p.finish('acc 90%');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('epoch 1/2 [#---------] 2/20 eta 18s  loss 2\n');
    expect(lines[9]).toBe('epoch 1/2 [##########] 20/20 20s  acc 90%\n');
  });

  it('when not interactive, also prints a line after a minute without one', () => {
    const lines: string[] = [];
    let t = 0;
    const p = progressBar({ label: 'epoch 1/1', total: 100, write: (s) => lines.push(s), interactive: false, width: 10, now: () => t });
    // 25 s a step: the first 10% (step 10) is 250 s away.
    for (let i = 1; i <= 10; i++) {
      t += 25;
      p.update(i);
    }
    expect(lines).toEqual([
      'epoch 1/1 [----------] 3/100 eta 40m25s\n',
      'epoch 1/1 [#---------] 6/100 eta 39m10s\n',
      'epoch 1/1 [#---------] 9/100 eta 37m55s\n',
      'epoch 1/1 [#---------] 10/100 eta 37m30s\n',
    ]);
  });

  it('measures the eta of a resumed loop from the items this run timed', () => {
    const lines: string[] = [];
    let t = 0;
    // Resumed at item 400 of 1,000, 5 s an item; the bar starts once item 401 is done.
    const p = progressBar({ label: 'epoch 1/2', total: 1000, startAt: 401, write: (s) => lines.push(s), interactive: false, width: 10, now: () => t });
    p.update(401);
    expect(lines).toEqual([]);
    t += 5;
    p.update(402);
    expect(lines).toEqual(['epoch 1/2 [####------] 402/1000 eta 49m50s\n']);
  });

  it('redraws in place on a terminal, at most ten times a second', () => {
    const out: string[] = [];
    let t = 0;
    const p = progressBar({ label: 'x', total: 100, write: (s) => out.push(s), interactive: true, width: 4, now: () => t });
    for (let i = 1; i <= 100; i++) {
      t += 0.01;
      p.update(i);
    }
    expect(out.length).toBeLessThanOrEqual(12);
    expect(out.every((s) => s.startsWith('\r'))).toBe(true);
  });

  it('formats durations', () => {
    expect(formatDuration(5)).toBe('5s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3725)).toBe('1h02m');
  });
});
