import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import 'reflect-metadata';
import { BUILTIN_MODULES, Engine, loadDataset, loadModel, purify, setRunThreads, type DefenseProgress, type Preset, type PurifyReport } from '@qcb/core';
import { DEFAULT_PLUGINS } from '@qcb/cli';

/** One purification to time: a defense, its augmentations and a preset. */
export interface PurifyCase {
  readonly defense: string;
  readonly augmentations: readonly string[];
  readonly preset: Preset;
}

export interface PurifyTiming {
  readonly case: PurifyCase;
  readonly threads: number;
  /** The whole run: quantization, the defense and the three evaluations. */
  readonly seconds: number;
  /** The defense alone: from the end of this thread's last evaluation before it (or the run's start) to the defended model's evaluation. */
  readonly defenseSeconds: number;
  readonly report: PurifyReport;
}

const DEFENDED = 'evaluating defended';

/** Times the defense inside a run from its progress stages (evaluation stages are labelled `evaluating ...`). */
function defenseClock(started: number): { progress: DefenseProgress; seconds(): number } {
  let from = started;
  let to = NaN;
  let label = '';
  let inDefense = false;
  return {
    progress: {
      stage: (l) => {
        label = l;
        if (l === DEFENDED) to = performance.now();
        else if (!l.startsWith('evaluating')) inDefense = true;
      },
      step: () => undefined,
      stageDone: () => {
        if (!inDefense && label.startsWith('evaluating')) from = performance.now();
      },
    },
    seconds: () => ((Number.isNaN(to) ? performance.now() : to) - from) / 1000,
  };
}

const root = resolve(fileURLToPath(import.meta.url), '../../../..');

/**
 * Parses `--purify`: comma-separated `defense[+augmentation...][@preset]` (preset default
 * fast); a bare `fast` or `paper` means LAC + PDA with that preset.
 */
export function parsePurifyCases(spec: string): PurifyCase[] {
  return spec.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
    if (item === 'fast' || item === 'paper') return { defense: 'lac', augmentations: ['pda'], preset: item };
    const [names, preset = 'fast'] = item.split('@');
    if (preset !== 'fast' && preset !== 'paper') throw new Error(`--purify: preset must be fast or paper in "${item}"`);
    const [defense, ...augmentations] = names.split('+');
    return { defense, augmentations, preset };
  });
}

export function caseLabel(c: PurifyCase): string {
  return `${[c.defense, ...c.augmentations].join(' + ')} (${c.preset})`;
}

/**
 * Wall time of the purification runner on a fixture (relative to the repository, or absolute)
 * under a profile (academic-w4a4 by default), one case at a time,
 * each with every thread count of `threads` in turn (--threads: 1 puts everything on this
 * thread, the baselines included); false when the fixture is missing.
 */
export async function timePurify(
  fixture: string, cases: readonly PurifyCase[], threads: readonly number[], onCase: (t: PurifyTiming) => void, quantizer = 'academic-w4a4',
): Promise<boolean> {
  const dir = resolve(root, fixture);
  if (!existsSync(dir)) return false;
  const engine = await Engine.create([...BUILTIN_MODULES, ...DEFAULT_PLUGINS]);
  const { model, sidecar } = await loadModel(dir);
  try {
    const data = await loadDataset(sidecar?.dataset ?? 'fashion-mnist');
    for (const c of cases) for (const n of threads) {
      setRunThreads(n);
      const started = performance.now();
      const clock = defenseClock(started);
      const outcome = await purify({
        engine, model, quantizer, defense: c.defense, augmentations: c.augmentations, preset: c.preset,
        data, normalization: sidecar?.normalization ?? data.normalization, sidecar, progress: clock.progress,
      });
      const seconds = (performance.now() - started) / 1000;
      outcome.dispose();
      onCase({ case: c, threads: n, seconds, defenseSeconds: clock.seconds(), report: outcome.report });
    }
  } finally {
    model.dispose();
  }
  return true;
}
