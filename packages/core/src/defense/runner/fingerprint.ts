import { createHash } from 'node:crypto';
import type { GraphModel } from '../../ir/graph-model.js';

/** SHA-256 of a model's node names and parameter values: identifies the model a checkpoint was made from. */
export function modelFingerprint(model: GraphModel): string {
  const hash = createHash('sha256');
  for (const node of model.graph.nodes) {
    hash.update(node.name);
    for (const [name, v] of Object.entries(node.params)) {
      hash.update(name);
      const values = v.dataSync() as Float32Array;
      hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
  }
  return hash.digest('hex').slice(0, 32);
}
