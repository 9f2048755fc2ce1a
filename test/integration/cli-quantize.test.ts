import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { loadLayersModel } from '../helpers/tfjs-layers.js';

let dir: string;
let fp: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-cli-quant-'));
  fp = join(dir, 'fp');
  const r = await runCli(['train', '--data', 'synthetic', '--epochs', '4', '--batch-size', '32', '--out', fp]);
  expect(r.code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function distinctPerChannel(values: Float32Array, channels: number): number[] {
  return Array.from({ length: channels }, (_, c) => {
    const s = new Set<number>();
    for (let i = c; i < values.length; i += channels) s.add(values[i]);
    return s.size;
  });
}

describe('qcb quantize', () => {
  it('writes weights on the grid (16 levels per channel inside, 256 at the ends) that evaluate exactly as on-the-fly quantization', async () => {
    const out = join(dir, 'w4a4');
    const r = await runCli(['quantize', '--model', fp, '--quantizer', 'academic-w4a4', '--out', out]);
    expect(r.code).toBe(0);
    const quant = JSON.parse(await readFile(join(out, 'quant.json'), 'utf8')) as { profile: string; weights: Record<string, { bits: number }>; activations: Record<string, { bits: number }> };
    expect(quant.profile).toBe('academic-w4a4');

    // Plain tfjs-layers loads the folder; the kernels hold few distinct values.
    const layers = await loadLayersModel(out);
    const kernels = layers.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName()));
    expect(kernels.length).toBe(Object.keys(quant.weights).length);
    kernels.forEach((layer, i) => {
      const w = layer.getWeights()[0];
      const edge = i === 0 || i === kernels.length - 1;
      const counts = distinctPerChannel(w.dataSync() as Float32Array, w.shape[w.shape.length - 1]!);
      expect(Math.max(...counts)).toBeLessThanOrEqual(edge ? 256 : 16);
      expect(quant.weights[layer.name].bits).toBe(edge ? 8 : 4);
    });
    layers.dispose();

    const fromFolder = JSON.parse((await runCli(['evaluate', '--model', out, '--json'])).stdout) as { ba: number };
    const onTheFly = JSON.parse((await runCli(['evaluate', '--model', fp, '--quantizer', 'academic-w4a4', '--json'])).stdout) as { ba: number };
    expect(fromFolder).toEqual(onTheFly);
  });

  it('takes generic specs and rejects unknown profiles and double quantization', async () => {
    const generic = await runCli(['evaluate', '--model', fp, '--quantizer', 'uniform:w4a8,per-channel,asym,mse', '--json']);
    expect(generic.code).toBe(0);
    const unknown = await runCli(['evaluate', '--model', fp, '--quantizer', 'tpu-int4']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^qcb: error: unknown quantizer "tpu-int4" \(available: academic-w4a4, academic-w8a8, tflite-int8, pytorch-fbgemm, pytorch-qnnpack\)\n$/);
    const twice = await runCli(['quantize', '--model', join(dir, 'w4a4'), '--quantizer', 'academic-w8a8', '--out', join(dir, 'x')]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/already quantized \(academic-w4a4\)/);
  });
});
