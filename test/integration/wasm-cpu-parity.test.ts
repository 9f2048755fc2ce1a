import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, initBackend, type BackendChoice } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { describe, expect, it } from 'vitest';

/** Gradients of one resnet-small training loss on a backend, by `node/param`. */
async function gradients(backend: BackendChoice): Promise<Map<string, Float32Array>> {
  await initBackend(backend);
  const model = resnetSmall({ seed: 3 });
  const out = new Map<string, Float32Array>();
  tf.tidy(() => {
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 1);
    const y = tf.tensor1d([1, 2, 3, 4], 'int32');
    const { grads } = tf.variableGrads(() => crossEntropy(model.predict(x, { training: true, updateStats: false }), y), model.variables());
    for (const node of model.graph.nodes) {
      for (const [p, v] of Object.entries(node.params)) if (grads[v.name]) out.set(`${node.name}/${p}`, grads[v.name].dataSync() as Float32Array);
    }
  });
  model.dispose();
  return out;
}

describe('training on wasm with qcb kernels', () => {
  it('gives the cpu backend gradients for every parameter of resnet-small', async () => {
    const cpu = await gradients('cpu');
    const wasm = await gradients('wasm');
    expect([...wasm.keys()]).toEqual([...cpu.keys()]);
    expect(cpu.size).toBe(29);
    for (const [key, expected] of cpu) {
      const actual = wasm.get(key)!;
      const scale = Math.max(...expected.map(Math.abs));
      const diff = Math.max(...expected.map((e, i) => Math.abs(e - actual[i])));
      expect(diff / scale, key).toBeLessThan(1e-3);
    }
  });
});
