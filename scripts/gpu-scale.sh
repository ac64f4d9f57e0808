#!/usr/bin/env bash
# Decode parity at depth for a large synthetic shape, ctxbench vs llama-bench in one run, from an unpacked bundle:
#   SHAPE=llama-3.1-70b WEIGHTS=q4_0 KVS="f16 q4_0" DEPTHS="0 8192 32768" ./scripts/gpu-scale.sh RESULTS_DIR
# For each KV type: llama-bench -p 512 -n 128 -d DEPTHS -fa 1 -r 2, then ctxbench generate with a prompt of
# exactly DEPTH tokens (BOS + repeated ' hello'; BOS alone for depth 0) and 128 new tokens, so its decode
# steps run at the same depths as llama-bench's tg128 @ dDEPTH. Prefill parity (pp512) is compared at depth 0.
# Uses $CTXBENCH_NATIVE_DIR when set (a carried build), else builds the CUDA variant.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
res=${1:-$here/results}; mkdir -p "$res"
export CTXBENCH_CACHE=${CTXBENCH_CACHE:-/tmp/ctxbench-cache}
work=${WORK:-/tmp/ctxbench-models}; mkdir -p "$work"
shape=${SHAPE:-llama-3.1-70b} weights=${WEIGHTS:-q4_0} kvs=${KVS:-f16 q4_0} depths=${DEPTHS:-0 8192 32768}
start=$(date +%s)
log() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$res/log.txt" >&2; }
{
  echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/gpu=/'
  nvcc --version | tail -2 | head -1 | sed 's/^/nvcc=/'
  echo "shape=$shape weights=$weights kv=$kvs depths=$depths"
} > "$res/manifest.txt"
if [ -z "${CTXBENCH_NATIVE_DIR:-}" ]; then
  log "building llama.cpp (CUDA)"
  CTXBENCH_NATIVE_DIR=$("$here/setup.sh" --cuda --arch "${ARCH:-90a}" 2>>"$res/log.txt") || { log "build failed"; exit 1; }
else
  [ -x "$here/runtime/bin/java" ] || tar -C "$here" -xJf "$here/runtime.tar.xz"
  src="$CTXBENCH_CACHE/src/llama.cpp-de3ff815"   # the vocab files synthetic models copy their tokenizer from
  [ -f "$src/models/ggml-vocab-llama-bpe.gguf" ] || { mkdir -p "$src" && tar -C "$src" -xJf "$here/llama.cpp-src.tar.xz" ./models; }
fi
export CTXBENCH_NATIVE_DIR; native=$CTXBENCH_NATIVE_DIR
cat "$native/BUILD_INFO" >> "$res/manifest.txt"
f="$work/$shape-$weights.gguf"
log "synthetic $shape $weights"
[ -f "$f" ] || "$here/ctxbench" models synth --shape "$shape" --type "$weights" -o "$f" >>"$res/log.txt" 2>&1 || { log "synth failed"; exit 1; }
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
