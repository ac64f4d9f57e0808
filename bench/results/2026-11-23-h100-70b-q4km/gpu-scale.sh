#!/usr/bin/env bash
# Decode AND prefill parity at depth for a large synthetic shape, ctxbench vs llama-bench in one run, from an
# unpacked bundle:
#   SHAPE=llama-3.1-70b WEIGHTS=q4_k_m KVS="f16 q4_0" DEPTHS="0 8192 32768" ./scripts/gpu-scale.sh RESULTS_DIR
# The model is written directly by `models synth` (random weights; q4_k_m has exactly the tensor types
# llama-quantize's Q4_K_M gives the shape, so no 141 GB F16 file is needed; 42.5 GB for the 70B shape).
# MODE=sweep (default): per KV type one `ctxbench sweep --compare-llama-bench`: pp512 and tg128 on top of each depth
# (the cache is filled to the depth once and restored for the repetitions), flash attention on, 2 repetitions, then
# llama-bench from the same build on the same cells, after the sweep has freed its model (a 40 GiB model loaded
# twice does not fit 80 GB). Each cell records the device memory after load / context / peak. Charts are not drawn
# on the node (--charts none: no fonts there); draw them later with `ctxbench sweep --from RESULTS_DIR/sweep-KV`.
# MODE=generate: the earlier method: llama-bench -d DEPTHS per KV type, then `ctxbench generate` with a prompt of
# exactly DEPTH tokens and 128 new tokens per depth (decode parity at depth, prefill pp512 at depth 0 only).
# Budget: BUDGET_S (default 540) seconds from the start, for a device call of under 10 minutes. A KV type's sweep
# starts only with SWEEP_MIN_S (default 200) seconds left; within a sweep no cell or llama-bench run starts after the
# budget (those are reported as skipped), and the sweep is stopped (with its llama-bench) 10 s before the budget.
# Uses $CTXBENCH_NATIVE_DIR when set (a carried build), else builds the CUDA variant while the model is written.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
res=${1:-$here/results}; mkdir -p "$res"
export CTXBENCH_CACHE=${CTXBENCH_CACHE:-/tmp/ctxbench-cache}
work=${WORK:-/tmp/ctxbench-models}; mkdir -p "$work"
shape=${SHAPE:-llama-3.1-70b} weights=${WEIGHTS:-q4_k_m} kvs=${KVS:-f16 q4_0} depths=${DEPTHS:-0 8192 32768}
mode=${MODE:-sweep} reps=${REPS:-2}
start=$(date +%s); budget=${BUDGET_S:-540}
left() { echo $(( budget - ($(date +%s) - start) )); }
log() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$res/log.txt" >&2; }
source "$here/scripts/gpu-common.sh"
{
  node_manifest
  echo "shape=$shape weights=$weights kv=$kvs depths=$depths mode=$mode repetitions=$reps budget_s=$budget"
} > "$res/manifest.txt"
f="$work/$shape-$weights.gguf"
"$JAVA" -cp "$here/ctxbench.jar" io.ctxbench.cli.ModelsCommand synth --shape "$shape" --type "$weights" --vocab "$vocab" --dry-run \
  > "$res/synth-plan.txt" 2>>"$res/log.txt"
log "writing synthetic $shape $weights ($(sed -n 's/^ *file size *//p' "$res/synth-plan.txt"))"
synth "$shape" "$weights" "$f" & synth_pid=$!   # while llama.cpp builds
native_build || exit 1
cat "$native/BUILD_INFO" >> "$res/manifest.txt"
wait "$synth_pid" || { log "synth failed"; exit 1; }
log "written"

if [ "$mode" = sweep ]; then
  for kv in $kvs; do
    if [ "$(left)" -lt "${SWEEP_MIN_S:-200}" ]; then
      log "skipping the kv=$kv sweep: $(left) s of the budget left"
      continue
    fi
    log "sweep kv=$kv depths=$depths (with llama-bench; $(left) s left)"
    # timeout signals its whole process group: the JVM and a running llama-bench
    timeout --kill-after=5 "$(( $(left) - 10 ))" \
      "$here/ctxbench" sweep -m "$f" --kv "$kv" -fa on -d "$(echo $depths | tr ' ' ',')" -p 512 -n 128 -r "$reps" \
        --compare-llama-bench --llama-bench-timeout "$(( $(left) - 15 ))" --time-budget "$(( $(left) - 20 ))" \
        --charts none --out "$res/sweep-$kv" > "$res/sweep-$kv.md" 2>>"$res/log.txt" || log "sweep kv=$kv failed or was stopped"
  done
  python3 "$here/scripts/scale_table.py" "$res" | tee "$res/summary.md"
  log "done ($(left) s of the budget left)"
  exit 0
fi

for d in $depths; do
  python3 -c "import sys; open(sys.argv[1],'w').write(' hello' * max(0, int(sys.argv[2]) - 1))" "$work/prompt-$d.txt" "$d"
done
for kv in $kvs; do
  log "llama-bench kv=$kv depths=$depths"
  "$native/bin/llama-bench" -m "$f" -p 512 -n 128 -d "$(echo $depths | tr ' ' ',')" -ctk "$kv" -ctv "$kv" -fa 1 -r 2 \
    -o json > "$res/llama-bench-$kv.json" 2>>"$res/log.txt" || log "llama-bench $kv failed"
  for d in $depths; do
    log "ctxbench generate kv=$kv depth=$d"
    warm=(); [ "$d" = 0 ] && warm=(--warmup)
    "$here/ctxbench" generate -m "$f" --no-chat -f "$work/prompt-$d.txt" -n 128 -c $((d + 128)) --ignore-eos -fa on \
      -ctk "$kv" -ctv "$kv" -r 2 "${warm[@]}" --json > "$res/ctxbench-$kv-d$d.json" 2>>"$res/log.txt" || log "generate $kv d$d failed"
  done
  log "ctxbench prefill pp512 kv=$kv"
  python3 -c "import sys; open(sys.argv[1],'w').write(' hello' * 511)" "$work/prompt512.txt"
  "$here/ctxbench" generate -m "$f" --no-chat -f "$work/prompt512.txt" -n 1 -c 512 --warmup -fa on -ctk "$kv" -ctv "$kv" -r 3 \
    --json > "$res/ctxbench-$kv-pp512.json" 2>>"$res/log.txt" || log "prefill $kv failed"
done
python3 "$here/scripts/scale_table.py" "$res" | tee "$res/summary.md"
log done
