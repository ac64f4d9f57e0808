#!/usr/bin/env bash
# Depth-0 prefill parity with many repetitions, and whether llama.cpp's graph reuse explains a gap, from an unpacked
# bundle in one go (CUDA build included, ~6.5 min on a 16-core H100 node):
#   ./scripts/gpu-prefill-check.sh [RESULTS_DIR]
# 1. `ctxbench sweep --compare-llama-bench` on the synthetic Llama-3.1-8B shape, F16 and Q4_K_M, KV f16, FA on,
#    depth 0, pp512/tg128, REPS (default 10) repetitions;
# 2. llama-bench pp512 alone (F16) with LLAMA_GRAPH_REUSE_DISABLE=1 (every prefill rebuilds its graph);
# 3. the same sweep's prefill alone (F16) (-n 0) with LLAMA_GRAPH_REUSE_DISABLE=1.
# Each step's results are packed into $OUT/prefill-check.tar.gz as soon as it ends (when OUT is set), so a run cut
# short still returns what it measured.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
res=${1:-$here/results-prefill}; mkdir -p "$res"
export CTXBENCH_CACHE=${CTXBENCH_CACHE:-/tmp/ctxbench-cache}
work=${WORK:-/tmp/ctxbench-models}; mkdir -p "$work"
reps=${REPS:-10} shape=${SHAPE:-llama-3.1-8b} start=$(date +%s)   # SHAPE: a small one for a dry run on a CPU box
log() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$res/log.txt" >&2; }
pack() { [ -z "${OUT:-}" ] || { mkdir -p "$OUT" && tar -C "$res" -czf "$OUT/prefill-check.tar.gz" .; }; }
source "$here/scripts/gpu-common.sh"
f16="$work/$shape-f16.gguf" q4="$work/$shape-q4_k_m.gguf"
(synth "$shape" f16 "$f16" && synth "$shape" q4_k_m "$q4") & synth_pid=$!
node_manifest > "$res/manifest.txt"
native_build || exit 1
cat "$native/BUILD_INFO" >> "$res/manifest.txt"
wait "$synth_pid" || { log "writing the models failed"; exit 1; }
log "built and written"
sweep() { "$here/ctxbench" sweep -fa on -d 0 -p 512 -r "$reps" --charts none "$@"; }

log "1. sweep F16 + Q4_K_M, KV f16, pp512/tg128, r $reps, with llama-bench"
sweep -m "$f16,$q4" --kv f16 -n 128 --compare-llama-bench --out "$res/sweep" > "$res/sweep.md" 2>>"$res/log.txt" \
  || log "sweep failed"
pack
log "2. llama-bench pp512 with graph reuse disabled"
LLAMA_GRAPH_REUSE_DISABLE=1 "$native/bin/llama-bench" -m "$f16" -p 512 -n 0 -fa 1 -t "$(nproc)" -r "$reps" -o json \
  > "$res/llama-bench-noreuse.json" 2>>"$res/log.txt" || log "llama-bench failed"
pack
log "3. ctxbench prefill with graph reuse disabled"
LLAMA_GRAPH_REUSE_DISABLE=1 sweep -m "$f16" --kv f16 -n 0 --out "$res/sweep-noreuse" > "$res/sweep-noreuse.md" \
  2>>"$res/log.txt" || log "sweep failed"
pack
python3 - "$res" <<'PY' | tee "$res/summary.md"
# medians of the repetitions: llama-bench's first prefill repetition is often an outlier
import json, pathlib, statistics, sys
res = pathlib.Path(sys.argv[1])
def cells(name):
    f = res / name / "sweep.jsonl"
    return {pathlib.Path(c["cell"]["model"]).stem: c for c in map(json.loads, f.read_text().splitlines())
            if c["status"] == "ok"} if f.exists() else {}
med = lambda runs: statistics.median(runs) if runs else None
f = res / "llama-bench-noreuse.json"
nr = {pathlib.Path(r["model_filename"]).stem: med(r["samples_ts"]) for r in json.loads(f.read_text() or "[]")} if f.exists() else {}
on, off = cells("sweep"), cells("sweep-noreuse")
print("| median pp512 t/s of the repetitions | ctxbench | llama-bench | ratio | ctxbench, no graph reuse | llama-bench, no graph reuse | ratio |")
print("|---|---:|---:|---:|---:|---:|---:|")
fmt = lambda x: f"{x:.0f}" if x else ""
rat = lambda a, b: f"{a / b:.3f}" if a and b else ""
for m, c in on.items():
    j = med(c["prefill_tokens_per_second"]["runs"])
    lb = med(((c.get("llama_bench") or {}).get("prefill_tokens_per_second") or {}).get("runs"))
    jo = med(off.get(m, {}).get("prefill_tokens_per_second", {}).get("runs"))
    print(f"| {m} | {fmt(j)} | {fmt(lb)} | {rat(j, lb)} | {fmt(jo)} | {fmt(nr.get(m))} | {rat(jo, nr.get(m))} |")
PY
pack
log done
