import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const root = resolve(__dirname, '../..');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-cli-attack-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('qcb attack', () => {
  it('writes an infected model whose qcb.json records the attack, trigger and target, and removes its checkpoint', async () => {
    const out = join(dir, 'pq');
    const r = await runCli(['attack', 'pqbackdoor', '--data', 'synthetic', '--bits', '4', '--trigger', 'patch:2@3,3,value=0', '--target', '1', '--epochs', '2', '--option', 'finetuneEpochs=1', '--option', 'batchSize=32', '--out', out]);
    expect(r.stderr).toMatch(/stage1 epoch 2\/2/);
    expect(r.code).toBe(0);
    const sidecar = JSON.parse(await readFile(join(out, 'qcb.json'), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ attack: { name: 'pqbackdoor', bits: [4], options: { epochs: 2, finetuneEpochs: 1 } }, trigger: { type: 'patch', size: 2, row: 3, col: 3, value: 0 }, target: 1 });
    expect(existsSync(`${out}.checkpoint`)).toBe(false);
    const evaluated = JSON.parse((await runCli(['evaluate', '--model', out, '--quantizer', 'academic-w4a4', '--json'])).stdout) as { asr: number | null };
    expect(evaluated.asr).not.toBeNull();
  });

  it('leaves a checkpoint that qcb evaluate measures, trigger and target included, while the run is under way', async () => {
    const out = join(dir, 'stopped');
    const bin = join(root, 'packages/cli/dist/bin.js');
    const args = ['attack', 'badnets', '--data', 'synthetic', '--trigger', 'patch:2@3,3,value=0', '--target', '1', '--epochs', '50', '--out', out];
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, sig) => done(sig)));
    // The second epoch's line: the first epoch's checkpoint is on disk.
    await new Promise<void>((secondEpoch) => {
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (t: string) => {
        err += t;
        if (/epoch 2\/50/.test(err)) secondEpoch();
      });
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(out)).toBe(false);
    const r = await runCli(['evaluate', '--model', `${out}.checkpoint`, '--json']);
    expect(r.code).toBe(0);
    const evaluated = JSON.parse(r.stdout) as { ba: number; asr: number | null };
    expect(evaluated.asr).not.toBeNull();
  }, 120_000);

  it('rejects an unknown attack, a missing clean model, bad bits and unknown options', async () => {
    const unknown = await runCli(['attack', 'trojannn', '--data', 'synthetic', '--out', join(dir, 'x')]);
    expect(unknown.stderr).toMatch(/^qcb: error: unknown attack "trojannn" \(available: compartifact, qu-anti-zation, pqbackdoor, badnets\)\n$/);
    const noModel = await runCli(['attack', 'qu-anti-zation', '--data', 'synthetic', '--out', join(dir, 'x')]);
    expect(noModel.stderr).toMatch(/fine-tunes a clean model: pass --model/);
    expect(noModel.code).toBe(2);
    const bits = await runCli(['attack', 'compartifact', '--data', 'synthetic', '--bits', '3', '--out', join(dir, 'x')]);
    expect(bits.stderr).toMatch(/compartifact takes --bits 8 or 4, got 3/);
    const option = await runCli(['attack', 'badnets', '--data', 'synthetic', '--option', 'speed=9', '--out', join(dir, 'y')]);
    expect(option.stderr).toMatch(/unknown option "speed"/);
    expect(option.code).not.toBe(0);
    const noName = await runCli(['attack', '--data', 'synthetic', '--out', join(dir, 'x')]);
    expect(noName.stderr).toMatch(/name the attack/);
  });
});
