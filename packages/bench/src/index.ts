import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { forwardConvRate } from './conv-rate.js';
import { fmt } from './timing.js';
import { trainingStepTime } from './training-step.js';
import { reportTrainingStep } from './step-report.js';
import { caseLabel, parsePurifyCases, timePurify, type PurifyTiming } from './purify.js';

/**
 * `pnpm bench`: speed figures measured in one run, printed with their ratios.
 * Options: --batch N (32), --threads N (every core: the "all cores" figures), --wasm-steps N
 * (20, medians), --wasm-warmup N (100 untimed steps first in each timing process: a two-thread step settles after 30-60), --cpu-steps N (1; 0 skips the cpu backend), --torch-steps N (20; 0 skips
 * PyTorch, which runs only where python3 imports torch), --purify <cases> (purifications
 * timed on the pqbackdoor-w4 fixture under academic-w4a4, each on one thread and on all:
 * comma-separated `defense[+augmentation...][@preset]`, `fast` and `paper` meaning LAC + PDA;
 * default `fast,ft,ft-sam,nad`; '' skips), --train-batch N (128: the step again at the batch of
 * qcb train, the attacks and the training defenses; 0 skips), --wide K (4; 0 skips), --wide-fixture <dir>.
 */
/** The training defenses whose fast preset is sized to run in at most 3 minutes on the fixture. */
const TRAINING_DEFENSES = new Set(['ft', 'ft-sam', 'nad']);

/** One purification's line: case, threads, seconds (the defense alone too) and the defended figures. */
function timingLine(t: PurifyTiming): string {
  const d = t.report.defended;
  return `  ${caseLabel(t.case).padEnd(24)} ${String(t.threads).padStart(2)} thr  ${fmt(t.seconds, 4)} s (defense ${fmt(t.defenseSeconds, 4)} s)   defended BA ${d.ba.toFixed(2)}%  ASR ${d.asr?.toFixed(2) ?? 'n/a'}%  DER ${t.report.der?.toFixed(2) ?? 'n/a'}%`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      batch: { type: 'string', default: '32' },
      threads: { type: 'string', default: String(availableParallelism()) },
      'wasm-steps': { type: 'string', default: '20' },
      'wasm-warmup': { type: 'string', default: '100' },
      'cpu-steps': { type: 'string', default: '1' },
      'torch-steps': { type: 'string', default: '20' },
      purify: { type: 'string', default: 'fast,ft,ft-sam,nad' },
      wide: { type: 'string', default: '4' },
      'train-batch': { type: 'string', default: '128' },
      'wide-fixture': { type: 'string' },
    },
  });
  const batch = Number(values.batch);
  const threads = Number(values.threads);
  const wasmSteps = Number(values['wasm-steps']);
  const wasmWarmup = Number(values['wasm-warmup']);
  const cpuSteps = Number(values['cpu-steps']);
  const torchSteps = Number(values['torch-steps']);
  const wide = Number(values.wide);
  const trainBatch = Number(values['train-batch']);
  const log = (s: string): void => void process.stdout.write(`${s}\n`);

  log(`qcb bench - node ${process.version}, batch ${batch}, ${threads} threads for "all cores", load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  const rate = await forwardConvRate(batch, 50, 5);
  log('forward conv2d on wasm, resnet-small shapes (median of 50 calls after 5, FLOPs checked against tfjs output shapes):');
  for (const s of rate.shapes) {
    log(`  ${s.node.padEnd(26)} in [${s.input.join('x')}] k [${s.kernel.join('x')}] s${s.strides[0]}  ${fmt(s.seconds * 1e3)} ms  ${fmt(s.gflops)} GFLOP/s`);
  }
  log(`  all convs: ${fmt(rate.gflops)} GFLOP/s\n`);

  // The step's figures (and the PyTorch and cpu ratios to them); --wasm-steps 0 skips them all.
  if (wasmSteps > 0) {
    const settings = { threads, steps: wasmSteps, warmup: wasmWarmup, torchSteps, log };
    const one = await reportTrainingStep(batch, rate, settings, wide);
    if (cpuSteps > 0) {
      process.stderr.write(`timing ${cpuSteps + 1} steps on the cpu backend (about a minute each)...\n`);
      const cpu = await trainingStepTime('cpu', batch, cpuSteps, 1);
      log(`  cpu backend, 1 thread      ${fmt(cpu.seconds)} s/step   (loss ${fmt(cpu.loss)})`);
      log(`  wasm speed-up over cpu     ${fmt(cpu.seconds / one.seconds)}x   (target >= 50x)`);
    }
    if (trainBatch > 0 && trainBatch !== batch) {
      log(`\nthe same at --train-batch ${trainBatch} (qcb train, the attacks and FT, fine-pruning and MCR train at 128):`);
      await reportTrainingStep(trainBatch, rate, settings, 0);
    }
  } else {
    log('training step: skipped (--wasm-steps 0)');
  }
  const cases = parsePurifyCases(values.purify ?? '');
  if (cases.length > 0) {
    const fixture = 'test/fixtures/models/pqbackdoor-w4';
    log(`\npurification runner, academic-w4a4, ${fixture}:`);
    const timings: PurifyTiming[] = [];
    const counts = threads > 1 ? [1, threads] : [1];
    const found = await timePurify(fixture, cases, counts, (t) => {
      timings.push(t);
      log(timingLine(t));
      if (t.threads === 1 && t.case.preset === 'fast' && TRAINING_DEFENSES.has(t.case.defense)) {
        log(`  ${''.padEnd(24)} the defense ${t.defenseSeconds <= 180 ? 'within' : 'over'} the 3 minutes a training defense's fast preset may take on one thread (the run ${t.seconds <= 180 ? 'within' : 'over'} them with its three evaluations)`);
      }
      if (t.threads === threads && threads > 1) {
        const single = timings.find((u) => u.case === t.case && u.threads === 1);
        if (single) log(`  ${''.padEnd(24)} ${threads} threads / 1 thread ${fmt(single.seconds / t.seconds)}x faster   (target >= 1.7x on 2 cores)`);
      }
    });
    if (!found) log('  (fixture missing: skipped)');
  }
  const wideFixture = values['wide-fixture'];
  if (wideFixture) {
    log(`\npurification runner on the wider network, academic-w8a8, ${wideFixture}:`);
    const found = await timePurify(wideFixture, parsePurifyCases('fast'), threads > 1 ? [1, threads] : [1], (t) => log(timingLine(t)), 'academic-w8a8');
    if (!found) log('  (fixture missing: skipped)');
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
