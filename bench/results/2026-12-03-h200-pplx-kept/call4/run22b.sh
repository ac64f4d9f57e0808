#!/usr/bin/env bash
# Issue 17, call 4 (call 3's machine): the as-shipped configuration (default JVM, -t 0) twice more, iq4_nl depth 0 REPS=5
cd "$(dirname "$0")"; mkdir -p /tmp/res4 "$OUT"
export CTXBENCH_CACHE=/tmp/ctxbench-cache
export CTXBENCH_NATIVE_DIR=$(ls -d /tmp/ctxbench-cache/native/*cuda* | grep -v '\.log' | head -1)
[ -n "$CTXBENCH_NATIVE_DIR" ] || { echo "cold machine"; exit 0; }
T=/tmp/ctxbench-models/llama-3.1-8b-f16.gguf
for i in 1 2; do
env -u OUT MODELS=$T CTK=iq4_nl CTV=iq4_nl DEPTHS=0 REPS=5 BUDGET_S=90 timeout -k 3 95 ./scripts/gpu-run.sh /tmp/res4/A-default-$i
done
tar -C /tmp/res4 -czf "$OUT/res4.tar.gz" .
