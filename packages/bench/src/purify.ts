import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PurifyTiming {
  readonly preset: 'fast' | 'paper';
  readonly seconds: number;
  readonly report: { fp: { ba: number; asr: number | null }; quantized: { ba: number; asr: number | null }; defended: { ba: number; asr: number | null }; der: number | null };
}

const root = resolve(fileURLToPath(import.meta.url), '../../../..');

/** Wall time of `qcb purify` (LAC + PDA, academic-w4a4) on a fixture, for one preset. */
export function timePurify(fixture: string, preset: 'fast' | 'paper'): PurifyTiming | null {
  const model = join(root, fixture);
  if (!existsSync(model)) return null;
  const out = mkdtempSync(join(tmpdir(), 'qcb-bench-purify-'));
  try {
    const started = performance.now();
    const r = spawnSync(process.execPath, [
      join(root, 'packages/cli/dist/bin.js'), 'purify', '--model', model, '--quantizer', 'academic-w4a4',
      '--defense', 'lac', '--augment', 'pda', '--preset', preset, '--out', join(out, 'purified'), '--json',
    ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    const seconds = (performance.now() - started) / 1000;
    if (r.status !== 0) throw new Error(`qcb purify --preset ${preset} failed (exit ${r.status})`);
    return { preset, seconds, report: JSON.parse(r.stdout) as PurifyTiming['report'] };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
