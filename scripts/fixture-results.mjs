#!/usr/bin/env node
// Prints the purifications that `make-fixtures.sh results` kept (test/fixtures/runs/results,
// or the folder given) as a Markdown table, one row per fixture, defense and seed: full
// precision, the undefended quantized model, the defended one, DER and the wall seconds.
//   node scripts/fixture-results.mjs [results folder]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'test/fixtures/runs/results';
let files;
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
} catch {
  console.error(`fixture-results: no folder ${dir}`);
  process.exit(1);
}
const read = (f) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const pair = (r) => `${r.ba.toFixed(2)} / ${r.asr === null ? '-' : r.asr.toFixed(2)}`;
const rows = [];
for (const f of files) {
  const r = read(f);
  // The purifications; the plain evaluations (<fixture>-fp.json, <fixture>-<quantizer>.json) have no `defended`.
  if (!r.defended) continue;
  rows.push(`| \`${r.fixture}\` | ${r.quantizer} | ${pair(r.fp)} | ${pair(r.quantized)} | ${r.purify} | ${r.seed} | ${pair(r.defended)} | ${r.der.toFixed(2)} | ${Math.round(r.wallSeconds ?? r.seconds)} s |`);
}
if (rows.length === 0) {
  console.error(`no purification results in ${dir}`);
  process.exit(1);
}
console.log('| fixture | quantizer | fp BA / ASR | no defense BA / ASR | defense | seed | defended BA / ASR | DER | seconds |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
