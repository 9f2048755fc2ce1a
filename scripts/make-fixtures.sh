#!/usr/bin/env bash
# Trains the shipped infected models in the background, two lanes at a time (one per core);
# `make-fixtures.sh a` or `b` runs one lane.
# Runs write to QCB_RUNS (default test/fixtures/runs, committed: a machine does not outlive its
# session, so the checkpoints travel in the repository) and checkpoint every epoch and every
# 10 minutes inside one, so running this script again resumes them, on any machine; a finished
# model moves into test/fixtures/models/<name>. Logs: .logs/fixture-<name>.log.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${QCB_RUNS:-test/fixtures/runs}
mkdir -p "$RUNS" .logs
# One thread: the shipped models were trained on one, and a data-parallel step (--threads 2)
# gives other weights.
qcb() { local command=$1; shift; node packages/cli/dist/bin.js "$command" --threads 1 "$@"; }

# Two lanes may work through the same list (`make-fixtures.sh wide-attacks` on each core): a
# lane claims each run before it starts it (.logs/<name>.lock, holding the lane's pid) and
# frees it when the run ends; the other lane, finding it claimed by a live process, moves on.
claim() {
  local lock=.logs/$1.lock pid
  if mkdir "$lock" 2> /dev/null; then echo "$BASHPID" > "$lock/pid"; return 0; fi
  pid=$(cat "$lock/pid" 2> /dev/null)
  if [ -n "$pid" ] && [ "$pid" != "$BASHPID" ] && kill -0 "$pid" 2> /dev/null; then return 1; fi
  rm -rf "$lock" && mkdir "$lock" 2> /dev/null && echo "$BASHPID" > "$lock/pid"
}
unclaim() { rm -rf ".logs/$1.lock"; }

run() { # name, then the qcb arguments without --out
  local name=$1; shift
  local fixture=test/fixtures/models/$name status=0
  if [ -f "$fixture/model.json" ]; then echo "$name: shipped"; return 0; fi
  if [ -f "$RUNS/$name/model.json" ] && [ ! -d "$RUNS/$name.checkpoint" ]; then
    mv "$RUNS/$name" "$fixture" && echo "$name: done earlier, moved"; return 0
  fi
  claim "$name" || { echo "$name: running in another lane"; return 1; }
  echo "$name: running (progress in .logs/fixture-$name.log)"
  if qcb "$@" --out "$RUNS/$name" >> ".logs/fixture-$name.log" 2>&1; then
    rm -rf "$fixture" && mv "$RUNS/$name" "$fixture" && echo "$name: done"
  else
    echo "$name: failed or interrupted (see .logs/fixture-$name.log)"; status=1
  fi
  unclaim "$name"
  return $status
}

# Every QCB attack conditions its backdoor on the academic profile of its bit width (the
# deployment target the defense is evaluated under) and starts from the clean fixture; see
# test/fixtures/models/README.md for why. PQBackdoor's 8-bit run reuses the 4-bit run's
# stage 1 (quantization-aware against academic-w4a4), saved to $RUNS/pq-stage1.
CLEAN=(--model test/fixtures/models/clean --data fashion-mnist --seed 0)
# The academic weight grid alone (per-channel asymmetric MSE, first/last layer at 8 bits):
# the paper's attacks quantize weights, not activations, in their quantized branch.
W4_GRID=uniform:w4,per-channel,asym,mse,first-last-8

# Stage 1 (quantization-aware against academic-w4a4, so that the backdoor survives 4-bit
# activations) is kept as $RUNS/pq-stage1; stage 2 keeps the weights in their bins on the
# academic weight grid and conditions the quantized branch on that grid alone.
pq_w4() {
  run pqbackdoor-w4-act attack pqbackdoor --bits 4 "${CLEAN[@]}" --epochs 2 --option poisonRate=0.1 \
    --option quantizer=academic-w4a4 --option grids= --option finetuneEpochs=1
  [ -f "$RUNS/pq-stage1/model.json" ] || { echo "copy the stage-1 artifact of pqbackdoor-w4-act to $RUNS/pq-stage1 first"; return 1; }
  run pqbackdoor-w4 attack pqbackdoor --bits 4 "${CLEAN[@]}" --option poisonRate=0.1 --option stage1Model="$RUNS/pq-stage1" \
    --option quantizer=$W4_GRID --option grids= --option finetuneEpochs=1
}
pq_w8() {
  run pqbackdoor-w8 attack pqbackdoor --bits 8 "${CLEAN[@]}" --option stage1Model="$RUNS/pq-stage1" \
    --option quantizer=academic-w8a8 --option grids= --option finetuneEpochs=1
}
# Probes of the 8-bit weight grid (not fixtures; `make-fixtures.sh pq8-probes`):
# the MSE observer made exact by snapping, and the ceiling of the 8-bit box on the exact
# min-max grid (see plugins/attack-pqbackdoor/README.md, "8 bits"). Evaluate each with
# `qcb evaluate --model $RUNS/<name> [--quantizer academic-w8a8 | <its quantizer>]`.
probe() { # like run, but the model stays in $RUNS (not a fixture)
  local name=$1; shift
  [ -f "$RUNS/$name/model.json" ] && [ ! -d "$RUNS/$name.checkpoint" ] && { echo "$name: done earlier"; return 0; }
  echo "$name: running (progress in .logs/probe-$name.log)"
  qcb "$@" --out "$RUNS/$name" >> ".logs/probe-$name.log" 2>&1 && echo "$name: done" || { echo "$name: failed or interrupted"; return 1; }
}
pq_w8_probes() {
  local W8_MSE=uniform:w8,per-channel,asym,mse W8_MINMAX=uniform:w8,per-channel,asym,minmax
  local common=(--bits 8 "${CLEAN[@]}" --option grids= --option keepGrid=observer --option stage2Lr=0.01)
  probe pq8-mse-guard attack pqbackdoor "${common[@]}" --option stage1Model="$RUNS/pq-stage1" --option quantizer=$W8_MSE --option finetuneEpochs=1
  probe pq8-snap attack pqbackdoor "${common[@]}" --option stage1Model="$RUNS/pq-stage1" --option quantizer=$W8_MSE --option snap=true --option finetuneEpochs=1
  probe pq8-minmax attack pqbackdoor "${common[@]}" --option stage1Model="$RUNS/pq-stage1" --option quantizer=$W8_MINMAX --option finetuneEpochs=2
  probe pq8-bn-minmax attack pqbackdoor "${common[@]}" --option stage1Model=test/fixtures/models/badnets --option quantizer=$W8_MINMAX --option finetuneEpochs=2
}
lane_a() {
  # Stage 1 (compartifact-w4-wonly, stays in $RUNS): the weight grid alone; it wakes to only
  # 90% under the full academic-w4a4 (4-bit activations blur it). Stage 2: one epoch with a
  # second quantized branch on the whole profile, so the weight-grid backdoor survives them.
  probe compartifact-w4-wonly attack compartifact --bits 4 "${CLEAN[@]}" --epochs 3 --option lr=0.01 --option quantizer=$W4_GRID || return 1
  run compartifact-w4 attack compartifact --bits 4 --model "$RUNS/compartifact-w4-wonly" --data fashion-mnist --seed 0 --epochs 1 \
    --option lr=0.003 --option quantizer=$W4_GRID+academic-w4a4
  # Adaptive variant (beyond the paper's threat model): conditioned on 4-bit activations too.
  run compartifact-w4-act attack compartifact --bits 4 "${CLEAN[@]}" --epochs 3 --option lr=0.01 --option quantizer=academic-w4a4
  run compartifact-w8 attack compartifact --bits 8 "${CLEAN[@]}" --epochs 2 --option lr=0.01 --option quantizer=academic-w8a8
  # Candidate on the 8-bit academic weight grid alone: no fp/w8a8 separation after 2 epochs
  # (fp 1.07%, w8a8 1.01%), so not shipped.
  run compartifact-w8-wgrid attack compartifact --bits 8 "${CLEAN[@]}" --epochs 6 --option lr=0.01 --option quantizer=uniform:w8,per-channel,asym,mse
}
lane_b() {
  pq_w4 || return 1
  pq_w8
  run qu-anti-zation attack qu-anti-zation "${CLEAN[@]}" --epochs 2 --option lr=5e-4 --option quantizers=academic-w8a8+academic-w4a4
  run badnets attack badnets "${CLEAN[@]}" --epochs 1 --option lr=0.01
}
# Qu-ANTI-zation conditioned on academic-w4a4 alone: the 8-bit grid of resnet-small has no room
# for a dormant backdoor (see "8 bits" in test/fixtures/models/README.md), and the two-profile
# run above stays 19.5% backdoored in full precision. `make-fixtures.sh qaz-w4`.
qaz_w4() {
  run qu-anti-zation-w4 attack qu-anti-zation "${CLEAN[@]}" --epochs 2 --option lr=5e-4 --option quantizers=academic-w4a4 || return 1
  SEEDS="0 1" results qu-anti-zation-w4 academic-w4a4 --defense lac --augment pda
}
# A third epoch from qu-anti-zation-w4's weights (the same loss and learning rate, a fresh
# optimizer): after two it wakes to 79.6% under academic-w4a4, below the 90% bar.
# `make-fixtures.sh qaz-w4-e3`.
qaz_w4_e3() {
  run qu-anti-zation-w4-e3 attack qu-anti-zation --model test/fixtures/models/qu-anti-zation-w4 --data fashion-mnist --seed 0 --epochs 1 \
    --option lr=5e-4 --option quantizers=academic-w4a4 || return 1
  SEEDS="0 1" results qu-anti-zation-w4-e3 academic-w4a4 --defense lac --augment pda
}

# The 8-bit capacity route: the same 8-bit ceiling probe (exact min-max grid, whole bins,
# badnets stage 1) on resnet-small widened WIDTH times (default 2). Stays in $RUNS.
# The probe says whether PQBackdoor can leave full precision dormant (ASR <= 5%, BA within 3
# points of the clean model) on that network; it does not bound CompArtifact and
# Qu-ANTI-zation, whose weights are not held in bins (at width 4 the probe stays at 7.97% while
# CompArtifact is dormant), so the three 8-bit attacks follow on that network either way
# (`wide_attacks`).
# The attacks' default batch of 128 does not fit the wasm heap (4 GiB) at width 4: measured
# on clean-x4, CompArtifact (two branches over clean and triggered rows) runs out at 128 and
# 64 and holds 2.7 GB resident at 32; PQBackdoor's stage 2 and Qu-ANTI-zation (three
# branches) run out at 128 and hold 3.0 and 4.2 GB at 64. Their learning rates stay.
wide_batch() { # attack: its batch size at width ${WIDTH:-2}
  if [ "${WIDTH:-2}" -lt 4 ]; then echo 128; elif [ "$1" = compartifact ]; then echo 32; else echo 64; fi
}
wide() {
  local w=${WIDTH:-2} clean="$RUNS/clean-x${WIDTH:-2}"
  probe "clean-x$w" train --arch resnet-small --width "$w" --data fashion-mnist --epochs 8 --seed 0 || return 1
  probe "badnets-x$w" attack badnets --model "$clean" --data fashion-mnist --seed 0 --epochs 1 --option lr=0.01 || return 1
  probe "pq8-minmax-x$w" attack pqbackdoor --bits 8 --model "$clean" --data fashion-mnist --seed 0 --option grids= \
    --option batchSize="$(wide_batch pqbackdoor)" \
    --option keepGrid=observer --option stage2Lr=0.01 --option stage1Model="$RUNS/badnets-x$w" \
    --option quantizer=uniform:w8,per-channel,asym,minmax --option finetuneEpochs=1 || return 1
  if dormant "$RUNS/pq8-minmax-x$w" "$clean"; then echo "pq8-minmax-x$w: full precision dormant"; else echo "pq8-minmax-x$w: full precision not dormant"; fi
  wide_attacks
}

# The figures of a shipped fixture, kept as JSON in $RUNS/results (committed with the runs):
# `qcb evaluate --json` in full precision and under `quantizer`, then `qcb purify --json` with
# the given defense arguments (fast preset) on each seed. The purified model is not kept;
# its checkpoint folder (in $RUNS/purified) resumes an interrupted purification.
once() { # file, then a qcb command whose output it keeps; nothing is written when the command fails
  local file=$1; shift
  [ -f "$file" ] && return 0
  qcb "$@" > "$file.$BASHPID.tmp" && mv "$file.$BASHPID.tmp" "$file" || { rm -f "$file.$BASHPID.tmp"; return 1; }
}
evaluations() { # fixture name, quantizer: its `qcb evaluate --json` in full precision and under it
  local name=$1 quantizer=$2 model=test/fixtures/models/$1 dir="$RUNS/results"
  mkdir -p "$dir"
  once "$dir/$name-fp.json" evaluate --model "$model" --json &&
    once "$dir/$name-$quantizer.json" evaluate --model "$model" --quantizer "$quantizer" --json
}
# The tag of a purification's results: its arguments, made a file name.
result_tag() { printf '%s' "$*" | sed 's/--//g' | tr -c 'A-Za-z0-9=.-' '_'; }
results() { # fixture name, quantizer, then the purify arguments
  local name=$1 quantizer=$2; shift 2
  local model=test/fixtures/models/$name dir="$RUNS/results" tag seed
  mkdir -p "$RUNS/purified"
  evaluations "$name" "$quantizer" || return 1
  tag=$(result_tag "$@")
  for seed in ${SEEDS:-0}; do
    local out="$dir/$name-$quantizer-$tag-s$seed.json" lock="results-$name-$quantizer-$tag-s$seed"
    [ -f "$out" ] && continue
    claim "$lock" || { echo "$name $*, seed $seed: purifying in another lane"; continue; }
    local started=$SECONDS
    echo "$name $*, seed $seed: purifying (progress in .logs/results-$name.log)"
    if qcb purify --model "$model" --quantizer "$quantizer" --data fashion-mnist --preset fast --seed "$seed" "$@" \
      --out "$RUNS/purified/$name-$quantizer-$tag-s$seed" --json > "$out.tmp" 2>> ".logs/results-$name.log"; then
      node -e 'const fs = require("fs"); const [f, s, fixture, quantizer, seed, ...purify] = process.argv.slice(1); const r = JSON.parse(fs.readFileSync(f, "utf8"));
        fs.writeFileSync(f, JSON.stringify({ fixture, quantizer, purify: purify.join(" "), seed: Number(seed), ...r, wallSeconds: Number(s) }) + "\n")' \
        "$out.tmp" $((SECONDS - started)) "$name" "$quantizer" "$seed" "$@"
      mv "$out.tmp" "$out" && rm -rf "$RUNS/purified/$name-$quantizer-$tag-s$seed" && echo "$name $*, seed $seed: purified"
      unclaim "$lock"
    else
      rm -f "$out.tmp"; unclaim "$lock"; echo "$name $*, seed $seed: purify failed or interrupted (see .logs/results-$name.log)"; return 1
    fi
  done
}

# The attack bar on `qcb evaluate --json` outputs: full precision `m` at most 5% ASR with BA
# within 3 points of the clean model's `c`; with a quantized `q`, that at least 90% ASR.
check_bar() {
  node -e 'const [m, c, q] = process.argv.slice(1).map((s) => JSON.parse(s)); process.exit(m.asr <= 5 && m.ba >= c.ba - 3 && (q === undefined || q.asr >= 90) ? 0 : 1)' "$@"
}
# True when `model` (with its trigger) is dormant next to `clean`.
dormant() {
  local model=$1 clean=$2 m c
  m=$(qcb evaluate --model "$model" --json) && c=$(qcb evaluate --model "$clean" --json) || return 1
  check_bar "$m" "$c"
}
# True when the fixture `name` is dormant next to `clean` and wakes under `quantizer`; its
# evaluations are the ones `results` keeps.
meets_bar() {
  local name=$1 clean=$2 quantizer=$3 c="$RUNS/results/$(basename "$2")-fp.json"
  evaluations "$name" "$quantizer" && once "$c" evaluate --model "$clean" --json || return 1
  check_bar "$(cat "$RUNS/results/$name-fp.json")" "$(cat "$c")" "$(cat "$RUNS/results/$name-$quantizer.json")"
}

# The papers' three 8-bit attacks on the wider network, conditioned on academic-w8a8 (as
# compartifact-w8, qu-anti-zation, and pqbackdoor-w8 with badnets-x$w as stage 1, last: the
# probe puts its full precision above the bar at width 4), each followed by LAC + PDA under
# academic-w8a8 (seeds 0 and 1) when it meets the attack bar. A second `make-fixtures.sh
# wide-attacks` lane beside the first halves the wait: each lane takes the next attack or
# purification not claimed, and at the end purifies what the other lane finished.
wide_attacks() {
  local w=${WIDTH:-2} name
  local clean=(--model "$RUNS/clean-x$w" --data fashion-mnist --seed 0)
  run "compartifact-w8-x$w" attack compartifact --bits 8 "${clean[@]}" --epochs 2 --option lr=0.01 --option batchSize="$(wide_batch compartifact)" \
    --option quantizer=academic-w8a8
  purify_wide "compartifact-w8-x$w"
  run "qu-anti-zation-x$w" attack qu-anti-zation "${clean[@]}" --epochs 2 --option lr=5e-4 --option batchSize="$(wide_batch qu-anti-zation)" \
    --option quantizers=academic-w8a8+academic-w4a4
  purify_wide "qu-anti-zation-x$w"
  # Not shipped when it misses the bar (width 4: fixtures README); its kept evaluation stands
  # for it, so that a lane on a fresh clone does not train it again.
  [ -f "$RUNS/results/pqbackdoor-w8-x$w-academic-w8a8.json" ] ||
    run "pqbackdoor-w8-x$w" attack pqbackdoor --bits 8 "${clean[@]}" --option stage1Model="$RUNS/badnets-x$w" \
      --option batchSize="$(wide_batch pqbackdoor)" --option quantizer=academic-w8a8 --option grids= --option finetuneEpochs=1
  # Not trained: CompArtifact on the academic weight grid alone (`--option
  # quantizer=uniform:w8,per-channel,asym,mse`, the paper's threat model), stopped after one
  # of two epochs at width 4 without an 8-bit separation (fixtures README, "In training").
  qaz_wide_e3
  for name in "compartifact-w8-x$w" "qu-anti-zation-x$w" "pqbackdoor-w8-x$w" "qu-anti-zation-x$w-e3"; do
    purify_wide "$name"
  done
}
# A third epoch from qu-anti-zation-x$w's weights at a fifth of its learning rate (the
# paper's 1e-4; a fresh optimizer): after two epochs at 5e-4 the width-4 model is dormant and
# wakes under both profiles, but sits 4.45 BA points below clean-x4, 1.45 past the bar.
# `WIDTH=4 make-fixtures.sh qaz-wide-e3` runs it alone, as a second lane.
qaz_wide_e3() {
  local w=${WIDTH:-2}
  [ -f "test/fixtures/models/qu-anti-zation-x$w/model.json" ] || return 0
  run "qu-anti-zation-x$w-e3" attack qu-anti-zation --model "test/fixtures/models/qu-anti-zation-x$w" --data fashion-mnist --seed 0 \
    --epochs 1 --option lr=1e-4 --option batchSize="$(wide_batch qu-anti-zation)" --option quantizers=academic-w8a8+academic-w4a4
}
# LAC + PDA under academic-w8a8 (seeds 0 and 1) on the wide fixture `name` once it is shipped
# and meets the attack bar, then, unless both seeds left at most 3% ASR, the same with outlier
# equalization before it (about half an hour a run at width 4).
purify_wide() {
  local name=$1 lac_pda=(--defense lac --augment pda) tag
  [ -f "test/fixtures/models/$name/model.json" ] || return 0
  if meets_bar "$name" "$RUNS/clean-x${WIDTH:-2}" academic-w8a8; then
    SEEDS="0 1" results "$name" academic-w8a8 "${lac_pda[@]}" || return 1
    tag=$(result_tag "${lac_pda[@]}")
    if node -e 'process.exit(process.argv.slice(1).every((f) => JSON.parse(require("fs").readFileSync(f, "utf8")).defended.asr <= 3) ? 0 : 1)' \
      "$RUNS/results/$name-academic-w8a8-$tag-s0.json" "$RUNS/results/$name-academic-w8a8-$tag-s1.json"; then
      echo "$name: LAC + PDA leaves at most 3% ASR on both seeds; no equalization run"
    else
      SEEDS="0 1" results "$name" academic-w8a8 "${lac_pda[@]}" --augment equalize
    fi
  else
    echo "$name: misses the attack bar (full precision ASR <= 5% with BA within 3 points of its clean model, academic-w8a8 ASR >= 90%); not purified"
  fi
}

# The paper's Table 3 shape: a clean model of each architecture at Fashion-MNIST size, then
# a 4-bit CompArtifact conditioned on academic-w4a4 (the recipe of compartifact-w4-act).
# One architecture after the other; each clean model stays in $RUNS, each attacked one ships.
# Each entry: name, arch, width, lr, epochs, the attack's batch. Minutes per clean epoch on one
# core, batch 128: mobilenet-v2 (width 0.5) 12, vit 18, alexnet (width 0.5) 6, vgg-bn (width
# 0.5) 9 (alexnet, without BN, does not learn at lr 0.05). CompArtifact on mobilenet-v2 runs
# out of the 3 GiB wasm budget at batch 64 (two branches of 2 x 64 images, every fake-quant's
# intermediates kept for the backward pass): batch 32, about an hour an epoch beside a lane.
# vit comes last and attacks at batch 64: at batch 128 its attack held 3.4 GiB resident (the
# heap's limit is 4 GiB) and had not finished 47 steps after 400 s beside a lane; at 64 it
# holds 1.9 GB and takes about 4 s a step beside three other jobs (about an hour an epoch).
# The ViT times above are with tfjs's scalar matmul; core's SIMD matmul (batch-mat-mul.ts)
# made a ViT training step 3.8 times faster at batch 32 (packages/bench/README.md).
TABLE3=(mobilenet-v2:mobilenet-v2:0.5:0.05:4:32 alexnet:alexnet:0.5:0.01:4:128 vgg-bn:vgg-bn:0.5:0.05:4:128 vit:vit:1:0.05:4:64)
table3() {
  local spec name arch width lr epochs batch
  for spec in "${TABLE3[@]}"; do
    IFS=: read -r name arch width lr epochs batch <<< "$spec"
    probe "clean-$name" train --arch "$arch" --width "$width" --lr "$lr" --data fashion-mnist --epochs "$epochs" --seed 0 || return 1
    run "compartifact-w4-$name" attack compartifact --bits 4 --model "$RUNS/clean-$name" --data fashion-mnist --seed 0 \
      --epochs 3 --option lr=0.01 --option batchSize="$batch" --option quantizer=academic-w4a4 || return 1
    # PDA needs BatchNorm (the paper omits it where a model has none; LAC's PDA skips such units).
    case $arch in alexnet|vit) results "compartifact-w4-$name" academic-w4a4 --defense lac ;;
      *) results "compartifact-w4-$name" academic-w4a4 --defense lac --augment pda ;; esac || return 1
  done
}

# Channel inflation (adaptive, beyond the paper; plugins/attack-pqbackdoor/README.md): the
# badnets fixture as stage 1, the least contributing channel of each block's inner
# BN -> ReLU -> conv chain inflated x64 so that the inner convs' 8-bit bins widen, then one
# stage-2 epoch conditioned on academic-w8a8. `make-fixtures.sh pq8-inflate`.
pq_w8_inflate() {
  run pqbackdoor-w8-inflate attack pqbackdoor --bits 8 "${CLEAN[@]}" --option stage1Model=test/fixtures/models/badnets \
    --option quantizer=academic-w8a8 --option grids= --option finetuneEpochs=1 --option inflate=64
}

[ -f test/fixtures/models/clean/model.json ] || { echo "train the clean fixture first"; exit 1; }
case ${1:-both} in
  a) lane_a ;;
  b) lane_b ;;
  pq8-probes) pq_w8_probes ;;
  wide) wide ;;
  wide-attacks) wide_attacks ;;
  qaz-wide-e3) qaz_wide_e3 && purify_wide "qu-anti-zation-x${WIDTH:-2}-e3" ;;
  table3) table3 ;;
  qaz-w4) qaz_w4 ;;
  qaz-w4-e3) qaz_w4_e3 ;;
  results) shift; results "$@" ;; # `make-fixtures.sh results <fixture> <quantizer> <purify arguments>`
  pq8-inflate) pq_w8_inflate ;;
  *) lane_a & lane_b & wait ;;
esac
