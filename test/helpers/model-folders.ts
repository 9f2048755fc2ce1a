import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GraphBuilder, GraphModel, saveModel, type QcbSidecar } from '@qcb/core';

/** A small conv net with BN, a residual add, pooling and a dense head, saved as a model folder. */
export async function writeTinyModelFolder(dir: string, sidecar: QcbSidecar | null = null): Promise<void> {
  const b = new GraphBuilder('tiny_cnn', [8, 8, 1], { seed: 5 });
  let x = b.input();
  x = b.conv2d(x, { filters: 4, kernelSize: 3, name: 'conv' });
  x = b.batchNorm(x, { name: 'bn' });
  x = b.relu(x, 'relu');
  let y = b.conv2d(x, { filters: 4, kernelSize: 3, useBias: false, name: 'conv_b' });
  y = b.batchNorm(y, { name: 'bn_b' });
  const sum = b.add([x, y], 'add');
  const pooled = b.maxPool(sum, 2, 2, 'valid', 'pool');
  const out = b.dense(b.flatten(pooled, 'flat'), { units: 3, name: 'logits' });
  const model = new GraphModel(b.build(out));
  await saveModel(dir, model, { sidecar });
  model.dispose();
}

/** Rewrites a model folder's model.json through `edit` (to break it on purpose). */
export async function editModelJson(folder: string, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const file = join(folder, 'model.json');
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  await writeFile(file, JSON.stringify(json));
}
