import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FASHION_MNIST_DIR } from '@qcb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-cli-train-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An IDX file: magic (0, 0, 0x08 unsigned byte, rank), big-endian dims, data. */
function idx(dims: number[], data: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

async function fashionMnistFolder(name: string, labels: number[], imageBytes?: Buffer): Promise<string> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  const n = labels.length;
  const images = imageBytes ?? idx([n, 28, 28], new Array(n * 784).fill(7));
  for (const split of ['train', 't10k']) {
    await writeFile(join(d, `${split}-images-idx3-ubyte.gz`), gzipSync(images));
    await writeFile(join(d, `${split}-labels-idx1-ubyte.gz`), gzipSync(idx([n], labels)));
  }
  return d;
}

function oneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('qcb: error:'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('qcb train and qcb evaluate', () => {
  it('train writes a model folder with qcb.json; evaluate reports BA, and ASR once a trigger is named', async () => {
    const out = join(dir, 'model');
    const r = await runCli(['train', '--data', 'synthetic', '--epochs', '6', '--batch-size', '32', '--out', out, '--augment', 'none']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*model: test accuracy \d+\.\d\d% after 6 epochs/);
    expect(r.stderr).toMatch(/epoch 6\/6 \[#+\] 8\/8 .* test accuracy/);
    const sidecar = JSON.parse(await readFile(join(out, 'qcb.json'), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ version: 1, dataset: 'synthetic', inputShape: [8, 8, 1], classes: 4, normalization: { mean: [0.5], std: [0.25] } });

    const clean = await runCli(['evaluate', '--model', out, '--json']);
    expect(clean.code).toBe(0);
    const result = JSON.parse(clean.stdout) as { ba: number; asr: number | null; n: number };
    expect(result.asr).toBeNull();
    expect(result.n).toBe(64);
    expect(result.ba).toBeGreaterThan(80);

    await writeFile(join(out, 'qcb.json'), JSON.stringify({ ...sidecar, trigger: { type: 'patch', size: 3 }, target: 1 }));
    const attacked = JSON.parse((await runCli(['evaluate', '--model', out, '--json'])).stdout) as { asr: number };
    expect(attacked.asr).toBeGreaterThanOrEqual(0);
    expect(attacked.asr).toBeLessThanOrEqual(100);
  });

  it('rejects bad numeric options', async () => {
    const r = await runCli(['train', '--data', 'synthetic', '--epochs', 'two', '--out', join(dir, 'x')]);
    oneLineError(r, /--epochs must be an integer >= 1, got "two"/);
    expect(r.code).toBe(2);
  });
});

describe('bad data gets a one-line error and a non-zero exit', () => {
  it('a dataset folder that does not exist', async () => {
    oneLineError(await runCli(['train', '--data', 'fashion-mnist', '--data-dir', join(dir, 'nope'), '--out', join(dir, 'x')]), /nope/);
    oneLineError(await runCli(['train', '--data', 'cifar10', '--data-dir', join(dir, 'nope'), '--out', join(dir, 'x')]), /nope/);
  });

  it('a folder of IDX files that are not Fashion-MNIST', async () => {
    const d = await fashionMnistFolder('other', [0, 1], Buffer.from('not an idx file at all'));
    oneLineError(
      await runCli(['train', '--data', 'fashion-mnist', '--data-dir', d, '--out', join(dir, 'x')]),
      /other\/train-images-idx3-ubyte\.gz is not the original Fashion-MNIST train-images-idx3-ubyte: truncated or altered/,
    );
  });

  it('a copy of the shipped Fashion-MNIST with one byte changed, or cut short', async () => {
    const altered = join(dir, 'altered');
    await cp(FASHION_MNIST_DIR, altered, { recursive: true });
    const images = join(altered, 't10k-images-idx3-ubyte');
    const plain = gunzipSync(await readFile(`${images}.gz`));
    plain[5000] ^= 1;
    await rm(`${images}.gz`);
    await writeFile(images, plain);
    const model = join(dir, 'never-written');
    oneLineError(
      await runCli(['train', '--data', 'fashion-mnist', '--data-dir', altered, '--out', model]),
      /altered\/t10k-images-idx3-ubyte is not the original Fashion-MNIST t10k-images-idx3-ubyte: truncated or altered/,
    );
    const cut = join(dir, 'cut');
    await cp(FASHION_MNIST_DIR, cut, { recursive: true });
    await truncate(join(cut, 'train-images-idx3-ubyte.gz'), 1_000_000);
    oneLineError(
      await runCli(['train', '--data', 'fashion-mnist', '--data-dir', cut, '--out', model]),
      /cut\/train-images-idx3-ubyte\.gz could not be gunzipped \(truncated or altered\?\)/,
    );
    expect(existsSync(model)).toBe(false);
  });

  it('a corrupt CIFAR-10 file', async () => {
    const d = join(dir, 'cifar');
    await mkdir(d, { recursive: true });
    for (const f of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
      await writeFile(join(d, `${f}.bin`), Buffer.alloc(3073 + 5));
    }
    oneLineError(await runCli(['train', '--data', 'cifar10', '--data-dir', d, '--out', join(dir, 'x')]), /3073/);
  });

  it('an unknown dataset name', async () => {
    oneLineError(await runCli(['train', '--data', 'imagenet', '--out', join(dir, 'x')]), /imagenet/);
  });
});
