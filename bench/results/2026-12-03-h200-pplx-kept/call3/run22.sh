#!/usr/bin/env bash
# Issue 17, call 3 (fresh machine): iq4_nl KV at depth 0, REPS=5, llama-bench alongside, with the JVM's own threads
# varied: A default JVM, 16 threads (-t 0 = one per physical core); B serial GC and no perf-data sampler, 16 threads;
# C as B with 15 threads; D as B and C1 only (TieredStopAtLevel=1), 16 threads
cd "$(dirname "$0")"
d=$(( $(date +%s) + 575 ))
mkdir -p /tmp/res3 "$OUT"
( while sleep 30; do tar -C /tmp/res3 -czf "$OUT/res3.tar.gz.part" . && mv "$OUT/res3.tar.gz.part" "$OUT/res3.tar.gz"; done ) & pk=$!
K="CTK=iq4_nl CTV=iq4_nl DEPTHS=0 REPS=5"
env -u OUT SHAPES=llama-3.1-8b WEIGHTS=f16 $K BUDGET_S=$(( d - $(date +%s) - 20 )) \
  timeout -k 3 $(( d - $(date +%s) - 10 )) ./scripts/gpu-run.sh /tmp/res3/A-default
export CTXBENCH_CACHE=/tmp/ctxbench-cache
export CTXBENCH_NATIVE_DIR=$(ls -d /tmp/ctxbench-cache/native/*cuda* | grep -v '\.log' | head -1)
T=/tmp/ctxbench-models/llama-3.1-8b-f16.gguf
Q="-XX:+UseSerialGC -XX:-UsePerfData"
run() { local n=$1 opts=$2 t=$3; local left=$(( d - $(date +%s) - 8 )); [ $left -gt 50 ] || return 0
  env -u OUT CTXBENCH_JAVA_OPTS="$opts" MODELS=$T $K SWEEP_ARGS="-t $t" BUDGET_S=$(( left < 90 ? left : 90 )) \
    timeout -k 3 $left ./scripts/gpu-run.sh /tmp/res3/$n; }
run B-serial-noperf-t16 "$Q" 16
run C-serial-noperf-t15 "$Q" 15
run D-serial-noperf-c1-t16 "$Q -XX:TieredStopAtLevel=1" 16
kill $pk; tar -C /tmp/res3 -czf "$OUT/res3.tar.gz" .
