#!/usr/bin/env bash
# The memory formula of `ctxbench models inspect` against a real session on a GPU node. Run it from an unpacked
# bundle (scripts/bundle makes one):  ./scripts/gpu-memory-check.sh [RESULTS_DIR]
# Builds the CUDA variant (ARCH, default 90a), writes a synthetic Llama-3.1-8B-shaped F16 model (random weights),
# then for KV f16 (and q8_0, q4_0 if time allows) runs
#   ctxbench models inspect --measure -m FILE --context 32000 --new-tokens 96 --kv TYPE --json
# which loads all layers on the GPU, opens a session of 32096 tokens (flash attention on) and prints the device
# memory taken next to the estimate (weights + KV + logits). Output: RESULTS_DIR/memory-<kv>.json and a summary.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
res=${1:-$here/results-memory}; mkdir -p "$res"
export CTXBENCH_CACHE=${CTXBENCH_CACHE:-/tmp/ctxbench-cache}
work=${WORK:-/tmp/ctxbench-models}; mkdir -p "$work"
start=$(date +%s); budget=${BUDGET_S:-520}
left() { echo $(( budget - ($(date +%s) - start) )); }
log() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$res/log.txt" >&2; }
source "$here/scripts/gpu-common.sh"
node_manifest > "$res/manifest.txt"
native_build || exit 1
cat "$native/BUILD_INFO" >> "$res/manifest.txt"
model=$work/l8b-f16.gguf
if [ ! -f "$model" ]; then
  log "synthetic llama-3.1-8b F16"
  synth llama-3.1-8b f16 "$model" || { log "synth failed"; exit 1; }
fi
for kv in f16 q8_0 q4_0; do
  [ "$(left)" -gt 60 ] || { log "skipping kv $kv: $(left) s left"; continue; }
  log "inspect --measure, kv $kv"
  "$here/ctxbench" models inspect --measure -m "$model" --context 32000 --new-tokens 96 --kv "$kv" --json \
    > "$res/memory-$kv.json" 2>>"$res/log.txt" || log "inspect --measure ($kv) failed"
done
python3 - "$res" <<'PY' | tee "$res/summary.md"
import json, sys, glob, os
print("| kv | estimate bytes | weights | kv | logits | device used bytes | llama model size | llama kv bytes | diff % |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for f in sorted(glob.glob(os.path.join(sys.argv[1], "memory-*.json"))):
    try:
        d = json.load(open(f))
    except Exception as e:
        print(f"| {f}: unreadable ({e}) |"); continue
    e, m = d["memory_estimate"], d["measured"]
    print(f"| {e['kv_type']} | {e['total_bytes']:,} | {e['weights_bytes']:,} | {e['kv_bytes']:,} | {e['logits_bytes']:,} | "
          f"{m['device_used_bytes']:,} | {m['llama_model_size_bytes']:,} | {m['llama_kv_bytes']:,} | {m['difference_percent']:.2f} |")
PY
log "done"
