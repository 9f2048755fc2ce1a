import { parseArgs } from 'node:util';
import { forwardConvRate } from './conv-rate.js';
import { fmt } from './timing.js';
import { trainingStepTime } from './training-step.js';
import { timePurify, type PurifyTiming } from './purify.js';

/**
 * `pnpm bench`: speed figures measured in one run, printed with their ratios.
 * Options: --batch N (32), --wasm-steps N (10), --cpu-steps N (1; 0 skips the cpu backend),
 * --purify fast,paper (the LAC + PDA presets timed on the pqbackdoor-w4 fixture; '' skips).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      batch: { type: 'string', default: '32' },
      'wasm-steps': { type: 'string', default: '10' },
      'cpu-steps': { type: 'string', default: '1' },
      purify: { type: 'string', default: 'fast,paper' },
    },
  });
  const batch = Number(values.batch);
  const wasmSteps = Number(values['wasm-steps']);
  const cpuSteps = Number(values['cpu-steps']);
  const log = (s: string): void => void process.stdout.write(`${s}\n`);

  log(`qcb bench - node ${process.version}, batch ${batch}\n`);
  const rate = await forwardConvRate(batch, 20);
  log('forward conv2d on wasm, resnet-small shapes:');
  for (const s of rate.shapes) {
    log(`  ${s.node.padEnd(26)} in [${s.input.join('x')}] k [${s.kernel.join('x')}] s${s.strides[0]}  ${fmt(s.seconds * 1e3)} ms  ${fmt(s.gflops)} GFLOP/s`);
  }
  log(`  all convs: ${fmt(rate.gflops)} GFLOP/s\n`);

  const wasm = await trainingStepTime('wasm', batch, wasmSteps, 3);
  const stepFlops = 3 * rate.forwardFlopsPerSample * batch;
  const effective = stepFlops / wasm.seconds / 1e9;
  log(`training step, resnet-small (${wasm.params.toLocaleString('en-US')} parameters), batch ${batch}:`);
  log(`  wasm + qcb kernels   ${fmt(wasm.seconds)} s/step   (loss ${fmt(wasm.loss)})`);
  log(`  effective rate       ${fmt(effective)} GFLOP/s = 3 x ${fmt(rate.forwardFlopsPerSample * batch / 1e9)} GFLOP forward / step time`);
  log(`  share of forward conv rate  ${fmt((100 * effective) / rate.gflops)}%   (target >= 40%)`);
  if (cpuSteps > 0) {
    process.stderr.write(`timing ${cpuSteps + 1} steps on the cpu backend (about a minute each)...\n`);
    const cpu = await trainingStepTime('cpu', batch, cpuSteps, 1);
    log(`  cpu backend          ${fmt(cpu.seconds)} s/step   (loss ${fmt(cpu.loss)})`);
    log(`  wasm speed-up over cpu      ${fmt(cpu.seconds / wasm.seconds)}x   (target >= 50x)`);
  }
  const presets = (values.purify ?? '').split(',').filter((p): p is 'fast' | 'paper' => p === 'fast' || p === 'paper');
  if (presets.length > 0) {
    log('\nqcb purify, LAC + PDA, academic-w4a4, test/fixtures/models/pqbackdoor-w4:');
    const timings: PurifyTiming[] = [];
    for (const preset of presets) {
      process.stderr.write(`timing qcb purify --preset ${preset}...\n`);
      const t = timePurify('test/fixtures/models/pqbackdoor-w4', preset);
      if (!t) {
        log('  (fixture missing: skipped)');
        break;
      }
      timings.push(t);
      const d = t.report.defended;
      log(`  ${preset.padEnd(6)} ${fmt(t.seconds, 4)} s   defended BA ${d.ba.toFixed(2)}%  ASR ${d.asr?.toFixed(2) ?? 'n/a'}%  DER ${t.report.der?.toFixed(2) ?? 'n/a'}%`);
    }
    const fast = timings.find((t) => t.preset === 'fast');
    const paper = timings.find((t) => t.preset === 'paper');
    if (fast && paper) log(`  paper / fast wall time       ${fmt(paper.seconds / fast.seconds)}x   (fast target <= 300 s)`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
