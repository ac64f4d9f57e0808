#!/usr/bin/env bash
# Issue 17, call 2 (after the row-copy fix, auto = fixed on GPU): eval FP16 vs FP16_c:perplexity at 16k/32k (3 samples),
# iq4_nl KV at depth 0 REPS=5 with llama-bench, then compress --profile variants at 32k
cd "$(dirname "$0")"
d=$(( $(date +%s) + 578 ))
mkdir -p /tmp/res "$OUT"
( while sleep 30; do tar -C /tmp/res -czf "$OUT/res.tar.gz.part" . && mv "$OUT/res.tar.gz.part" "$OUT/res.tar.gz"; done ) & pk=$!
S=/tmp/ctxbench-models/smollm2-135m-f16.gguf T=/tmp/ctxbench-models/llama-3.1-8b-f16.gguf
env -u OUT SHAPES=llama-3.1-8b,smollm2-135m WEIGHTS=f16 SWEEP=0 BUDGET_S=560 \
  EVAL_ARGS="--methods FP16,FP16_c:perplexity --compressor-model $S --ruler niah_single_1 --lengths 16k,32k --samples 3 --fidelity 0" \
  timeout -k 3 $(( d - $(date +%s) - 30 )) ./scripts/gpu-run.sh /tmp/res/eval19
export CTXBENCH_CACHE=/tmp/ctxbench-cache
export CTXBENCH_NATIVE_DIR=$(ls -d /tmp/ctxbench-cache/native/*cuda* | grep -v '\.log' | head -1)
left=$(( d - $(date +%s) - 45 ))
if [ $left -gt 40 ]; then
  b=$(( left < 150 ? left : 150 ))
  env -u OUT MODELS=$T CTK=iq4_nl CTV=iq4_nl DEPTHS=0 REPS=5 BUDGET_S=$b timeout -k 3 $(( b + 5 )) ./scripts/gpu-run.sh /tmp/res/iq4nl-d0
fi
mkdir -p /tmp/res/compress32k
for v in "auto device" "merged device" "fixed device --segment 512" "fixed host"; do
  set -- $v; left=$(( d - $(date +%s) - 5 )); [ $left -gt 12 ] || break
  n=$(echo "$v" | tr -d ' -')
  timeout -k 2 $left ./ctxbench compress -f data/long32k.txt -m $S --target-model $T --profile --json --no-progress \
    --calls $1 --reduction $2 ${3:-} ${4:-} > /tmp/res/compress32k/$n.json 2> /tmp/res/compress32k/$n.log
done
kill $pk; tar -C /tmp/res -czf "$OUT/res.tar.gz" .
