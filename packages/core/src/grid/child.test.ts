import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_WITH_PARENT, runJsonChild } from './child.js';

let dir: string;
const script = async (name: string, code: string): Promise<string> => {
  const file = join(dir, name);
  await writeFile(file, code);
  return file;
};
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A child of a killed parent may linger as a zombie until something reaps it: that is not running.
  return !/\)\s+Z\s/.test(stat(pid));
};
function stat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}
const until = async (check: () => boolean | Promise<boolean>): Promise<void> => {
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-grid-child-'));
  // The preload is the built file (node loads it, not the test runner).
  expect(existsSync(EXIT_WITH_PARENT)).toBe(true);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runJsonChild', () => {
  it('resolves with the JSON of the last stdout line and passes on each stderr line', async () => {
    const file = await script('ok.mjs', `process.stderr.write('step 1\\nstep'); setTimeout(() => { process.stderr.write(' 2\\n'); console.log('noise'); console.log(JSON.stringify({ args: process.argv.slice(2), cwd: process.cwd() })); }, 20);`);
    const lines: string[] = [];
    const out = await runJsonChild({ script: file, args: ['a', 'b c'], cwd: dir, onStderrLine: (l) => lines.push(l) });
    expect(out).toEqual({ args: ['a', 'b c'], cwd: dir });
    expect(lines).toEqual(['step 1', 'step 2']);
  });

  it('fails with the CLI\'s one-line error, else the exit code and the last stderr line', async () => {
    const cli = await script('cli.mjs', `console.error('working'); console.error('qcb: error: unknown defense "x"'); process.exitCode = 2;`);
    await expect(runJsonChild({ script: cli, args: [], cwd: dir })).rejects.toThrow(/^unknown defense "x"$/);
    const crash = await script('crash.mjs', `console.error('out of memory'); process.exit(3);`);
    await expect(runJsonChild({ script: crash, args: [], cwd: dir })).rejects.toThrow('exited with code 3: out of memory');
    const noJson = await script('nojson.mjs', `console.log('done');`);
    await expect(runJsonChild({ script: noJson, args: [], cwd: dir })).rejects.toThrow(/printed no JSON result/);
  });

  it('kills the process when aborted', async () => {
    const file = await script('forever.mjs', `console.error('started'); setInterval(() => {}, 1000);`);
    const stop = new AbortController();
    const run = runJsonChild({ script: file, args: [], cwd: dir, signal: stop.signal, onStderrLine: () => stop.abort() });
    await expect(run).rejects.toThrow('killed by SIGTERM');
  });

  it('ends the process when the grid that started it dies, even while its main thread is busy', async () => {
    const pidFile = join(dir, 'child.pid');
    const busy = await script('busy.mjs', `
      import { writeFileSync } from 'node:fs';
      writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
      for (;;) {}`);
    const grid = await script('grid.mjs', `
      import { runJsonChild } from ${JSON.stringify(pathToFileURL(join(EXIT_WITH_PARENT, '../child.js')).href)};
      runJsonChild({ script: ${JSON.stringify(busy)}, args: [], cwd: ${JSON.stringify(dir)} }).catch(() => {});`);
    const parent = spawn(process.execPath, [grid], { stdio: 'ignore' });
    await until(() => existsSync(pidFile));
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    await until(() => !alive(pid));
  });
});
