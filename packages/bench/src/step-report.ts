import type { ConvRate } from './conv-rate.js';
import { fmt } from './timing.js';
import { torchAvailable, torchConcurrentStepTime, torchStepTime } from './torch-step.js';
import { trainingStepTimes, type StepTiming } from './training-step.js';

export interface StepReportSettings {
  readonly threads: number;
  /** Timed wasm steps (medians) and untimed ones before them, in each timing process. */
  readonly steps: number;
  readonly warmup: number;
  /** PyTorch's timed steps; 0 skips PyTorch. */
  readonly torchSteps: number;
  readonly log: (line: string) => void;
}

/**
 * N one-thread processes at once: the throughput they reach together (N x the lone step's
 * time over theirs) is what the machine gives N independent copies of the same kernels, and
 * the line says how much of it the N-thread step took. A data-parallel step can take more:
 * each of its threads works on a part of the batch, whose tensors stay in cache better.
 */
function copiesLine(who: string, threads: number, one: number, all: number, copy: number): string {
  const together = (threads * one) / copy;
  return `  ${who}, ${threads} one-thread processes at once  ${fmt(copy)} s/step each: ${fmt(together)}x one's throughput; the ${threads}-thread step reaches ${fmt((100 * one) / all / together)}% of it`;
}

/**
 * Prints the training step of resnet-small at `batch` on one thread and on N (with their
 * ratio, the share of the forward conv rate and N independent copies), the wider network's
 * step when `wide` is above 1, and PyTorch's step beside them; returns the one-thread timing.
 */
export async function reportTrainingStep(batch: number, rate: ConvRate, s: StepReportSettings, wide: number): Promise<StepTiming> {
  const { threads, log } = s;
  const { one, all, copies } = await trainingStepTimes(batch, s.steps, s.warmup, threads);
  const stepFlops = 3 * rate.forwardFlopsPerSample * batch;
  const share = (t: StepTiming): string => `${fmt((100 * stepFlops) / t.seconds / 1e9 / rate.gflops)}% of the one-thread forward conv rate`;
  log(`training step, resnet-small (${one.params.toLocaleString('en-US')} parameters), batch ${batch}, median of ${s.steps} steps after ${s.warmup}, 1 thread and ${threads} each in processes of their own, alternating (3 x ${fmt(stepFlops / 3e9)} GFLOP forward):`);
  log(`  wasm, 1 thread             ${fmt(one.seconds)} s/step   ${share(one)}   (loss ${fmt(one.loss)})`);
  if (threads > 1) {
    log(`  wasm, ${threads} threads (data-par.) ${fmt(all.seconds)} s/step   ${share(all)}   (loss ${fmt(all.loss)})`);
    log(`  ${threads} threads / 1 thread      ${fmt(one.seconds / all.seconds)}x faster   (target >= 1.7x on 2 cores)`);
    if (copies) log(copiesLine('wasm', threads, one.seconds, all.seconds, copies.seconds));
  }
  if (wide > 1) {
    // A step K times wider costs about K^2 as much, and the untimed steps only have to warm
    // the JIT and the wasm heap: K^2 fewer of them (at least 5) keep the section short.
    const warmup = Math.max(5, Math.ceil(s.warmup / (wide * wide)));
    const w = await trainingStepTimes(batch, s.steps, warmup, threads, wide, false);
    log(`  resnet-small --width ${wide} (${w.one.params.toLocaleString('en-US')} parameters), the wider network of the 8-bit attacks' capacity route, the same way after ${warmup} untimed steps:`);
    log(`  wasm, 1 thread             ${fmt(w.one.seconds)} s/step   ${fmt(w.one.seconds / one.seconds)}x the width-1 step`);
    if (threads > 1) log(`  wasm, ${threads} threads (data-par.) ${fmt(w.all.seconds)} s/step   ${fmt(w.one.seconds / w.all.seconds)}x faster than 1 thread`);
  }
  if (s.torchSteps > 0) {
    if (!torchAvailable()) {
      log('  PyTorch: skipped (python3 cannot import torch; on Debian: apt-get install python3-torch)');
    } else {
      const t1 = await torchStepTime(1, batch, s.torchSteps, 3);
      log(`  PyTorch ${t1.torch}, 1 thread   ${fmt(t1.seconds)} s/step   qcb / PyTorch ${fmt(one.seconds / t1.seconds)}`);
      if (threads > 1) {
        const tn = await torchStepTime(threads, batch, s.torchSteps, 3);
        log(`  PyTorch, ${tn.threads} threads        ${fmt(tn.seconds)} s/step   qcb / PyTorch ${fmt(all.seconds / tn.seconds)}   (target <= 1)`);
        // PyTorch's own ratio says how much of the other cores this run really had: on a
        // shared virtual machine it moves from run to run as much as qcb's does.
        log(`  PyTorch ${tn.threads} threads / 1 thread  ${fmt(t1.seconds / tn.seconds)}x faster`);
        log(copiesLine('PyTorch', threads, t1.seconds, tn.seconds, await torchConcurrentStepTime(threads, batch, s.torchSteps, 3)));
      }
    }
  }
  return one;
}
