#!/usr/bin/env bash
# Continues issue 15's CPU acceptance run after SmolLM2's RULER part: SmolLM2's needle grid (1k-4k, 5 depths; KV-Q's
# CPU prefill runs at 60-70 t/s, so 8k is RULER's alone), then Gemma-3-270M
# with fewer samples (the jar of main at 04ba772, frozen so that merges do not rebuild it mid-run)
# (RULER 2 a cell, needle 1k-4k) to fit the session on 2 shared cores.
set -u
cd /work/main
while pgrep -f "ctxbench-frozen.jar eval" >/dev/null; do sleep 10; done
M=/root/.cache/ctxbench/models
common=(--methods FP16,W4A16,KV-Q8,KV-Q --fidelity 1 --ruler-data /work/shared/data -t 2)
run() {
  local m=$1 kind=$2; shift 2
  out=/work/runs/cpu-$kind-$m
  args=(eval -m $M/$m.gguf "${common[@]}" "$@" --out $out)
  [ -d $out ] && args+=(--resume)
  echo "== $m $kind $(date -u +%T)"
  CTXBENCH_NATIVE_DIR=/root/.cache/ctxbench/native/de3ff815-cpu-d81e8071d0 /usr/bin/time -f "wall %e s, max RSS %M KB" \
    /usr/lib/jvm/temurin-25-jdk-amd64/bin/java --enable-native-access=ALL-UNNAMED -jar /work/runs/ctxbench-frozen.jar "${args[@]}"
  echo "== $m $kind done rc=$? $(date -u +%T)"
}

run gemma-3-270m-q4_k_m ruler --ruler niah_single_1,vt --samples 2 --lengths 1k,2k,4k,8k
run gemma-3-270m-q4_k_m needle --needle --depths 3 --samples 1 --lengths 1k,2k,4k
