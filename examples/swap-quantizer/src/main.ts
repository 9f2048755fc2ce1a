#!/usr/bin/env node
import 'reflect-metadata';
import { initBackend } from '@qcb/core';
import { DEFAULT_PROFILES, formatTable, runSwapQuantizer } from './index.js';

const [modelDir = 'test/fixtures/models/clean', ...profiles] = process.argv.slice(2);
try {
  await initBackend('auto');
  const rows = await runSwapQuantizer(modelDir, profiles.length > 0 ? profiles : DEFAULT_PROFILES);
  process.stdout.write(`${formatTable(rows)}\n`);
} catch (e) {
  process.stderr.write(`swap-quantizer: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
