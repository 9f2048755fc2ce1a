import {
  QcbError, loadTrainingResume, phaseModel, trainDefense, type DefenseContext, type DefenseDefinition, type GraphModel,
} from '@qcb/core';
import { attentionDistillation } from './distillation.js';
import { NAD_FAST, nadSchedule, resolveNadOptions, type NadOptions } from './options.js';
import { stageEnds } from './stage-ends.js';

export const NAD_PHASES = ['teacher', 'student'] as const;

/** The distilled layers and their betas: `layers`, or the ends of the last stages with the last betas. */
export function nadLayers(model: GraphModel, o: Pick<NadOptions, 'layers' | 'betas'>): { layers: string[]; betas: number[] } {
  if (o.layers) {
    const layers = o.layers.split(',').map((l) => l.trim());
    for (const l of layers) model.node(l);
    return { layers, betas: [...o.betas] };
  }
  const ends = stageEnds(model);
  if (ends.length === 0) throw new QcbError('E_USAGE', `nad: graph "${model.graph.name}" has no convolutional feature map to distil (name them with --option layers=...)`);
  const count = Math.min(ends.length, o.betas.length);
  return { layers: ends.slice(-count), betas: o.betas.slice(-count) };
}

/**
 * Neural attention distillation (Li et al., ICLR 2021; the paper's NAD baseline, from
 * BackdoorBox): a teacher fine-tuned briefly on the defender's labelled share, then the
 * student (the model itself) trained with cross-entropy plus beta x the attention loss to
 * the teacher at the ends of the last three stages. Checkpoints in both phases; a run
 * resumed in the student phase fine-tunes the teacher again (deterministic: the same
 * teacher) without checkpointing it.
 */
export function createNad(): DefenseDefinition {
  return {
    operatesOn: 'full-precision',
    optionKeys: Object.keys(NAD_FAST),
    async run(ctx: DefenseContext): Promise<GraphModel> {
      const o = resolveNadOptions(ctx.preset, ctx.options);
      const { layers, betas } = nadLayers(ctx.fp, o);
      const resume = await loadTrainingResume(ctx, NAD_PHASES);
      const common = { defense: 'nad', ...(o.batchSize > 0 ? { batchSize: o.batchSize } : {}), optimizer: { type: 'sgd' as const, momentum: o.momentum, weightDecay: o.weightDecay } };
      let student: GraphModel | null = resume?.phase === 'student' ? resume.model : null;
      const teacher = phaseModel(resume, 'teacher', ctx.fp);
      try {
        await trainDefense(ctx, teacher, {
          ...common, phase: 'teacher', epochs: o.teacherEpochs, schedule: nadSchedule(o.teacherSchedule, o.teacherLr),
          resume, checkpoints: resume?.phase !== 'student',
        });
        student ??= phaseModel(null, 'student', ctx.fp);
        await trainDefense(ctx, student, {
          ...common, phase: 'student', epochs: o.epochs, epochOffset: o.teacherEpochs, schedule: nadSchedule(o.schedule, o.lr),
          extraLoss: attentionDistillation(teacher, layers, betas, o.power), resume,
        });
      } catch (e) {
        student?.dispose();
        throw e;
      } finally {
        teacher.dispose();
      }
      return student;
    },
  };
}
