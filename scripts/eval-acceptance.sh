#!/usr/bin/env bash
# Issue 4 acceptance run on CPU: SmolLM2-135M-Instruct, first 20 samples of multi_news and qasper_cachegen60,
# level-1 methods FP16 (F16 expansion of the shipped Q4_1), W4A16 (Q4_K_M), KV-Q (q4_0 K/V) and FP16_c,
# killed with kill -9 mid-run, resumed, checked for lost/duplicated lines, then reported.
# Usage: scripts/eval-acceptance.sh OUT_DIR [extra eval flags]   (env: CTXBENCH = command that runs the CLI,
#        SHARED = ../shared, KILL_AFTER = results lines before the kill, default 30,
#        LIMIT = samples per task, default 20)
set -euo pipefail
OUT=${1:?usage: eval-acceptance.sh OUT_DIR [eval flags]}; shift || true
CTX=${CTXBENCH:-scripts/ctxbench}
SHARED=${SHARED:-../shared}
KILL_AFTER=${KILL_AFTER:-30}
LIMIT=${LIMIT:-20}
EXPECTED=$((4 * 2 * LIMIT))
NATIVE=${CTXBENCH_NATIVE:-$(ls -d "$HOME"/.cache/ctxbench/native/*-cpu-* | head -1)}
MODELS=${MODELS_DIR:-$HOME/.cache/ctxbench/models}
Q41=$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf
F16=$MODELS/SmolLM2-135M-Instruct.F16.gguf
Q4KM=$MODELS/SmolLM2-135M-Instruct.Q4_K_M.gguf
# the F16 expansion and the Q4_K_M file (llama.cpp's own quantize tool until `ctxbench models quantize` is merged)
[ -f "$F16" ] || LD_LIBRARY_PATH=$NATIVE/lib "$NATIVE/bin/llama-quantize" --allow-requantize "$Q41" "$F16" F16 2 >/dev/null
[ -f "$Q4KM" ] || LD_LIBRARY_PATH=$NATIVE/lib "$NATIVE/bin/llama-quantize" "$F16" "$Q4KM" Q4_K_M 2 >/dev/null
ARGS=(eval -m "$F16" --variant "q4_k_m=$Q4KM" --methods FP16,W4A16,KV-Q,FP16_c
      --data "$SHARED/data/longbench/multi_news.jsonl" --data "$SHARED/data/longbench/qasper_cachegen60.jsonl"
      --limit "$LIMIT" -o "$OUT" "$@")
mkdir -p "$OUT"
START=$(date +%s)
# first run, killed with SIGKILL once KILL_AFTER lines are written
$CTX "${ARGS[@]}" 2>"$OUT/first-run.log" &
PID=$!
while kill -0 $PID 2>/dev/null; do
  n=$(wc -l <"$OUT/results.jsonl" 2>/dev/null || echo 0)
  if [ "$n" -ge "$KILL_AFTER" ]; then
    sleep 3   # land the kill somewhere inside the next sample
    JPID=$(pgrep -P $PID java || echo $PID)
    kill -9 "$JPID" $PID 2>/dev/null || true
    echo "killed with SIGKILL after $(wc -l <"$OUT/results.jsonl") complete line(s); last byte: $(tail -c1 "$OUT/results.jsonl" | od -An -c)"
    break
  fi
  sleep 2
done
wait $PID 2>/dev/null || true
BEFORE=$(grep -c '' "$OUT/results.jsonl")
# resume until done
$CTX "${ARGS[@]}" --resume 2>"$OUT/resume.log"
END=$(date +%s)
LINES=$(grep -c '' "$OUT/results.jsonl")
UNIQUE=$(python3 -c "import json,sys; print(len({json.loads(l)['key'] for l in open(sys.argv[1])}))" "$OUT/results.jsonl")
echo "lines before resume: $BEFORE; after: $LINES; unique keys: $UNIQUE; expected: $EXPECTED; wall: $((END-START)) s"
[ "$LINES" = "$EXPECTED" ] && [ "$UNIQUE" = "$EXPECTED" ] && echo "RESUME CHECK: OK (no lost or duplicated line)" || { echo "RESUME CHECK: FAILED"; exit 1; }
grep -h "summary" "$OUT/resume.log" | tail -1
