import { GraphModel, fromPortableGraph, type ExtraLossFactory } from '@qcb/core';
import { attentionDistillation, type AttentionDistillationInit } from './distillation.js';

/** A pool worker's copy of NAD's distillation, with its own teacher. */
export const createAttentionDistillation: ExtraLossFactory = (raw) => {
  const init = raw as AttentionDistillationInit;
  const teacher = new GraphModel(fromPortableGraph(init.teacher));
  return { loss: attentionDistillation(teacher, init.layers, init.betas, init.power), dispose: () => teacher.dispose() };
};
