import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConcurrently } from './concurrent-steps.js';

// Each child prints when it started and ended; it stays alive until every child has started
// (a file per child in a shared folder), so the copies can only finish if they run at once.
const CHILD = `
const fs = require('node:fs');
const [dir, copies] = process.argv.slice(1);
const start = Date.now();
fs.writeFileSync(dir + '/' + process.pid, '');
while (fs.readdirSync(dir).length < Number(copies)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
console.log('progress line');
console.log(JSON.stringify({ pid: process.pid, start, end: Date.now() }));
`;

describe('runConcurrently', () => {
  it('runs the copies at once and gives each one last stdout line parsed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qcb-copies-'));
    const runs = await runConcurrently<{ pid: number; start: number; end: number }>(process.execPath, ['-e', CHILD, dir, '3'], 3).finally(() => rmSync(dir, { recursive: true }));
    expect(runs).toHaveLength(3);
    expect(new Set(runs.map((r) => r.pid)).size).toBe(3);
    for (const a of runs) for (const b of runs) expect(a.start).toBeLessThanOrEqual(b.end);
  });

  it('rejects with the failing copy\'s last line of output', async () => {
    await expect(runConcurrently(process.execPath, ['-e', 'console.error("first\\nno torch here"); process.exit(3)'], 2)).rejects.toThrow(/no torch here/);
  });
});
