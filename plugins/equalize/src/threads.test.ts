import { Engine, purify, setRunThreads, syntheticDataset, type UnitReport } from '@qcb/core';
import lacModule from '@qcb/defense-lac';
import { resnetSmall } from '@qcb/models';
import academicW8a8 from '@qcb/quantizer-academic-w8a8';
import { describe, expect, it } from 'vitest';
import { useThreads } from '../../../test/helpers/threads.js';
import equalizeModule from './index.js';
import { scaleChannel } from './scale-channel.js';

// LAC's steps run on the pool's workers with --threads 2 (they run dist/, which pnpm test builds first).
useThreads();

const data = syntheticDataset({ classes: 4, shape: [8, 8, 1], trainCount: 400, testCount: 64, seed: 5 });

/** LAC's unit reports on the equalized outlier model, on `threads` threads. */
async function unitReports(threads: number): Promise<UnitReport[]> {
  setRunThreads(threads);
  const fp = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [16, 16, 16], seed: 2 });
  const params = fp.node('stage1_block1_bn1').params;
  scaleChannel(params['gamma'], 0, 3, 32);
  scaleChannel(params['beta'], 0, 3, 32);
  const engine = await Engine.create([academicW8a8, equalizeModule, lacModule]);
  const reports: UnitReport[] = [];
  engine.hooks.defense.run.tap('test', (run) => run.hooks.calibration.unitDone.tapPromise('test', async (_u, r) => void reports.push(r)));
  const outcome = await purify({
    engine, model: fp, quantizer: 'academic-w8a8', defense: 'lac', augmentations: ['equalize'], data, baselineWorker: false,
    options: { iterations: 4, evalEvery: 2, patience: 0 },
  });
  outcome.dispose();
  fp.dispose();
  return reports;
}

describe('equalize with LAC on two threads', () => {
  it('gives the workers the equalized model: every unit starts from the loss one thread measures', async () => {
    const one = await unitReports(1);
    const two = await unitReports(2);
    expect(two).toHaveLength(one.length);
    // Nearest rounding (alpha = 0) scored on the whole cache: the same model and cache, summed in another order.
    two.forEach((r, i) => expect(r.initialLoss!).toBeCloseTo(one[i].initialLoss!, 5));
  });
});
