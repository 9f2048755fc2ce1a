import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');
const qcb = (args: string[]) => spawnSync(process.execPath, [join(root, 'packages/cli/dist/bin.js'), ...args], { encoding: 'utf8', cwd: root });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-custom-defense-'));
  const trained = qcb(['train', '--data', 'synthetic', '--epochs', '3', '--batch-size', '32', '--out', join(dir, 'fp')]);
  expect(trained.status).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a user-authored defense plugin', () => {
  it('registers through DI and runs through qcb purify --plugin', () => {
    const plugin = join(root, 'examples/custom-defense/dist/index.js');
    const listed = qcb(['plugins', '--json', '--plugin', plugin]);
    expect((JSON.parse(listed.stdout) as { defenses: string[] }).defenses).toContain('lac-l1');
    const r = qcb(['purify', '--plugin', plugin, '--defense', 'lac-l1', '--model', join(dir, 'fp'), '--quantizer', 'academic-w4a4', '--iterations', '20', '--out', join(dir, 'purified'), '--json']);
    expect(r.stderr).toMatch(/unit 1\/\d+ stem_conv/);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { defended: { ba: number }; quantized: { ba: number } };
    expect(report.defended.ba).toBeGreaterThan(0);
  });
});
