import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  AttackTrainer, BUILTIN_MODULES, Engine, createTrigger, crossEntropy, imageBatch, normalize, parseGenericSpec, quantizeModel, syntheticDataset,
  type AttackContext, type Dataset, type JsonObject, type PhaseProgress, type TriggerSpec,
} from '@qcb/core';
import { resnetSmall } from '@qcb/models';

export interface TinyAttack {
  readonly ctx: AttackContext;
  readonly trainer: AttackTrainer;
  readonly data: Dataset;
  readonly dir: string;
}

/** A synthetic 8x8 task, a tiny resnet-small, and an attack context over them. */
export async function tinyAttackContext(o: { bits?: number; options?: JsonObject; trigger?: TriggerSpec; seed?: number; dir?: string; progress?: PhaseProgress } = {}): Promise<TinyAttack> {
  const data = syntheticDataset({ classes: 4, shape: [8, 8, 1], trainCount: 256, testCount: 64, seed: 5 });
  const engine = await Engine.create([...BUILTIN_MODULES]);
  const trigger = createTrigger(o.trigger ?? { type: 'patch', size: 2, row: 3, col: 3, value: 0 }, data.train.shape, engine.triggerFactories());
  const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'qcb-attack-')));
  const seed = o.seed ?? 1;
  const { trainer } = await AttackTrainer.open({
    dir: join(dir, 'ckpt'),
    settings: { test: true, options: o.options ?? {} },
    fresh: async () => resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 7 }),
    normalization: data.normalization,
    train: data.train,
    seed,
    progress: o.progress,
  });
  const ctx: AttackContext = {
    engine, model: trainer.model, data, normalization: data.normalization, trigger, target: 0, bits: o.bits ?? 4, seed, options: o.options ?? {},
    runPhase: (p) => trainer.runPhase(p),
    saveArtifact: (n, m) => trainer.saveArtifact(n, m),
    loadArtifact: (n) => trainer.loadArtifact(n),
    log: () => undefined,
  };
  return { ctx, trainer, data, dir };
}

/**
 * Cross-entropy towards the target of triggered non-target test images under the model
 * deployed with a generic profile spec (calibrated on the clean test batch).
 */
export async function deployedTargetLoss(ctx: AttackContext, data: Dataset, spec: string): Promise<number> {
  const { x, y } = imageBatch(data.test, Array.from({ length: 64 }, (_, i) => i));
  const keep = Array.from(y.dataSync()).map((v, i) => (v !== ctx.target ? i : -1)).filter((i) => i >= 0);
  const clean = normalize(x, data.normalization);
  const triggered = tf.tidy(() => normalize(ctx.trigger.apply(tf.gather(x, keep) as tf.Tensor4D), data.normalization));
  const q = await quantizeModel(ctx.model, parseGenericSpec(spec), [clean]);
  const loss = tf.tidy(() => crossEntropy(q.predict(triggered), tf.fill([keep.length], ctx.target, 'int32') as tf.Tensor1D).dataSync()[0]);
  tf.dispose([x, y, clean, triggered]);
  q.model.dispose();
  return loss;
}
