#!/usr/bin/env bash
# Issue 17, LLMLingua-2 call C (fresh node), after the encoder grows llama.cpp's output buffer once at open: eval FP16 vs
# FP16_c:llmlingua2 at 16k/32k (5 samples a length), eval FP16 vs FP16_c:perplexity on the same node, then
# `compress --compressor llmlingua2` on the 32k text and on two 16k texts (fresh processes)
cd "$(dirname "$0")"
d=$(( $(date +%s) + 585 ))
mkdir -p /tmp/res "$OUT"
( while sleep 30; do tar -C /tmp/res -czf "$OUT/res.tar.gz.part" . && mv "$OUT/res.tar.gz.part" "$OUT/res.tar.gz"; done ) & pk=$!
(lscpu; cat /sys/devices/system/cpu/cpu*/topology/thread_siblings | sort | uniq -c) > /tmp/res/lscpu.txt 2>&1
W=/tmp/ctxbench-models
C=$W/xlm-roberta-large-llmlingua2-f16.gguf S=$W/smollm2-135m-f16.gguf T=$W/llama-3.1-8b-f16.gguf
env -u OUT SHAPES=llama-3.1-8b,xlm-roberta-large-llmlingua2,smollm2-135m WEIGHTS=f16 SWEEP=0 BUDGET_S=460 \
  EVAL_ARGS="--methods FP16,FP16_c:llmlingua2 --compressor-model $C --ruler niah_single_1 --lengths 16k,32k --samples 5 --fidelity 0" \
  timeout -k 3 $(( d - $(date +%s) - 100 )) ./scripts/gpu-run.sh /tmp/res/eval24
export CTXBENCH_CACHE=/tmp/ctxbench-cache
export CTXBENCH_NATIVE_DIR=$(ls -d /tmp/ctxbench-cache/native/*cuda* | grep -v '\.log' | head -1)
mkdir -p /tmp/res/compress
left=$(( d - $(date +%s) - 5 ))
[ $left -gt 12 ] && timeout -k 2 $(( left < 30 ? left : 30 )) ./ctxbench compress --compressor llmlingua2 -f data/long32k.txt -m $C --target-model $T --json \
    > /tmp/res/compress/long32k.json 2> /tmp/res/compress/long32k.log
left=$(( d - $(date +%s) - 5 ))
[ $left -gt 12 ] && timeout -k 2 $(( left < 30 ? left : 30 )) ./ctxbench compress --compressor llmlingua2 --data two16k.jsonl --limit 2 -m $C --target-model $T --json \
    > /tmp/res/compress/two16k.json 2> /tmp/res/compress/two16k.log
left=$(( d - $(date +%s) - 5 ))
[ $left -gt 40 ] && timeout -k 2 $left ./ctxbench eval -m $T --methods FP16,FP16_c:perplexity --compressor-model $S --ruler niah_single_1 \
  --lengths 16k,32k --samples 5 --fidelity 0 --out /tmp/res/eval-pplx > /dev/null 2> /tmp/res/eval-pplx.log
kill $pk; tar -C /tmp/res -czf "$OUT/res.tar.gz" .
