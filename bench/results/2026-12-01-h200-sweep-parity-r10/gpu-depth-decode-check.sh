#!/usr/bin/env bash
# Decode parity at depth, and what the decode test's context is: llama-bench gives its tg test a context of its own,
# n_ctx = depth + n_gen; a sweep cell runs its prefill test and then its decode test in one context of depth +
# max(pp, tg). From an unpacked bundle, in one go (about 8 minutes with the CUDA build): synthetic Llama-3.1-8B shape
# as Q4_K_M (models synth), KV f16 and q8_0, flash attention on, depth DEPTH (default 32768), REPS (default 5)
# repetitions, each sweep with llama-bench alongside:
#   A  -p 512 -n 128   the parity matrix's cells: context depth + 512, prefill test first
#   B  -p 0   -n 128   the decode test alone: context depth + 128, as llama-bench's
#   C  -p 128 -n 128   context depth + 128 as llama-bench's, prefill test first
#   ./scripts/gpu-depth-decode-check.sh [RESULTS_DIR]
# With $OUT set, the results are packed into $OUT/depth-decode-check.tar.gz after each step.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
res=${1:-$here/results-depth-decode}; mkdir -p "$res"
export CTXBENCH_CACHE=${CTXBENCH_CACHE:-/tmp/ctxbench-cache}
work=${WORK:-/tmp/ctxbench-models}; mkdir -p "$work"
reps=${REPS:-5} depth=${DEPTH:-32768} shape=${SHAPE:-llama-3.1-8b} start=$(date +%s)   # SHAPE=tiny for a CPU dry run
log() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$res/log.txt" >&2; }
pack() { [ -z "${OUT:-}" ] || { mkdir -p "$OUT" && tar -C "$res" -czf "$OUT/depth-decode-check.tar.gz" .; }; }
source "$here/scripts/gpu-common.sh"
q4="$work/$shape-q4_k_m.gguf"
synth "$shape" q4_k_m "$q4" & synth_pid=$!
node_manifest > "$res/manifest.txt"
native_build || exit 1
cat "$native/BUILD_INFO" >> "$res/manifest.txt"
wait "$synth_pid" || { log "writing the model failed"; exit 1; }
sweep() { "$here/ctxbench" sweep -m "$q4" --kv "${KVS:-f16,q8_0}" -fa on -d "$depth" -n 128 -r "$reps" --compare-llama-bench \
  --charts none "$@"; }
for step in "A 512" "B 0" "C 128"; do
  read -r name pp <<< "$step"
  log "$name: -p $pp -n 128 -d $depth"
  sweep -p "$pp" --out "$res/$name" > "$res/$name.md" 2>>"$res/log.txt" || log "sweep $name failed"
  pack
done
python3 - "$res" <<'PY' | tee "$res/summary.md"
import json, pathlib, sys
res = pathlib.Path(sys.argv[1])
print("| step | KV | context | ctxbench decode t/s | llama-bench tg t/s | ratio | ctxbench step p50 ms |")
print("|---|---|---:|---:|---:|---:|---:|")
for name in "ABC":
    f = res / name / "sweep.jsonl"
    for c in (map(json.loads, f.read_text().splitlines()) if f.exists() else []):
        lb = c.get("llama_bench") or {}
        j, n = c.get("decode_tokens_per_second") or {}, lb.get("decode_tokens_per_second") or {}
        ratio = f"{lb['decode_ratio']:.3f}" if lb.get("decode_ratio") else ""
        print(f"| {name} | {c['cell']['type_k']} | {c.get('context_size', '')} | {j.get('mean', 0):.1f} ± {j.get('stddev', 0):.2f} "
              f"| {n.get('mean', 0):.1f} ± {n.get('stddev', 0):.2f} | {ratio} | {c.get('step_millis_p50') or 0:.3f} |")
PY
pack
log done
