import { parseArgs } from 'node:util';
import { forwardConvRate } from './conv-rate.js';
import { fmt } from './timing.js';
import { trainingStepTime } from './training-step.js';
import { caseLabel, parsePurifyCases, timePurify, type PurifyTiming } from './purify.js';

/**
 * `pnpm bench`: speed figures measured in one run, printed with their ratios.
 * Options: --batch N (32), --wasm-steps N (10), --cpu-steps N (1; 0 skips the cpu backend),
 * --purify <cases> (purifications timed on the pqbackdoor-w4 fixture under academic-w4a4:
 * comma-separated `defense[+augmentation...][@preset]`, `fast` and `paper` meaning LAC + PDA;
 * default fast,paper; '' skips).
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
  const cases = parsePurifyCases(values.purify ?? '');
  if (cases.length > 0) {
    const fixture = 'test/fixtures/models/pqbackdoor-w4';
    log(`\npurification runner, academic-w4a4, ${fixture}:`);
    const timings: PurifyTiming[] = [];
    const found = await timePurify(fixture, cases, (t) => {
      timings.push(t);
      const d = t.report.defended;
      log(`  ${caseLabel(t.case).padEnd(24)} ${fmt(t.seconds, 4)} s   defended BA ${d.ba.toFixed(2)}%  ASR ${d.asr?.toFixed(2) ?? 'n/a'}%  DER ${t.report.der?.toFixed(2) ?? 'n/a'}%`);
    });
    if (!found) log('  (fixture missing: skipped)');
    const lacPda = (preset: string): PurifyTiming | undefined => timings.find((t) => t.case.defense === 'lac' && t.case.augmentations.join() === 'pda' && t.case.preset === preset);
    const fast = lacPda('fast');
    const paper = lacPda('paper');
    if (fast && paper) log(`  LAC + PDA paper / fast wall time   ${fmt(paper.seconds / fast.seconds)}x   (fast target <= 300 s)`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
