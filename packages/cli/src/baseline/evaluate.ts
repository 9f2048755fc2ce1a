import type { Engine } from '@qcb/core';
import { evaluateSubject } from '../commands/evaluate.js';
import type { CliIO } from '../io.js';
import type { Subject } from '../subject.js';
import type { Baselines } from './protocol.js';

/** BA / ASR of the subject's full-precision model and of its quantized model without defense. */
export function evaluateBaselines(subject: Subject, engine: Engine, io: CliIO): Baselines {
  return {
    fp: evaluateSubject({ ...subject, forward: (x) => subject.model.predict(x) }, engine, io, 256, 'evaluating fp'),
    quantized: evaluateSubject(subject, engine, io, 256, 'evaluating quantized'),
  };
}
