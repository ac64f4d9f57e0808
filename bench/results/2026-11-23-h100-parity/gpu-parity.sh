#!/usr/bin/env bash
# Decode/prefill parity of ctxbench against llama.cpp's own llama-bench, same build, same file, same settings,
# measured in one run on a GPU node. Run it from an unpacked bundle (scripts/bundle makes one):
#   ./scripts/gpu-parity.sh [RESULTS_DIR]
# Builds the CUDA variant (ARCH, default 90a), writes a synthetic Llama-3.1-8B-shaped model (random weights:
# its compute cost equals the real model's, its text is meaningless) as F16 and Q4_0, then Q4_K_M through
# llama-quantize if time allows (BUDGET_S, default 540), and for each runs llama-bench -p 512 -n 128 -fa 1 and
# ctxbench generate with the same settings. Writes a manifest, raw JSON and a summary table to RESULTS_DIR.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
res=${1:-$here/results}; mkdir -p "$res"
export CTXBENCH_CACHE=${CTXBENCH_CACHE:-/tmp/ctxbench-cache}
work=${WORK:-/tmp/ctxbench-models}; mkdir -p "$work"
start=$(date +%s); budget=${BUDGET_S:-540}
left() { echo $(( budget - ($(date +%s) - start) )); }
log() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$res/log.txt" >&2; }

source "$here/scripts/gpu-common.sh"
node_manifest > "$res/manifest.txt"
native_build || exit 1
cat "$native/BUILD_INFO" >> "$res/manifest.txt"
"$here/ctxbench" info > "$res/info.txt" 2>&1; cat "$res/info.txt" >&2

bench() {  # $1 = label, $2 = gguf
  log "llama-bench $1"
  "$native/bin/llama-bench" -m "$2" -p 512 -n 128 -fa 1 -r 3 -o json > "$res/llama-bench-$1.json" 2>>"$res/log.txt" \
    || log "llama-bench $1 failed"
  log "ctxbench generate $1"
  # tg128 as llama-bench runs it: BOS alone as the prompt (so every decode is a 1-token graph), context 128 -> 256
  "$here/ctxbench" generate -m "$2" --no-chat -p "" -n 128 -c 128 --ignore-eos --warmup -fa on -r 3 --json \
    > "$res/ctxbench-generate-$1.json" 2>>"$res/log.txt" || log "ctxbench generate $1 failed"
  "$here/ctxbench" generate -m "$2" --no-chat -f "$work/prompt512.txt" -n 1 -c 512 --warmup -fa on -r 3 --json -b 2048 -ub 512 \
    > "$res/ctxbench-prefill-$1.json" 2>>"$res/log.txt" || log "ctxbench prefill $1 failed"
  # a real generation: a short prompt prefilled first, then decode (pays the 1-token graph capture), sampler off
  "$here/ctxbench" generate -m "$2" --no-chat -p "Hello" -n 128 --ignore-eos --warmup -fa on -r 3 --json --memory-sample-ms 0 \
    > "$res/ctxbench-realprompt-$1.json" 2>>"$res/log.txt" || log "ctxbench generate (no memory sampler) $1 failed"
}

log "synthetic llama-3.1-8b F16"
synth llama-3.1-8b f16 "$work/l8b-f16.gguf" || { log "synth failed"; exit 1; }
# a prompt of exactly 511 tokens + BOS = 512, like llama-bench's pp512 (token ids do not change the cost)
python3 - "$work/prompt512.txt" <<'PY'
import sys
open(sys.argv[1], "w").write(" hello" * 511)
PY
bench f16 "$work/l8b-f16.gguf"
log "synthetic llama-3.1-8b Q4_0 (written directly)"
synth llama-3.1-8b q4_0 "$work/l8b-q4_0.gguf" && bench q4_0 "$work/l8b-q4_0.gguf"
if [ "$(left)" -gt 150 ]; then
  log "Q4_K_M through llama-quantize"
  "$native/bin/llama-quantize" "$work/l8b-f16.gguf" "$work/l8b-q4_k_m.gguf" Q4_K_M "$(nproc)" >>"$res/log.txt" 2>&1 \
    && bench q4_k_m "$work/l8b-q4_k_m.gguf"
else
  log "skipping Q4_K_M: $(left) s left of the budget"
fi
python3 "$here/scripts/parity_table.py" "$res" | tee "$res/summary.md"
log "done"
