#!/usr/bin/env bash
# Issue 4 acceptance run on CPU (and issue 5's FP16_c vs FP16 comparison): SmolLM2-135M-Instruct, first LIMIT samples
# of multi_news and qasper_cachegen60, methods FP16 (the F16 expansion of the shipped Q4_1 file), W4A16 (Q4_K_M),
# KV-Q (q4_0 K/V), FP16_c (extractive compressor) and FP16_c:perplexity (perplexity compressor), in one run folder.
# The F16 and Q4_K_M files are made by `ctxbench eval` itself (llama_model_quantize over FFM, cached under
# <models dir>/variants/). The run is killed with kill -9 once KILL_AFTER result lines exist, resumed with --resume,
# checked for lost or duplicated lines, and reported (md, csv, json, png, svg, html).
# Usage: scripts/eval-acceptance.sh OUT_DIR [extra eval flags, e.g. --max-length 2048 --max-new-tokens 64 -t 2]
# Env: CTXBENCH = command that runs the CLI (default scripts/ctxbench), SHARED = ../shared, MODELS_DIR = models
#      folder (default ~/.cache/ctxbench/models), KILL_AFTER = result lines before the kill (default 90),
#      LIMIT = samples per task (default 20), METHODS (default FP16,W4A16,KV-Q,FP16_c,FP16_c:perplexity).
set -euo pipefail
OUT=${1:?usage: eval-acceptance.sh OUT_DIR [eval flags]}; shift || true
CTX=${CTXBENCH:-scripts/ctxbench}
SHARED=${SHARED:-../shared}
KILL_AFTER=${KILL_AFTER:-90}
LIMIT=${LIMIT:-20}
METHODS=${METHODS:-FP16,W4A16,KV-Q,FP16_c,FP16_c:perplexity}
NMETHODS=$(echo "$METHODS" | tr ',' '\n' | grep -c .)
EXPECTED=$((NMETHODS * 2 * LIMIT))
MODELS=${MODELS_DIR:-$HOME/.cache/ctxbench/models}
Q41=$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf
ARGS=(eval -m "$Q41" --methods "$METHODS"
      --data "$SHARED/data/longbench/multi_news.jsonl" --data "$SHARED/data/longbench/qasper_cachegen60.jsonl"
      --limit "$LIMIT" --out "$OUT" "$@")
mkdir -p "$OUT"
START=$(date +%s)
# first run, killed with SIGKILL once KILL_AFTER lines are written
$CTX "${ARGS[@]}" 2>"$OUT/first-run.log" &
PID=$!
while kill -0 $PID 2>/dev/null; do
  n=$(grep -c '' "$OUT/results.jsonl" 2>/dev/null || true); n=${n:-0}
  if [ "$n" -ge "$KILL_AFTER" ]; then
    sleep 3   # land the kill somewhere inside the next sample
    JPID=$(pgrep -P $PID java || echo $PID)
    kill -9 "$JPID" $PID 2>/dev/null || true
    echo "killed with SIGKILL after $(grep -c '' "$OUT/results.jsonl") complete line(s); last byte: $(tail -c1 "$OUT/results.jsonl" | od -An -c)"
    break
  fi
  sleep 2
done
wait $PID 2>/dev/null || true
BEFORE=$(grep -c '' "$OUT/results.jsonl")
KEYS_BEFORE=$(python3 -c "import json,sys; print(len({json.loads(l)['key'] for l in open(sys.argv[1]) if l.endswith('\n')}))" "$OUT/results.jsonl")
# resume until done
$CTX "${ARGS[@]}" --resume 2>"$OUT/resume.log"
END=$(date +%s)
LINES=$(grep -c '' "$OUT/results.jsonl")
UNIQUE=$(python3 -c "import json,sys; print(len({json.loads(l)['key'] for l in open(sys.argv[1])}))" "$OUT/results.jsonl")
echo "lines before resume: $BEFORE ($KEYS_BEFORE complete, unique); after: $LINES; unique keys: $UNIQUE; expected: $EXPECTED; wall: $((END-START)) s"
[ "$LINES" = "$EXPECTED" ] && [ "$UNIQUE" = "$EXPECTED" ] && echo "RESUME CHECK: OK (no lost or duplicated line)" || { echo "RESUME CHECK: FAILED"; exit 1; }
grep -h "made the\|reusing" "$OUT/first-run.log" || true
grep -h "summary" "$OUT/resume.log" | tail -1
