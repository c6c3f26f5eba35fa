#!/usr/bin/env bash
# kill -9 soak (issue 14): kills a tiny LoRA training at random moments (mid-step, mid-save, mid-rotation, mid-final-save),
# resumes it each time, and checks that every interrupted run ends with the same final adapter as an uninterrupted one and
# leaves no temporary folders. Prints the figures the README's "Reliability" section reports.
#   scripts/kill9-soak.sh [TRIALS] [SEED]      (defaults: 9 trials × 3 kill attempts, ≥ 20 kills, seed from the date)
# Needs the CLI built: dotnet build src/TuneSharp.Cli -c Release.
set -uo pipefail
cd "$(dirname "$0")/.."

trials="${1:-${TUNESHARP_SOAK_TRIALS:-9}}"
seed="${2:-${TUNESHARP_SOAK_SEED:-$(date -u +%Y%m%d)}}"
kills_per_trial=3
cli="src/TuneSharp.Cli/bin/Release/net10.0/tunesharp.dll"
model="../shared/assets/models/tinystories-656k"
[ -f "$cli" ] || { echo "kill9-soak: $cli not built (dotnet build src/TuneSharp.Cli -c Release)"; exit 1; }
[ -d "$model" ] || { echo "kill9-soak: $model not found"; exit 1; }
model="$(cd "$model" && pwd)"
RANDOM=$((seed % 32768))

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 24 tokenized rows of a learnable pattern (ids < 2048, the model's vocabulary).
data="$work/rows.jsonl"
for r in $(seq 0 23); do
  ids="" ; x=$(( (r * 37 + 5) % 2000 + 3 ))
  for i in $(seq 0 19); do ids="$ids${ids:+,}$x"; x=$(( (x * 3 + 1) % 2000 + 3 )); done
  echo "{\"input_ids\": [$ids], \"labels\": [$ids]}" >> "$data"
done

run() { # run DIR — one training (resuming whatever the folder holds), output to DIR.log
  dotnet "$cli" train "model.name_or_path=$model" "dataset.path=$data" dataset.format=tokenized \
    lora.r=8 lora.lora_alpha=16 "lora.target_modules=[q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]" \
    "training.output_dir=$1" training.max_steps=16 training.save_steps=2 training.save_total_limit=2 training.logging_steps=1 \
    training.per_device_train_batch_size=2 training.max_seq_length=32 training.learning_rate=1e-3 training.threads=1 \
    training.seed=7 training.resume_from_checkpoint=true "tracking.report_to=[jsonl]" >> "$1.log" 2>&1
}

leftovers() { find "$1" -maxdepth 2 \( -name '.tmp-*' -o -name '.old-*' -o -name '.trash-*' -o -name '.*.tmp' \) | wc -l; }

start=$(date +%s.%N)
run "$work/reference" || { echo "kill9-soak: the uninterrupted run failed:"; tail -20 "$work/reference.log"; exit 1; }
ref_hash=$(sha256sum "$work/reference/adapter_model.safetensors" | cut -d' ' -f1)
ref_seconds=$(awk "BEGIN { print $(date +%s.%N) - $start }")
# Kill moments are drawn over the whole run, startup included; saves happen every second step.
max_ms=$(awk "BEGIN { printf \"%d\", $ref_seconds * 1000 }")

kills=0; resumed=0; same=0; differ=0; left=0; failed_runs=0; lost=0
for t in $(seq 1 "$trials"); do
  dir="$work/trial-$t"
  for k in $(seq 1 "$kills_per_trial"); do
    run "$dir" 2>/dev/null &
    pid=$!
    delay_ms=$(( RANDOM * 32768 + RANDOM )); delay_ms=$(( delay_ms % max_ms + 50 ))
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    # kill -9 the dotnet process itself (the subshell's child), not just the subshell.
    child=$(pgrep -P "$pid" -x dotnet || true)
    if [ -n "$child" ]; then kill -9 "$child" 2>/dev/null && kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null
  done
  if run "$dir"; then
    resumed=$((resumed + 1))
    h=$(sha256sum "$dir/adapter_model.safetensors" | cut -d' ' -f1)
    if [ "$h" = "$ref_hash" ]; then same=$((same + 1)); else differ=$((differ + 1)); echo "trial $t: final adapter differs from the uninterrupted run"; fi
    n=$(leftovers "$dir"); left=$((left + n)); [ "$n" -eq 0 ] || { echo "trial $t: $n temporary file(s)/folder(s) left:"; find "$dir" -maxdepth 2 -name '.*'; }
    summaries=$(grep -c train_runtime "$dir/metrics.jsonl")
    steps=$(grep -c '"loss"' "$dir/metrics.jsonl")
    if [ "$summaries" -ne 1 ] || [ "$steps" -ne 16 ]; then lost=$((lost + 1)); echo "trial $t: metrics.jsonl has $steps step rows and $summaries summaries (want 16 and 1)"; fi
  else
    failed_runs=$((failed_runs + 1)); echo "trial $t: the final resume failed:"; tail -15 "$dir.log"
  fi
done
seconds=$(awk "BEGIN { printf \"%d\", $(date +%s.%N) - $start }")
echo "kill9-soak: seed $seed, $trials trials, $kills kills -9 (reference run ${ref_seconds%.*}s), $resumed resumed to completion, $same identical final adapters, $differ differing, $failed_runs failed resumes, $left temp leftovers, $lost metrics mismatches, ${seconds}s"
[ "$kills" -ge 20 ] && [ "$same" -eq "$trials" ] && [ "$left" -eq 0 ] && [ "$lost" -eq 0 ] && [ "$failed_runs" -eq 0 ]
