#!/usr/bin/env bash
# Issue 17's CPU acceptance for the KV types (docs/kv-types.md): KL and top-1 agreement vs FP16 (f16 cache) for
# every level-3 KV method (one type for K and V, a mixed pair, rotation on/off), teacher-forced on the first 32
# tokens FP16 generated for 3 multi_news samples cut to 512 prompt tokens (a quantized cache prefills slowly on CPU), on SmolLM2-135M-Instruct and Gemma-3-270M.
# One thread (THREADS): on the shared 2-core VM, two threads under a load of ~10 made ggml's thread barriers spin
# (decode 0.9 tok/s against 15.8 with one, SmolLM2 F16, 2026-12-02); KL does not depend on the thread count.
# The jar runs from a copy (JAR, default: a copy of target/ctxbench.jar), so a rebuild cannot pull it from under the run.
set -u
cd "$(dirname "$0")/../../.."
runs=${RUNS:-/work/runs/kvtypes}; mkdir -p "$runs"
jar=${JAR:-$runs/ctxbench.jar}; [ -f "$jar" ] || cp target/ctxbench.jar "$jar"
export CTXBENCH_NATIVE_DIR=${CTXBENCH_NATIVE_DIR:-$(native/build.sh --print-dir)}
M=/root/.cache/ctxbench/models
methods=FP16,KV-Q8,KV-Q8-norot,KV-Q5_1,KV-Q5,KV-Q4_1,KV-Q4,KV-Q4-norot,KV-IQ4NL,KV-K8V4
for m in ${MODELS:-SmolLM2-135M-Instruct.Q4_1 gemma-3-270m-q4_k_m}; do
  out=$runs/cpu-kv-types-$m
  args=(eval -m $M/$m.gguf --methods $methods --data /work/shared/data/longbench/multi_news.jsonl --limit ${LIMIT:-3}
        --max-length ${MAXLEN:-512} --max-new-tokens 32 --fidelity ${LIMIT:-3} --fidelity-tokens 32 -t ${THREADS:-1} --out $out)
  [ -d $out ] && args+=(--resume)
  echo "== $m $(date -u +%T)"
  /usr/bin/time -f "wall %e s, max RSS %M KB" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java --enable-native-access=ALL-UNNAMED \
      -jar "$jar" "${args[@]}"
  echo "== $m done rc=$? $(date -u +%T)"
done
