// Wall time and the CPU time of each thread through one purification, cut at the progress
// stages (the three evaluations, each LAC unit): what a run on N threads leaves on the
// calling thread and what the pool's workers take. CPU time, unlike wall time, does not move
// with the machine's load. Each stage also gives the seconds the machine's cores sat idle
// (waits at the workers' barriers show here) and those other processes took (0 on a quiet
// machine); a worker thread that ended during a stage (the side evaluation) is not listed.
//   node packages/bench/scripts/purify-profile.mjs [--threads N] [--iterations N] [--baselines side|pool]
// LAC + PDA (fast preset) on test/fixtures/models/pqbackdoor-w4 under academic-w4a4; run
// `pnpm build` first. A stage's line holds the work that runs until the next stage starts.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import 'reflect-metadata';
import { BUILTIN_MODULES, Engine, initBackend, loadDataset, loadModel, purify, setRunThreads } from '@qcb/core';
import { DEFAULT_PLUGINS } from '@qcb/cli';
import { threadCpuSeconds } from './thread-times.mjs';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '2' }, iterations: { type: 'string' }, baselines: { type: 'string' } } });
const fixture = resolve(fileURLToPath(import.meta.url), '../../../../test/fixtures/models/pqbackdoor-w4');
await initBackend('wasm');
setRunThreads(Number(values.threads));

const threadTimes = threadCpuSeconds; // seconds per thread

const rows = [];
/** Seconds the machine's cores sat idle, summed over the cores (/proc/stat). */
const idleSeconds = () => Number(readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)[4]) / 100;
/** Seconds the machine's cores were busy, and this process's CPU seconds (every thread). */
const busySeconds = () => { const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number); return (f.reduce((a, b) => a + b, 0) - f[3] - f[4]) / 100; };
const processSeconds = () => { const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
let lastBusy = busySeconds();
let lastProcess = processSeconds();
let last = threadTimes();
let lastIdle = idleSeconds();
let lastWall = performance.now();
let label = 'loading';
function cut(next) {
  const now = threadTimes();
  let main = 0;
  const others = [];
  for (const [tid, t] of now) {
    const d = t - (last.get(tid) ?? 0);
    if (tid === String(process.pid)) main = d;
    else if (d > 0.5) others.push(d);
  }
  const wallNow = performance.now();
  const idleNow = idleSeconds();
  rows.push({ label, main, others: others.sort((a, b) => b - a), wall: (wallNow - lastWall) / 1000, idle: idleNow - lastIdle });
  lastIdle = idleNow;
  const busyNow = busySeconds();
  const processNow = processSeconds();
  rows.at(-1).elsewhere = busyNow - lastBusy - (processNow - lastProcess);
  lastBusy = busyNow;
  lastProcess = processNow;
  last = now;
  lastWall = wallNow;
  label = next;
}

const engine = await Engine.create([...BUILTIN_MODULES, ...DEFAULT_PLUGINS]);
const { model, sidecar } = await loadModel(fixture);
const data = await loadDataset(sidecar?.dataset ?? 'fashion-mnist');
cut('quantizing, caching');
const started = performance.now();
const outcome = await purify({
  engine, model, quantizer: 'academic-w4a4', defense: 'lac', augmentations: ['pda'], preset: 'fast', data,
  normalization: sidecar?.normalization ?? data.normalization, sidecar,
  ...(values.iterations ? { options: { iterations: Number(values.iterations) } } : {}),
  ...(values.baselines ? { baselineWorker: values.baselines === 'side' } : {}),
  progress: { stage: (l) => cut(l), step() {}, stageDone() {} },
});
cut('');
const wall = (performance.now() - started) / 1000;
let main = 0;
let others = 0;
for (const r of rows) {
  main += r.main;
  others += r.others.reduce((a, b) => a + b, 0);
  process.stdout.write(`${r.label.padEnd(34)} wall ${r.wall.toFixed(2).padStart(7)} s   cores idle ${r.idle.toFixed(2).padStart(6)} s, busy elsewhere ${r.elsewhere.toFixed(2).padStart(6)} s   calling thread ${r.main.toFixed(2).padStart(7)} s   other threads over 0.5 s: ${r.others.map((t) => t.toFixed(2)).join(' ')}\n`);
}
const { fp, quantized, defended } = outcome.report;
process.stdout.write(`${values.threads} threads: ${wall.toFixed(1)} s wall; CPU ${main.toFixed(1)} s on the calling thread, ${others.toFixed(1)} s on the others\n`);
process.stdout.write(`BA / ASR %: fp ${fp.ba.toFixed(2)} / ${fp.asr?.toFixed(2)}, quantized ${quantized.ba.toFixed(2)} / ${quantized.asr?.toFixed(2)}, defended ${defended.ba.toFixed(2)} / ${defended.asr?.toFixed(2)}\n`);
outcome.dispose();
process.exit(0);
