// One LAC unit's cache (its inputs on the quantized path and its full-precision targets, 1,024
// samples in 8 pieces of 128) filled by a pool of two workers (cacheUnitOnPool) and by the
// calling thread alone, three times each, for the units UNITS (default 0,1,9: the stem, the
// first block's conv and the classifier) of test/fixtures/models/pqbackdoor-w4 under
// academic-w4a4; prints the wall time of each and the pool's per-thread CPU.
//   UNITS=0,1,9 node packages/bench/scripts/unit-cache-pool.mjs   (run `pnpm build` first)
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import * as core from '@qcb/core';
import { probeQuantized } from './probe-quantized.mjs';
import { threadCpuSeconds } from './thread-times.mjs';
const { model, calibration, q } = await probeQuantized(1024, 128);
const work = new core.QuantizedModel({ ...q.parts, model: new core.GraphModel(core.cloneGraph(q.model.graph)), weightsOnGrid: false });
const batches = []; for (let s = 0; s < 1024; s += 128) batches.push(tf.slice(calibration, s, 128));
const pool = await core.StepPool.start(2);
for (const k of (process.env.UNITS ?? '0,1,9').split(',').map(Number)) {
  const unit = work.model.units()[k];
  for (let r = 0; r < 3; r++) {
    let before = threadCpuSeconds(); let t0 = performance.now();
    const a = await core.cacheUnit(pool, work, model, unit, batches, {});
    const tp = performance.now() - t0;
    const per = [...threadCpuSeconds()].map(([tid, t]) => t - (before.get(tid) ?? 0)).filter((s) => s > 0.02).map((s) => s.toFixed(2));
    tf.dispose([...a.inputs, ...a.targets]);
    t0 = performance.now();
    const b = await core.cacheUnit(null, work, model, unit, batches, {});
    const t1 = performance.now() - t0;
    tf.dispose([...b.inputs, ...b.targets]);
    console.log(unit.head, 'pool', (tp / 1000).toFixed(3), 'cpu', per.join(' '), ' one thread', (t1 / 1000).toFixed(3));
  }
}
await pool.close(); await core.StepPool.closeIdle(); process.exit(0);
