#!/usr/bin/env bash
# Issue 17, call B (on call A's machine): iq4_nl KV at depth 0, REPS=5, with the default threads (-t 0: one per
# physical core), then 16 threads with the JVM's own threads kept quiet (serial GC, no perf-data sampler, C1 only)
cd "$(dirname "$0")"; mkdir -p /tmp/res2 "$OUT"
export CTXBENCH_CACHE=/tmp/ctxbench-cache
export CTXBENCH_NATIVE_DIR=$(ls -d /tmp/ctxbench-cache/native/*cuda* | grep -v '\.log' | head -1)
[ -n "$CTXBENCH_NATIVE_DIR" ] || { echo "cold machine"; exit 0; }
T=/tmp/ctxbench-models/llama-3.1-8b-f16.gguf
env -u OUT MODELS=$T CTK=iq4_nl CTV=iq4_nl DEPTHS=0 REPS=5 BUDGET_S=120 timeout -k 3 125 ./scripts/gpu-run.sh /tmp/res2/iq4nl-d0-tdefault
env -u OUT CTXBENCH_JAVA_OPTS="-XX:+UseSerialGC -XX:-UsePerfData -XX:TieredStopAtLevel=1" MODELS=$T CTK=iq4_nl CTV=iq4_nl DEPTHS=0 REPS=5 \
  BUDGET_S=120 SWEEP_ARGS="-t 16" timeout -k 3 125 ./scripts/gpu-run.sh /tmp/res2/iq4nl-d0-t16-quietjvm
tar -C /tmp/res2 -czf "$OUT/res2.tar.gz" .
