// One LAC unit's cache (its inputs on the quantized path and its full-precision targets, 1,024
// samples in 8 pieces of 128) filled by a pool of two workers (cacheUnitOnPool) and by the
// calling thread alone, three times each, for the units UNITS (default 0,1,9: the stem, the
// first block's conv and the classifier) of test/fixtures/models/pqbackdoor-w4 under
// academic-w4a4; prints the wall time of each and the pool's per-thread CPU.
// BUSY=1 puts a busy loop on a thread of its own (as the purification's side worker takes a
// core during the first units) and compares the two-worker pool beside it with one worker
// alone on the core left free.
//   UNITS=0,1,9 [BUSY=1] node packages/bench/scripts/unit-cache-pool.mjs   (run `pnpm build` first)
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import * as core from '@qcb/core';
import { probeQuantized } from './probe-quantized.mjs';
import { threadCpuSeconds } from './thread-times.mjs';
const { model, calibration, q } = await probeQuantized(1024, 128);
const work = new core.QuantizedModel({ ...q.parts, model: new core.GraphModel(core.cloneGraph(q.model.graph)), weightsOnGrid: false });
const batches = []; for (let s = 0; s < 1024; s += 128) batches.push(tf.slice(calibration, s, 128));
const pool = await core.StepPool.start(2);
const busy = process.env.BUSY === '1';
const single = busy ? await core.StepPool.start(1, { minimum: 1 }) : null;
let spinner = null;
if (busy) {
  const { Worker } = await import('node:worker_threads');
  spinner = new Worker('let x = 0; for (;;) x = (x + 1) | 0;', { eval: true });
}
for (const k of (process.env.UNITS ?? '0,1,9').split(',').map(Number)) {
  const unit = work.model.units()[k];
  for (let r = 0; r < 3; r++) {
    let before = threadCpuSeconds(); let t0 = performance.now();
    const a = await core.cacheUnit(pool, work, model, unit, batches, {});
    const tp = performance.now() - t0;
    const per = [...threadCpuSeconds()].map(([tid, t]) => t - (before.get(tid) ?? 0)).filter((s) => s > 0.02).map((s) => s.toFixed(2));
    tf.dispose([...a.inputs, ...a.targets]);
    t0 = performance.now();
    const b = await core.cacheUnit(single, work, model, unit, batches, {});
    const t1 = performance.now() - t0;
    tf.dispose([...b.inputs, ...b.targets]);
    console.log(unit.head, busy ? 'both workers beside the busy thread' : 'pool', (tp / 1000).toFixed(3), 'cpu', per.join(' '), busy ? ' one worker alone' : ' one thread', (t1 / 1000).toFixed(3));
  }
}
await pool.close(); await single?.close(); await core.StepPool.closeIdle(); await spinner?.terminate(); process.exit(0);
