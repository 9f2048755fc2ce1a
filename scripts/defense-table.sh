#!/usr/bin/env bash
# Measures defenses on shipped fixtures with `qcb purify --json` (academic-w4a4 unless QUANTIZER
# is set), one run per defense x fixture x seed, skipping runs whose result file exists, so an
# interrupted table resumes. LANES runs at a time (default 1).
# Results: .logs/defenses/<defense>[+aug]-<fixture>-s<seed>.json (+ .err); a line per run on stdout.
# Usage: scripts/defense-table.sh "<defense[+aug]> ..." "<fixture> ..." "<seed> ..." [preset]
set -uo pipefail
cd "$(dirname "$0")/.."
DEFENSES=$1 FIXTURES=$2 SEEDS=$3 PRESET=${4:-fast}
QUANTIZER=${QUANTIZER:-academic-w4a4} LANES=${LANES:-1} OUT=${OUT:-.logs/defenses}
mkdir -p "$OUT"

one() { # defense[+aug] fixture seed
  local spec=$1 fixture=$2 seed=$3
  local defense=${spec%%+*} augs=() name="$1-$2-s$3"
  [ "$spec" != "$defense" ] && for a in $(echo "${spec#*+}" | tr '+' ' '); do augs+=(--augment "$a"); done
  [ -s "$OUT/$name.json" ] && { echo "$name: done earlier"; return 0; }
  local tmp; tmp=$(mktemp -d)
  if node packages/cli/dist/bin.js purify --model "test/fixtures/models/$fixture" --quantizer "$QUANTIZER" --defense "$defense" "${augs[@]}" \
      --preset "$PRESET" --seed "$seed" --out "$tmp/out" --json > "$OUT/$name.json.part" 2> "$OUT/$name.err"; then
    mv "$OUT/$name.json.part" "$OUT/$name.json" && echo "$name $(cat "$OUT/$name.json")"
  else
    rm -f "$OUT/$name.json.part"; echo "$name: failed (see $OUT/$name.err)"
  fi
  rm -rf "$tmp"
}

jobs=()
for seed in $SEEDS; do for fixture in $FIXTURES; do for d in $DEFENSES; do jobs+=("$d $fixture $seed"); done; done; done
lane() { local i; for ((i = $1; i < ${#jobs[@]}; i += LANES)); do one ${jobs[$i]}; done; }
for ((l = 0; l < LANES; l++)); do lane "$l" & done
wait
