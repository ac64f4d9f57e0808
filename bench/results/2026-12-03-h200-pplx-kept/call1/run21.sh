#!/usr/bin/env bash
# Issue 17, call A: eval FP16 vs FP16_c:perplexity at 16k/32k (5 samples a length; the scoring session kept between
# samples, a warm-up compression before the first), then compress --profile on two 16k halves with a question (the
# second reuses the session) and on the 32k text
cd "$(dirname "$0")"
d=$(( $(date +%s) + 578 ))
mkdir -p /tmp/res "$OUT"
( while sleep 30; do tar -C /tmp/res -czf "$OUT/res.tar.gz.part" . && mv "$OUT/res.tar.gz.part" "$OUT/res.tar.gz"; done ) & pk=$!
(lscpu; cat /sys/devices/system/cpu/cpu*/topology/thread_siblings | sort | uniq -c) > /tmp/res/lscpu.txt 2>&1
S=/tmp/ctxbench-models/smollm2-135m-f16.gguf T=/tmp/ctxbench-models/llama-3.1-8b-f16.gguf
env -u OUT SHAPES=llama-3.1-8b,smollm2-135m WEIGHTS=f16 SWEEP=0 BUDGET_S=560 \
  EVAL_ARGS="--methods FP16,FP16_c:perplexity --compressor-model $S --ruler niah_single_1 --lengths 16k,32k --samples 5 --fidelity 0" \
  timeout -k 3 $(( d - $(date +%s) - 30 )) ./scripts/gpu-run.sh /tmp/res/eval21
export CTXBENCH_CACHE=/tmp/ctxbench-cache
export CTXBENCH_NATIVE_DIR=$(ls -d /tmp/ctxbench-cache/native/*cuda* | grep -v '\.log' | head -1)
mkdir -p /tmp/res/compress
left=$(( d - $(date +%s) - 5 ))
[ $left -gt 12 ] && timeout -k 2 $left ./ctxbench compress --data two16k.jsonl --limit 2 -m $S --target-model $T --profile --json --no-progress \
    > /tmp/res/compress/two16k.json 2> /tmp/res/compress/two16k.log
left=$(( d - $(date +%s) - 5 ))
[ $left -gt 12 ] && timeout -k 2 $left ./ctxbench compress -f data/long32k.txt -m $S --target-model $T --profile --json --no-progress \
    > /tmp/res/compress/long32k.json 2> /tmp/res/compress/long32k.log
kill $pk; tar -C /tmp/res -czf "$OUT/res.tar.gz" .
