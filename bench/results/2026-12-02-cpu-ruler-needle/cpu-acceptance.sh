#!/usr/bin/env bash
# Issue 15's CPU acceptance run: RULER (niah_single_1, vt; 3 samples a cell) at 1k-8k and the needle grid
# (5 depths, 1 sample a cell) for FP16/W4A16/KV-Q8/KV-Q, on SmolLM2-135M-Instruct and Gemma-3-270M.
set -u
cd /work/main
M=/root/.cache/ctxbench/models
common=(--methods FP16,W4A16,KV-Q8,KV-Q --lengths 1k,2k,4k,8k --fidelity 1 --ruler-data /work/shared/data -t 2)
for m in SmolLM2-135M-Instruct.Q4_1 gemma-3-270m-q4_k_m; do
  for kind in ruler needle; do
    out=/work/runs/cpu-$kind-$m
    if [ $kind = ruler ]; then what=(--ruler niah_single_1,vt --samples 3); else what=(--needle --depths 5 --samples 1); fi
    args=(eval -m $M/$m.gguf "${common[@]}" "${what[@]}" --out $out)
    [ -d $out ] && args+=(--resume)
    echo "== $m $kind $(date -u +%T)"
    /usr/bin/time -f "wall %e s, max RSS %M KB" scripts/ctxbench "${args[@]}"
    echo "== $m $kind done rc=$? $(date -u +%T)"
  done
done
