# Shared set-up of the gpu-*.sh scripts, sourced after they set $here (the unpacked bundle), $res (results),
# $work (models) and log(). Unpacks the Java runtime and the tokenizer the synthetic models copy, and defines:
#   synth SHAPE TYPE OUT    write a synthetic model unless OUT exists (4 threads: nvcc keeps the other cores)
#   node_manifest           date, host, GPU, driver, nvcc and CPU lines for a record's manifest.txt
#   native_build            use $CTXBENCH_NATIVE_DIR (a carried or earlier build) or build the CUDA variant
#                           (arch $ARCH, default 90a); exports CTXBENCH_NATIVE_DIR and sets $native. With
#                           EXPORT_NATIVE=1 and $OUT set, a build made here is also packed into
#                           $OUT/native-cuda.tar.xz.* (15 MiB parts), so that `NATIVE_PARTS=DIR scripts/bundle`
#                           carries it to the next node and setup.sh unpacks it instead of building (~5 min saved)
[ -x "$here/runtime/bin/java" ] || tar -C "$here" -xJf "$here/runtime.tar.xz"
JAVA="$here/runtime/bin/java"; [ -x "$JAVA" ] || JAVA=java
vocab="$work/models/ggml-vocab-llama-bpe.gguf"
[ -f "$vocab" ] || tar -C "$work" -xJf "$here/llama.cpp-src.tar.xz" ./models/ggml-vocab-llama-bpe.gguf

synth() {
  [ -f "$3" ] || "$JAVA" -cp "$here/ctxbench.jar" io.ctxbench.cli.ModelsCommand synth --shape "$1" --type "$2" \
    --vocab "$vocab" --threads 4 -o "$3" >>"$res/log.txt" 2>&1
}

node_manifest() {
  echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host=$(hostname)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | sed 's/^/gpu=/'
  nvcc --version 2>&1 | tail -2 | head -1 | sed 's/^/nvcc=/'
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
}

native_build() {
  if [ -z "${CTXBENCH_NATIVE_DIR:-}" ]; then
    log "building llama.cpp (CUDA, arch ${ARCH:-90a})"
    CTXBENCH_NATIVE_DIR=$("$here/setup.sh" --cuda --arch "${ARCH:-90a}" 2>>"$res/log.txt") || { log "native build failed"; return 1; }
    if [ -n "${EXPORT_NATIVE:-}" ] && [ -n "${OUT:-}" ]; then
      mkdir -p "$OUT"
      tar -C "$(dirname "$CTXBENCH_NATIVE_DIR")" -cf - "$(basename "$CTXBENCH_NATIVE_DIR")" | xz -T0 -6 \
        | split -b 15m - "$OUT/native-cuda.tar.xz." && log "CUDA build packed: $(du -ch "$OUT"/native-cuda.tar.xz.* | tail -1)"
    fi
  fi
  export CTXBENCH_NATIVE_DIR; native=$CTXBENCH_NATIVE_DIR
  log "llama.cpp: $native"
}
