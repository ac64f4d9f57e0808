#!/usr/bin/env bash
# Issue 17's CPU acceptance for low-bit weights: KL and top-1 agreement against FP16 (the F16 expansion of the
# packaged file) for W8, W6, W5, W-IQ4XS, W4A16, W3, W-IQ3XXS, W2, W-IQ2XS on SmolLM2-135M-Instruct and Gemma-3-270M.
# The variants (and the importance matrix, over the built-in calibration text) are made by eval on demand.
# Short on purpose (2 shared cores): 8 multi_news samples cut to 320 prompt tokens, 24 generated tokens, fidelity on
# all 8 samples over the 24 positions of FP16's answer.
set -u
cd "$(dirname "$0")/../../.."
M=/root/.cache/ctxbench/models
methods=FP16,W8,W6,W5,W-IQ4XS,W4A16,W3,W-IQ3XXS,W2,W-IQ2XS
for m in SmolLM2-135M-Instruct.Q4_1 gemma-3-270m-q4_k_m; do
  out=/work/runs/lowbit-$m
  args=(eval -m $M/$m.gguf --methods $methods --data /work/shared/data/longbench/multi_news.jsonl --limit 8
        --max-length 320 --max-new-tokens 24 --fidelity 8 --fidelity-tokens 24 -t 1 --out $out)
  [ -d $out ] && args+=(--resume)
  echo "== $m $(date -u +%T)"
  /usr/bin/time -f "wall %e s, max RSS %M KB" scripts/ctxbench "${args[@]}"
  echo "== $m done rc=$? $(date -u +%T)"
done
