import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { forwardConvRate } from './conv-rate.js';
import { fmt } from './timing.js';
import { trainingStepTime, trainingStepTimes, type StepTiming } from './training-step.js';
import { caseLabel, parsePurifyCases, timePurify, type PurifyTiming } from './purify.js';
import { torchAvailable, torchConcurrentStepTime, torchStepTime } from './torch-step.js';

/**
 * `pnpm bench`: speed figures measured in one run, printed with their ratios.
 * Options: --batch N (32), --threads N (every core: the "all cores" figures), --wasm-steps N
 * (20, medians), --wasm-warmup N (100 untimed steps first in each timing process: a two-thread step settles after 30-60), --cpu-steps N (1; 0 skips the cpu backend), --torch-steps N (20; 0 skips
 * PyTorch, which runs only where python3 imports torch), --purify <cases> (purifications
 * timed on the pqbackdoor-w4 fixture under academic-w4a4, each on one thread and on all:
 * comma-separated `defense[+augmentation...][@preset]`, `fast` and `paper` meaning LAC + PDA;
 * default `fast,ft,ft-sam,nad`; '' skips).
 */
/** The training defenses whose fast preset is sized to run in at most 3 minutes on the fixture. */
const TRAINING_DEFENSES = new Set(['ft', 'ft-sam', 'nad']);

/** One purification's line: case, threads, seconds (the defense alone too) and the defended figures. */
function timingLine(t: PurifyTiming): string {
  const d = t.report.defended;
  return `  ${caseLabel(t.case).padEnd(24)} ${String(t.threads).padStart(2)} thr  ${fmt(t.seconds, 4)} s (defense ${fmt(t.defenseSeconds, 4)} s)   defended BA ${d.ba.toFixed(2)}%  ASR ${d.asr?.toFixed(2) ?? 'n/a'}%  DER ${t.report.der?.toFixed(2) ?? 'n/a'}%`;
}

/**
 * N one-thread processes at once: the throughput they reach together (N x the lone step's
 * time over theirs) is the most an N-thread step of the same kernels can reach on this
 * machine, and the line says how much of it the N-thread step took.
 */
function ceilingLine(who: string, threads: number, one: number, all: number, copy: number): string {
  const ceiling = (threads * one) / copy;
  return `  ${who}, ${threads} one-thread processes at once  ${fmt(copy)} s/step each: ${fmt(ceiling)}x one's throughput, the ceiling; the ${threads}-thread step reaches ${fmt((100 * one) / all / ceiling)}% of it`;
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
      wide: { type: 'string', default: '2' },
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
    const { one, all, copies } = await trainingStepTimes(batch, wasmSteps, wasmWarmup, threads);
    const stepFlops = 3 * rate.forwardFlopsPerSample * batch;
    const share = (t: StepTiming): string => `${fmt((100 * stepFlops) / t.seconds / 1e9 / rate.gflops)}% of the one-thread forward conv rate`;
    log(`training step, resnet-small (${one.params.toLocaleString('en-US')} parameters), batch ${batch}, median of ${wasmSteps} steps after ${wasmWarmup}, 1 thread and ${threads} each in processes of their own, alternating (3 x ${fmt(rate.forwardFlopsPerSample * batch / 1e9)} GFLOP forward):`);
    log(`  wasm, 1 thread             ${fmt(one.seconds)} s/step   ${share(one)}   (loss ${fmt(one.loss)})`);
    if (threads > 1) {
      log(`  wasm, ${threads} threads (data-par.) ${fmt(all.seconds)} s/step   ${share(all)}   (loss ${fmt(all.loss)})`);
      log(`  ${threads} threads / 1 thread      ${fmt(one.seconds / all.seconds)}x faster   (target >= 1.7x on 2 cores)`);
      if (copies) log(ceilingLine('wasm', threads, one.seconds, all.seconds, copies.seconds));
    }
    if (wide > 0 && wide !== 1) {
      const w = await trainingStepTimes(batch, wasmSteps, wasmWarmup, threads, wide);
      log(`  resnet-small --width ${wide} (${w.one.params.toLocaleString('en-US')} parameters), the wider network of the 8-bit attacks' capacity route, the same way:`);
      log(`  wasm, 1 thread             ${fmt(w.one.seconds)} s/step   ${fmt(w.one.seconds / one.seconds)}x the width-1 step`);
      if (threads > 1) log(`  wasm, ${threads} threads (data-par.) ${fmt(w.all.seconds)} s/step   ${fmt(w.one.seconds / w.all.seconds)}x faster than 1 thread`);
    }
    if (torchSteps > 0) {
      if (!torchAvailable()) {
        log('  PyTorch: skipped (python3 cannot import torch; on Debian: apt-get install python3-torch)');
      } else {
        const t1 = torchStepTime(1, batch, torchSteps, 3);
        log(`  PyTorch ${t1.torch}, 1 thread   ${fmt(t1.seconds)} s/step   qcb / PyTorch ${fmt(one.seconds / t1.seconds)}`);
        if (threads > 1) {
          const tn = torchStepTime(threads, batch, torchSteps, 3);
          log(`  PyTorch, ${tn.threads} threads        ${fmt(tn.seconds)} s/step   qcb / PyTorch ${fmt(all.seconds / tn.seconds)}   (target <= 1)`);
          // PyTorch's own ratio says how much of the other cores this run really had: on a
          // shared virtual machine it moves from run to run as much as qcb's does.
          log(`  PyTorch ${tn.threads} threads / 1 thread  ${fmt(t1.seconds / tn.seconds)}x faster`);
          log(ceilingLine('PyTorch', threads, t1.seconds, tn.seconds, await torchConcurrentStepTime(threads, batch, torchSteps, 3)));
        }
      }
    }
    if (cpuSteps > 0) {
      process.stderr.write(`timing ${cpuSteps + 1} steps on the cpu backend (about a minute each)...\n`);
      const cpu = await trainingStepTime('cpu', batch, cpuSteps, 1);
      log(`  cpu backend, 1 thread      ${fmt(cpu.seconds)} s/step   (loss ${fmt(cpu.loss)})`);
      log(`  wasm speed-up over cpu     ${fmt(cpu.seconds / one.seconds)}x   (target >= 50x)`);
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
