import { parseArgs } from 'node:util';
import { stepTimes } from './training-step.js';

// One configuration of the training-step timing in a process of its own (training-step.ts
// starts it): `--threads N --batch B --warmup W --steps S [--width K]`; prints one JSON line,
// the StepSample of those steps.
const { values } = parseArgs({ options: { threads: { type: 'string' }, batch: { type: 'string' }, warmup: { type: 'string' }, steps: { type: 'string' }, width: { type: 'string', default: '1' } } });
const sample = await stepTimes(Number(values.batch), Number(values.threads), Number(values.warmup), Number(values.steps), Number(values.width));
process.stdout.write(`${JSON.stringify(sample)}\n`);
