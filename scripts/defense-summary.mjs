#!/usr/bin/env node
// Prints the results of scripts/defense-table.sh as markdown rows:
// defense | fixture | seed | quantized BA / ASR | defended BA / ASR | DER | seconds.
// Usage: node scripts/defense-summary.mjs [folder, default .logs/defenses]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.logs/defenses';
const pct = (v) => (v === null || v === undefined ? 'n/a' : v.toFixed(2));
const rows = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => {
    const m = /^(.+)-((?:[a-z0-9]+-)*[a-z0-9]+)-s(\d+)\.json$/.exec(f);
    const report = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    return { name: f, report, seed: m ? Number(m[3]) : NaN };
  })
  .sort((a, b) => a.name.localeCompare(b.name));
console.log('| run | quantized BA / ASR | defended BA / ASR | DER | s |');
console.log('| --- | --- | --- | --- | --- |');
for (const { name, report: r } of rows) {
  console.log(`| ${name.replace(/\.json$/, '')} | ${pct(r.quantized.ba)} / ${pct(r.quantized.asr)} | ${pct(r.defended.ba)} / ${pct(r.defended.asr)} | ${pct(r.der)} | ${r.seconds.toFixed(0)} |`);
}
