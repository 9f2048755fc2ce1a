import { QcbError } from '../../errors.js';
import { cloneGraph } from '../../ir/clone-graph.js';
import { GraphModel } from '../../ir/graph-model.js';
import type { DefenseContext } from '../defense-plugin.js';
import type { TrainingResume } from './spec.js';

/**
 * Where an interrupted run of a training defense stopped (null: start over). Its phase
 * must be one of `phases`: a checkpoint of another defense is an error, not a silent restart.
 */
export async function loadTrainingResume(ctx: DefenseContext, phases: readonly string[]): Promise<TrainingResume | null> {
  const saved = await ctx.checkpoint.load();
  if (!saved) return null;
  const phase = saved.state?.['phase'];
  const epoch = saved.state?.['epoch'];
  if (typeof phase !== 'string' || !phases.includes(phase) || typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 0) {
    saved.model.dispose();
    throw new QcbError('E_USAGE', `the checkpoint holds no training phase of this defense (phase ${JSON.stringify(phase ?? null)}, expected ${phases.join(' or ')}): delete it to start over`);
  }
  return { phase, epoch, done: saved.done, model: saved.model, slots: saved.slots ?? [] };
}

/** The model a phase trains: the checkpoint's when the run resumes in that phase, else a fresh copy of `from`. */
export function phaseModel(resume: TrainingResume | null, phase: string, from: GraphModel): GraphModel {
  return resume?.phase === phase ? resume.model : new GraphModel(cloneGraph(from.graph));
}
