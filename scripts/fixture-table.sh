#!/usr/bin/env bash
# Measures shipped fixtures for the acceptance tables: BA/ASR in full precision and under
# the academic profile of each bit width, then `qcb purify` with LAC and LAC+PDA (fast
# preset). Results: .logs/table/<fixture>-<what>.json; a summary line per run on stdout.
# Usage: scripts/fixture-table.sh <fixture>... (names under test/fixtures/models)
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .logs/table .table
qcb() { node packages/cli/dist/bin.js "$@"; }

profiles_of() {
  case $1 in
    *-w4) echo academic-w4a4 ;;
    *-w8) echo academic-w8a8 ;;
    *) echo academic-w8a8 academic-w4a4 ;;
  esac
}

for name in "$@"; do
  model=test/fixtures/models/$name
  [ -f "$model/model.json" ] || { echo "$name: not shipped"; continue; }
  qcb evaluate --model "$model" --json 2>/dev/null > ".logs/table/$name-fp.json" && echo "$name fp $(cat .logs/table/$name-fp.json)"
  for p in $(profiles_of "$name"); do
    qcb evaluate --model "$model" --quantizer "$p" --json 2>/dev/null > ".logs/table/$name-$p.json" && echo "$name $p $(cat .logs/table/$name-$p.json)"
  done
  # Where the backdoor lives: weights alone on the 4-bit academic grid, or 4-bit activations with 8-bit weights.
  for split in "uniform:w4,per-channel,asym,mse,first-last-8" "uniform:w8a4,per-channel,asym,mse,first-last-8"; do
    tag=$([ "${split#uniform:w4,}" != "$split" ] && echo w4-weights-only || echo w8a4)
    qcb evaluate --model "$model" --quantizer "$split" --json 2>/dev/null > ".logs/table/$name-$tag.json" && echo "$name $tag $(cat ".logs/table/$name-$tag.json")"
  done
  [ "$name" = badnets ] && continue
  for p in $(profiles_of "$name"); do
    qcb purify --model "$model" --quantizer "$p" --defense lac --json --out ".table/$name-$p-lac" > ".logs/table/$name-$p-lac.json" 2>> .logs/table/purify.log \
      && echo "$name $p lac $(cat .logs/table/$name-$p-lac.json)"
    qcb purify --model "$model" --quantizer "$p" --defense lac --augment pda --json --out ".table/$name-$p-lac-pda" > ".logs/table/$name-$p-lac-pda.json" 2>> .logs/table/purify.log \
      && echo "$name $p lac+pda $(cat .logs/table/$name-$p-lac-pda.json)"
  done
done
