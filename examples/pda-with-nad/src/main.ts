#!/usr/bin/env node
import 'reflect-metadata';
import { initBackend } from '@qcb/core';
import { formatRows, runPdaWithNad } from './index.js';

const [modelDir = 'test/fixtures/models/pqbackdoor-w4', seed = '0'] = process.argv.slice(2);
try {
  await initBackend('auto');
  process.stderr.write(`NAD and NAD + PDA on ${modelDir} (academic-w4a4, fast preset, seed ${seed}): a few minutes each\n`);
  const rows = await runPdaWithNad(modelDir, { seed: Number(seed), onRow: (r) => process.stderr.write(`${r.defense}: done in ${r.report.seconds.toFixed(0)} s\n`) });
  process.stdout.write(`${formatRows(rows)}\n`);
} catch (e) {
  process.stderr.write(`pda-with-nad: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
