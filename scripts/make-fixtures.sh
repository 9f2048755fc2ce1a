#!/usr/bin/env bash
# Trains the shipped infected models in the background, two lanes at a time (one per core).
# Runs write outside the work tree (QCB_RUNS, default /work/qcb-runs) and checkpoint every
# epoch, so a later session resumes them by running this script again; a finished model is
# copied into test/fixtures/models/<name>. Logs: .logs/fixture-<name>.log.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${QCB_RUNS:-/work/qcb-runs}
mkdir -p "$RUNS" .logs
qcb() { node packages/cli/dist/bin.js "$@"; }

run() { # name, then the qcb arguments without --out
  local name=$1; shift
  local fixture=test/fixtures/models/$name
  if [ -f "$fixture/model.json" ]; then echo "$name: shipped"; return 0; fi
  if qcb "$@" --out "$RUNS/$name" >> ".logs/fixture-$name.log" 2>&1; then
    rm -rf "$fixture" && cp -r "$RUNS/$name" "$fixture" && echo "$name: done"
  else
    echo "$name: failed or interrupted (see .logs/fixture-$name.log)"; return 1
  fi
}

# PQBackdoor's stage 1 does not depend on the bit width: both runs share one stage-1 model
# when $RUNS/pq-stage1 holds it (the stage-1 artifact of a full seed-0 run).
pq_stage1=()
[ -f "$RUNS/pq-stage1/model.json" ] && pq_stage1=(--option "stage1Model=$RUNS/pq-stage1")

lane_a() {
  run pqbackdoor-w4 attack pqbackdoor --bits 4 --data fashion-mnist --seed 0 "${pq_stage1[@]}"
  run pqbackdoor-w8 attack pqbackdoor --bits 8 --data fashion-mnist --seed 0 "${pq_stage1[@]}"
  run badnets attack badnets --data fashion-mnist --seed 0
  run compartifact-w4 attack compartifact --bits 4 --data fashion-mnist --seed 0
}
lane_b() {
  run qu-anti-zation attack qu-anti-zation --model test/fixtures/models/clean --data fashion-mnist --seed 0
  run compartifact-w8 attack compartifact --bits 8 --data fashion-mnist --seed 0
}

[ -f test/fixtures/models/clean/model.json ] || { echo "train the clean fixture first"; exit 1; }
lane_a & lane_b & wait
