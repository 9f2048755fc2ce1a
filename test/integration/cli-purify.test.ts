import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const root = resolve(__dirname, '../..');
let dir: string;
let infected: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-cli-purify-'));
  infected = join(dir, 'pq');
  const r = await runCli(['attack', 'pqbackdoor', '--data', 'synthetic', '--bits', '4', '--trigger', 'patch:2@3,3,value=0', '--epochs', '4', '--option', 'finetuneEpochs=1', '--option', 'batchSize=32', '--option', 'stage1Lr=0.05', '--out', infected]);
  expect(r.code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('qcb purify', () => {
  it('prints fp / quantized / defended BA and ASR with the DER, and writes the purified quantized model', async () => {
    const out = join(dir, 'purified');
    const r = await runCli(['purify', '--model', infected, '--quantizer', 'academic-w4a4', '--defense', 'lac', '--augment', 'pda', '--iterations', '40', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, { ba: number; asr: number | null }> & { der: number; seconds: number };
    expect(Object.keys(report)).toEqual(['fp', 'quantized', 'defended', 'der', 'seconds', 'threads']);
    for (const k of ['fp', 'quantized', 'defended']) {
      expect(report[k].ba).toBeGreaterThanOrEqual(0);
      expect(report[k].asr).not.toBeNull();
    }
    expect(report.der).toBeGreaterThanOrEqual(0);
    expect(report.der).toBeLessThanOrEqual(100);
    expect(r.stderr).toMatch(/unit 1\/\d+ stem_conv \[#+\] 40\/40/);
    expect(JSON.parse(await readFile(join(out, 'quant.json'), 'utf8'))).toMatchObject({ profile: 'academic-w4a4' });
    expect(existsSync(`${out}.checkpoint`)).toBe(false);
    // The written folder evaluates to the defended figures.
    const again = JSON.parse((await runCli(['evaluate', '--model', out, '--json'])).stdout) as { ba: number; asr: number };
    expect(again.ba).toBe(report['defended'].ba);
    expect(again.asr).toBe(report['defended'].asr);

    const table = await runCli(['purify', '--model', infected, '--defense', 'lac', '--iterations', '5', '--defender-samples', '64', '--out', join(dir, 'p2')]);
    expect(table.stdout).toMatch(/^model +BA % +ASR %\nfull precision +[\d.]+ +[\d.]+\nquantized, no defense +[\d.]+ +[\d.]+\nlac +[\d.]+ +[\d.]+\nDER [\d.]+%/);
  });

  it('calibrates the quantized model on the defender\'s share (--defender-share)', async () => {
    const activations = async (folder: string): Promise<unknown> => (JSON.parse(await readFile(join(folder, 'quant.json'), 'utf8')) as { activations: unknown }).activations;
    const q = join(dir, 'share-q');
    expect((await runCli(['quantize', '--model', infected, '--quantizer', 'academic-w4a4', '--out', q])).code).toBe(0);
    const run = async (name: string, share: string[]): Promise<unknown> => {
      const r = await runCli(['purify', '--model', infected, '--defense', 'lac', '--iterations', '1', '--defender-samples', '32', ...share, '--out', join(dir, name)]);
      expect(r.code).toBe(0);
      return activations(join(dir, name));
    };
    // LAC corrects weights only, so the activation grids are the calibration's.
    expect(await run('share-default', [])).toEqual(await activations(q));
    expect(await run('share-small', ['--defender-share', '0.01'])).not.toEqual(await activations(q));
  });

  it('in the built binary, evaluates the two baselines on a worker thread, to the same figures', async () => {
    const args = ['purify', '--model', infected, '--quantizer', 'academic-w4a4', '--defense', 'lac', '--iterations', '5', '--defender-samples', '64', '--json'];
    const inline = JSON.parse((await runCli([...args, '--out', join(dir, 'inline')])).stdout) as Record<string, unknown>;
    const bin = spawnSync(process.execPath, [join(root, 'packages/cli/dist/bin.js'), ...args, '--out', join(dir, 'worker')], { encoding: 'utf8' });
    expect(bin.status).toBe(0);
    expect(bin.stderr).toMatch(/beside the defense/);
    const worker = JSON.parse(bin.stdout) as Record<string, unknown>;
    for (const k of ['fp', 'quantized', 'defended']) expect(worker[k]).toEqual(inline[k]);
    // A failing defense ends the worker too: the process exits, nothing written.
    const bad = spawnSync(process.execPath, [join(root, 'packages/cli/dist/bin.js'), ...args, '--augment', 'pda', '--option', 'pda.gammaSteps=abc', '--out', join(dir, 'bad')], { encoding: 'utf8', timeout: 50_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/gammaSteps/);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it('rejects an unknown defense or augmentation, a bad preset and an already quantized model', async () => {
    const out = join(dir, 'x');
    expect((await runCli(['purify', '--model', infected, '--defense', 'nope', '--out', out])).stderr).toMatch(/unknown defense "nope" \(available: lac, ft, ft-sam, nad, fine-pruning, mcr, ibau, efrap\)/);
    expect((await runCli(['purify', '--model', infected, '--defense', 'lac', '--augment', 'mixup', '--out', out])).stderr).toMatch(/unknown augmentation "mixup" \(available: pda, equalize\)/);
    expect((await runCli(['purify', '--model', infected, '--defense', 'lac', '--preset', 'slow', '--out', out])).stderr).toMatch(/--preset must be fast or paper/);
    expect((await runCli(['purify', '--model', infected, '--defense', 'lac', '--defender-samples', '0', '--out', out])).stderr).toMatch(/--defender-samples must be an integer >= 1, got "0"/);
    const typo = await runCli(['purify', '--model', infected, '--defense', 'lac', '--augment', 'pda', '--option', 'patince=8', '--out', out]);
    expect(typo.stderr).toMatch(/unknown option "patince" \(options: iterations, batchSize, lr, evalEvery, patience, restarts, quantizeOutput, channelShiftSteps, pda.steps, pda.stepSize, pda.gamma, pda.gammaSteps\)/);
    expect(typo.code).toBe(2);
    expect((await runCli(['purify', '--model', infected, '--defense', 'lac', '--option', 'pda.gamma=0.01', '--out', out])).stderr).toMatch(/unknown option "pda.gamma"/);
    const q = join(dir, 'q');
    expect((await runCli(['quantize', '--model', infected, '--quantizer', 'academic-w4a4', '--out', q])).code).toBe(0);
    const twice = await runCli(['purify', '--model', q, '--defense', 'lac', '--out', out]);
    expect(twice.stderr).toMatch(/already quantized/);
    expect(twice.code).toBe(2);
  });
});
