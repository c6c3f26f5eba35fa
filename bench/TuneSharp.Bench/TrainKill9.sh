#!/bin/bash
# kill -9 the CLI at random moments while it saves a checkpoint every step; every restart resumes (resume_from_checkpoint=true).
# Needs data.jsonl (pre-tokenized rows) in $WORK; prints the checkpoints left after each kill and the final run status.
CLI=${CLI:-/tmp/art-train/bin/TuneSharp.Cli/release/tunesharp}; M=${MODEL:-../shared/assets/models/tinystories-656k}
cd "${WORK:-/tmp/clitest}"; rm -rf k9
run() { $CLI train --model $M --data data.jsonl --data-format tokenized --output-dir k9 --max-steps 30 --save-steps 1 --save-total-limit 3 \
   --per-device-train-batch-size 4 --learning-rate 1e-3 --logging-steps 1 --seed 0 --resume-from-checkpoint true "$@"; }
for i in $(seq 1 10); do
  run > k9-$i.log 2>&1 &
  pid=$!
  sleep $(python3 -c "import random; print(round(random.uniform(0.8, 2.5), 2))")
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  last=$(grep -o "step [0-9]*/30" k9-$i.log | tail -1)
  resumed=$(grep -o "resumed from [^ ]* at step [0-9]*" k9-$i.log)
  err=$(grep -i "error" k9-$i.log)
  echo "run $i: $resumed; last log '$last'; ckpts: $(ls -a k9 | grep checkpoint | tr '\n' ' ') $err"
done
run > k9-final.log 2>&1; echo "final rc=$? $(tail -1 k9-final.log)"
