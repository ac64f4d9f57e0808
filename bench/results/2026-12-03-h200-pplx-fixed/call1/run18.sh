#!/usr/bin/env bash
# Issue 17, call 1: eval FP16 vs FP16_c:perplexity (merged) vs FP16_c:perplexity-fixed at 16k/32k, then compress --profile merged vs fixed at 32k
cd "$(dirname "$0")"
d=$(( $(date +%s) + 575 ))
mkdir -p /tmp/res "$OUT"
( while sleep 30; do tar -C /tmp/res -czf "$OUT/res.tar.gz.part" . && mv "$OUT/res.tar.gz.part" "$OUT/res.tar.gz"; done ) & pk=$!
S=/tmp/ctxbench-models/smollm2-135m-f16.gguf T=/tmp/ctxbench-models/llama-3.1-8b-f16.gguf
env -u OUT SHAPES=llama-3.1-8b,smollm2-135m WEIGHTS=f16 SWEEP=0 BUDGET_S=560 \
  EVAL_ARGS="--methods FP16,FP16_c:perplexity,FP16_c:perplexity-fixed --compressor-model $S --ruler niah_single_1 --lengths 16k,32k --samples 2 --fidelity 0" \
  timeout -k 3 $(( d - $(date +%s) - 60 )) ./scripts/gpu-run.sh /tmp/res/eval18
export CTXBENCH_CACHE=/tmp/ctxbench-cache
export CTXBENCH_NATIVE_DIR=$(ls -d /tmp/ctxbench-cache/native/*cuda* | grep -v '\.log' | head -1)
mkdir -p /tmp/res/compress32k
for v in "fixed device" "merged device" "fixed host" ; do
  set -- $v; left=$(( d - $(date +%s) - 5 )); [ $left -gt 15 ] || break
  timeout -k 2 $left ./ctxbench compress -f data/long32k.txt -m $S --target-model $T --profile --json --no-progress \
    --calls $1 --reduction $2 > /tmp/res/compress32k/$1-$2.json 2> /tmp/res/compress32k/$1-$2.log
done
kill $pk; tar -C /tmp/res -czf "$OUT/res.tar.gz" .
