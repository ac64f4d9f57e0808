#!/usr/bin/env bash
cd "$(dirname "$0")"; mkdir -p /tmp/res2 "$OUT"
export CTXBENCH_CACHE=/tmp/ctxbench-cache
export CTXBENCH_NATIVE_DIR=$(ls -d /tmp/ctxbench-cache/native/*cuda* | grep -v '\.log' | head -1)
[ -n "$CTXBENCH_NATIVE_DIR" ] || { echo "cold machine"; exit 0; }
T=/tmp/ctxbench-models/llama-3.1-8b-f16.gguf
for t in 15 16; do
env -u OUT MODELS=$T CTK=iq4_nl CTV=iq4_nl DEPTHS=0 REPS=5 BUDGET_S=120 SWEEP_ARGS="-t $t" timeout -k 3 125 ./scripts/gpu-run.sh /tmp/res2/iq4nl-d0-t$t
done
tar -C /tmp/res2 -czf "$OUT/res2.tar.gz" .
