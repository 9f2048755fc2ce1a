import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let dir: string;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function expectFigure(out: string, name: string): void {
  const png = readFileSync(join(out, `${name}.png`));
  expect([...png.subarray(0, 8)]).toEqual(PNG_MAGIC);
  expect(png.length).toBeGreaterThan(20_000);
  expect(readFileSync(join(out, `${name}.svg`), 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-cli-report-'));
  // The tiny grid of cli-grid.test.ts: a synthetic infected model, LAC with 5 iterations, two seeds.
  const attack = await runCli(['attack', 'pqbackdoor', '--data', 'synthetic', '--bits', '4', '--trigger', 'patch:2@3,3,value=0', '--epochs', '1', '--option', 'finetuneEpochs=1', '--option', 'batchSize=32', '--option', 'stage1Lr=0.05', '--out', join(dir, 'pq')]);
  expect(attack.code).toBe(0);
  await writeFile(join(dir, 'g.json'), JSON.stringify({ models: ['pq'], quantizers: ['academic-w4a4'], defenses: ['lac', 'lac+pda'], seeds: [0, 1], samples: 32, options: { iterations: 5 } }));
  const grid = await runCli(['grid', '--spec', 'g.json', '--db', 'db/results.db', '--lanes', '2'], dir);
  expect(grid.code).toBe(0);
}, 180_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('qcb report', () => {
  it('writes report.md with the table and the figures of the grid\'s first infected model', async () => {
    const r = await runCli(['report', '--db', 'db/results.db', '--out', 'rep'], dir);
    expect(r.stderr).toMatch(/^report: wrote .*report\.md and neuron-histograms, pda-bn-statistics \(\.svg, \.png\)$/m);
    expect(r.code).toBe(0);
    const md = readFileSync(join(dir, 'rep/report.md'), 'utf8');
    expect(md).toMatch(/^\| Defense \| PQBackdoor 4-bit \|$/m);
    expect(md).toMatch(/^\| No defense \| [\d.]+±[\d.]+ \/ [\d.]+±[\d.]+ \/ – \|$/m);
    expect(md).toMatch(/^\| LAC \| (\*\*)?[\d.]+±[\d.]+ \/ [\d.]+±[\d.]+ \/ [\d.]+(\*\*)? \|$/m);
    expect(md).toMatch(/^\| LAC \+ PDA \| /m);
    expect(md).toContain('over seeds 0, 1');
    expect(md).toContain('![Pre-activations of a backdoor and a benign neuron (Figure 1)](neuron-histograms.png)');
    expect(md).toContain('](pda-bn-statistics.png)');
    // No purified folder given: the drift figure says how to get it.
    expect(md).toMatch(/skipped, no `--defense-model`.*qcb purify --model pq --quantizer academic-w4a4/);
    expectFigure(join(dir, 'rep'), 'neuron-histograms');
    expectFigure(join(dir, 'rep'), 'pda-bn-statistics');
    expect(existsSync(join(dir, 'rep/unit-drift.png'))).toBe(false);
  }, 120_000);

  it('draws the drift before and after the defense from a purified folder', async () => {
    const purify = await runCli(['purify', '--model', 'pq', '--quantizer', 'academic-w4a4', '--defense', 'lac', '--defender-samples', '32', '--option', 'iterations=5', '--out', 'purified'], dir);
    expect(purify.code).toBe(0);
    const r = await runCli(['report', '--db', 'db/results.db', '--out', 'rep2', '--model', 'pq', '--defense-model', 'purified'], dir);
    expect(r.code).toBe(0);
    expectFigure(join(dir, 'rep2'), 'unit-drift');
    const svg = readFileSync(join(dir, 'rep2/unit-drift.svg'), 'utf8');
    for (const text of ['mean KL per neuron (nats)', 'quantized, no defense', 'purified (purified)', 'stem_conv', 'logits']) expect(svg).toContain(text);
    expect(readFileSync(join(dir, 'rep2/report.md'), 'utf8')).toContain('](unit-drift.png)');
  }, 120_000);

  it('writes the table alone with --table-only, and refuses a missing database', async () => {
    const r = await runCli(['report', '--db', 'db/results.db', '--out', 'table', '--table-only'], dir);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'table/report.md'), 'utf8')).not.toContain('## Figures');
    expect(existsSync(join(dir, 'table/neuron-histograms.png'))).toBe(false);
    const missing = await runCli(['report', '--db', 'nope.db', '--out', 'x'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^qcb: error: --db nope\.db: no such file/);
    expect(existsSync(join(dir, 'nope.db'))).toBe(false);
  }, 60_000);
});
