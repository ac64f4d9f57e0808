#!/usr/bin/env bash
# Issue 17, LLMLingua-2 call B (warm, the same node as call A): eval FP16 vs FP16_c:perplexity at 16k/32k with the
# SmolLM2-shaped scorer (the comparison on the same machine), then FP16 vs FP16_c:llmlingua2 again
cd "$(dirname "$0")"
d=$(( $(date +%s) + 578 ))
mkdir -p /tmp/res2 "$OUT"
( while sleep 30; do tar -C /tmp/res2 -czf "$OUT/res.tar.gz.part" . && mv "$OUT/res.tar.gz.part" "$OUT/res.tar.gz"; done ) & pk=$!
export CTXBENCH_CACHE=/tmp/ctxbench-cache
export CTXBENCH_NATIVE_DIR=$(ls -d /tmp/ctxbench-cache/native/*cuda* | grep -v '\.log' | head -1)
W=/tmp/ctxbench-models
C=$W/xlm-roberta-large-llmlingua2-f16.gguf S=$W/smollm2-135m-f16.gguf T=$W/llama-3.1-8b-f16.gguf
./ctxbench info --json > /tmp/res2/manifest.json 2>/dev/null
left=$(( d - $(date +%s) - 5 ))
timeout -k 2 $(( left / 2 )) ./ctxbench eval -m $T --methods FP16,FP16_c:perplexity --compressor-model $S --ruler niah_single_1 \
  --lengths 16k,32k --samples 5 --fidelity 0 --out /tmp/res2/eval-pplx > /dev/null 2> /tmp/res2/eval-pplx.log
left=$(( d - $(date +%s) - 5 ))
[ $left -gt 30 ] && timeout -k 2 $left ./ctxbench eval -m $T --methods FP16,FP16_c:llmlingua2 --compressor-model $C --ruler niah_single_1 \
  --lengths 16k,32k --samples 5 --fidelity 0 --out /tmp/res2/eval-ll2 > /dev/null 2> /tmp/res2/eval-ll2.log
kill $pk; tar -C /tmp/res2 -czf "$OUT/res.tar.gz" .
