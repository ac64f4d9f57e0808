#!/usr/bin/env bash
# The one runner for an offline GPU node, from an unpacked bundle (scripts/bundle makes it; nothing else is needed
# there): builds llama.cpp with CUDA (or uses a carried build), writes synthetic models of real shapes while it
# builds, runs `ctxbench sweep` with llama-bench alongside, and on request `ctxbench eval` and JMH benchmarks; the
# results folder gets the node's manifest (manifest.json, `ctxbench info --json`) and the knobs given (knobs.txt).
# Made to finish inside one 10-minute call, including the ~5 min build.
#   ./scripts/gpu-run.sh [RESULTS_DIR]          (default: ./results-gpu)
# Knobs (environment), defaults in brackets:
#   SHAPES [llama-3.1-8b]     synthetic shapes to write (`ctxbench models synth --list`), random weights at the
#   WEIGHTS [f16,q4_k_m]      real shape: cost is real, text is not; weight types per shape (f16, bf16, q4_0, q4_k_m
#                             while llama.cpp builds; any llama-quantize type, e.g. q2_k or iq2_xs, after it: the
#                             per-tensor types its quantizer picks, written directly, no F16 file quantized)
#   MODELS                    your own GGUF files (comma-separated) instead of synthetic ones
#   QUANTIZE                  also quantize the first model (F16) on the node to these llama-quantize types, e.g.
#                             "q8_0,q6_k,q5_k_m,q3_k_m,q2_k,iq4_xs,iq3_xxs,iq2_xs", with an importance matrix that
#                             `ctxbench models imatrix` computes there (IMATRIX_CHUNKS [4] chunks of 128 tokens of the
#                             built-in calibration text; random weights: cost is real, quality is not); the files
#                             join the models (sweep, BATCHED) and their sizes go to RESULTS_DIR/quantized.tsv
#   CTK [f16,q4_0] CTV [f16,q4_0]  K and V cache types (f16, f32, bf16, q8_0, q5_1, q5_0, q4_1, q4_0, iq4_nl); every
#                             K/V pair runs (sweep -ctk -ctv); iq4_nl has no CUDA flash attention (kv_path host: slow)
#   ROT [on]                  KV rotation of the quantized caches: on, off, or on,off for both (sweep --kv-rotation;
#                             llama-bench gets LLAMA_ATTN_ROT_DISABLE=1 for off; an f16 pair with off is rejected)
#   DEPTHS [0,32768] PP [512] TG [128] REPS [5] FA [on]     the sweep's matrix (sweep -d -p -n -r -fa)
#   COMPARE [1]               run llama-bench of the same build on the same cells (--compare-llama-bench); 0: not
#   SWEEP_ARGS                more sweep options, e.g. --beyond-trained-context; SWEEP=0 skips the sweep
#   EVAL_ARGS                 also run `ctxbench eval -m <first model> EVAL_ARGS` (e.g. "--ruler niah_single_1,vt
#                             --lengths 32k,64k --samples 2 --methods FP16,KV-Q"); its folder is RESULTS_DIR/eval;
#                             a bundle made with DATA=DIR has that folder as ./data (--data data/longbench/...)
#   JMH                       a JMH benchmark pattern run on the last model, e.g. 'FfmOverheadBenchmark'
#   BATCHED                   llama-batched-bench of the same build on every model, "NPL" or "NPP:NTG:NPL" (e.g.
#                             "1,16" or "2048:512:1,16"); without NPP:NTG, the mean prompt and generated tokens of the
#                             eval run's quality-pass records (what eval --parallel is compared with: issue 16)
#   BUDGET_S [510]            wall seconds from the start; sweep cells that would start later are reported skipped
#   ARCH [90a]                CUDA architecture of the build; CTXBENCH_NATIVE_DIR=DIR uses a carried build instead
#   EXPORT_NATIVE=1           pack the CUDA build made here into $OUT, for `NATIVE_PARTS=DIR scripts/bundle`
#   OUT                       also pack the results into $OUT/results.tar.gz, every PACK_EVERY [30] s while running
# Examples: the 8B parity matrix: defaults. Long contexts: SHAPES=mistral-nemo-12b WEIGHTS=f16 CTK=f16,q4_0 CTV=f16,q4_0
# DEPTHS=0,16k,32k,64k,128k REPS=1 COMPARE=0 SWEEP_ARGS=--beyond-trained-context. 70B: SHAPES=llama-3.1-70b
# WEIGHTS=q4_k_m DEPTHS=0,8192,32768 REPS=2. A dry run on a CPU box: CTXBENCH_NATIVE_DIR=<cpu build> SHAPES=tiny.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
res=${1:-$here/results-gpu}; mkdir -p "$res"; res=$(cd "$res" && pwd)
export CTXBENCH_CACHE=${CTXBENCH_CACHE:-/tmp/ctxbench-cache}
work=${WORK:-/tmp/ctxbench-models}; mkdir -p "$work"
start=$(date +%s); budget=${BUDGET_S:-510}
left() { echo $(( budget - ($(date +%s) - start) )); }
log() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$res/log.txt" >&2; }
ctxbench() { "$here/ctxbench" "$@"; }

[ -x "$here/runtime/bin/java" ] || tar -C "$here" -xJf "$here/runtime.tar.xz"
[ ! -f "$here/data.tar.xz" ] || [ -d "$here/data" ] || { mkdir -p "$here/data" && tar -C "$here/data" -xJf "$here/data.tar.xz"; }
# the tokenizer files the shapes name (models/shapes.json "vocab"), from the bundled source, for models synth --vocab
[ -f "$work/ggml-vocab-starcoder.gguf" ] || tar -C "$work" -xJf "$here/llama.cpp-src.tar.xz" --strip-components=2 \
  --wildcards './models/ggml-vocab-*.gguf'

# the models: given, or written (4 threads: the build keeps the other cores) while llama.cpp builds
models=()
if [ -n "${MODELS:-}" ]; then
  IFS=, read -ra models <<< "$MODELS"
else
  IFS=, read -ra shapes <<< "${SHAPES:-llama-3.1-8b}"; IFS=, read -ra weights <<< "${WEIGHTS:-f16,q4_k_m}"
  for s in "${shapes[@]}"; do for w in "${weights[@]}"; do models+=("$work/$s-$w.gguf"); done; done
  log "writing ${#models[@]} synthetic model(s) in the background"
  synth() { "$here/runtime/bin/java" -cp "$here/ctxbench.jar" io.ctxbench.cli.Main models synth --shape "$1" --type "$2" \
    --vocab "$work" --threads "$3" --out "$work/$1-$2.gguf" >>"$res/log.txt" 2>&1; }
  own() { case $1 in f16|bf16|q4_0|q4_k_m) return 0;; *) return 1;; esac; }
  ( for s in "${shapes[@]}"; do for w in "${weights[@]}"; do
      own "$w" || continue   # other types are planned by llama.cpp's quantizer: after the build
      [ -f "$work/$s-$w.gguf" ] || synth "$s" "$w" 4 || exit 1
    done; done ) & synth_pid=$!
fi

if [ -z "${CTXBENCH_NATIVE_DIR:-}" ]; then
  log "building llama.cpp (CUDA, arch ${ARCH:-90a})"
  CTXBENCH_NATIVE_DIR=$("$here/setup.sh" --cuda --arch "${ARCH:-90a}" 2>>"$res/log.txt") || { log "native build failed (log.txt)"; exit 1; }
  if [ -n "${EXPORT_NATIVE:-}" ] && [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT"
    tar -C "$(dirname "$CTXBENCH_NATIVE_DIR")" -cf - "$(basename "$CTXBENCH_NATIVE_DIR")" | xz -T0 -6 \
      | split -b 15m - "$OUT/native-cuda.tar.xz." && log "CUDA build packed: $(du -ch "$OUT"/native-cuda.tar.xz.* | tail -1)"
  fi
fi
export CTXBENCH_NATIVE_DIR
log "llama.cpp: $CTXBENCH_NATIVE_DIR"
if [ -n "${synth_pid:-}" ]; then
  wait "$synth_pid" || { log "writing the synthetic models failed (log.txt)"; exit 1; }
  for s in "${shapes[@]}"; do for w in "${weights[@]}"; do
    own "$w" || [ -f "$work/$s-$w.gguf" ] || { log "writing $s $w (types planned by llama.cpp's quantizer)"
      synth "$s" "$w" 0 || { log "writing $s $w failed (log.txt)"; exit 1; }; }
  done; done
fi
if [ -n "${QUANTIZE:-}" ]; then
  f16=${models[0]}; imx="${f16%.gguf}.imatrix.gguf"
  [ -f "$imx" ] || { log "importance matrix of $(basename "$f16") (${IMATRIX_CHUNKS:-4} chunks of 128 tokens, CPU)"
    ctxbench models imatrix -m "$f16" -c 128 --chunks "${IMATRIX_CHUNKS:-4}" --no-progress --out "$imx" >>"$res/log.txt" 2>&1 \
      || { log "imatrix failed (log.txt)"; exit 1; }; }
  IFS=, read -ra qtypes <<< "$QUANTIZE"
  for t in "${qtypes[@]}"; do
    q="${f16%-*}-$t.gguf"
    if [ ! -f "$q" ]; then
      t0=$(date +%s); log "quantizing to $t ($(left) s left)"
      part="${q%.gguf}.part.gguf"; rm -f "$part"   # a call cut off mid-file leaves no file that looks finished
      ctxbench models quantize -m "$f16" --type "$t" --imatrix "$imx" --no-progress --out "$part" >>"$res/log.txt" 2>&1 \
        && mv "$part" "$q" || { log "quantizing to $t failed (log.txt)"; rm -f "$part"; continue; }
      [ -f "$res/quantized.tsv" ] || printf 'type\tfile\tbytes\tseconds\n' > "$res/quantized.tsv"
      printf '%s\t%s\t%s\t%s\n' "$t" "$(basename "$q")" "$(stat -c %s "$q")" "$(( $(date +%s) - t0 ))" >> "$res/quantized.tsv"
    fi
    models+=("$q")
  done
fi
log "models: ${models[*]}"

# the node's manifest, the one the sweep and eval folders embed too (GPU, driver, CUDA, CPU and its features,
# llama.cpp commit and build flags, devices, Java, date), and the knobs this run was given
ctxbench info --json > "$res/manifest.json" 2>>"$res/log.txt" || log "ctxbench info failed (log.txt)"
echo "knobs: SHAPES=${SHAPES:-} WEIGHTS=${WEIGHTS:-} MODELS=${MODELS:-} CTK=${CTK:-} CTV=${CTV:-} ROT=${ROT:-} DEPTHS=${DEPTHS:-} PP=${PP:-} TG=${TG:-}" \
     "REPS=${REPS:-} FA=${FA:-} COMPARE=${COMPARE:-} SWEEP_ARGS=${SWEEP_ARGS:-} EVAL_ARGS=${EVAL_ARGS:-} JMH=${JMH:-}" > "$res/knobs.txt"

pack() { [ -n "${OUT:-}" ] && tar -C "$res" -czf "$OUT/results.tar.gz.part" . && mv "$OUT/results.tar.gz.part" "$OUT/results.tar.gz"; }
if [ -n "${OUT:-}" ]; then   # the sweep streams its cells: a call cut off at its limit still returns what ran
  mkdir -p "$OUT"; ( while sleep "${PACK_EVERY:-30}"; do pack; done ) & packer=$!
fi

if [ "${SWEEP:-1}" != 0 ]; then
  compare=(); [ "${COMPARE:-1}" = 1 ] && compare=(--compare-llama-bench)
  log "sweep ($(left) s left)"
  # shellcheck disable=SC2086
  ctxbench sweep -m "$(IFS=,; echo "${models[*]}")" -ctk "${CTK:-f16,q4_0}" -ctv "${CTV:-f16,q4_0}" --kv-rotation "${ROT:-on}" -fa "${FA:-on}" -d "${DEPTHS:-0,32768}" \
    -p "${PP:-512}" -n "${TG:-128}" -r "${REPS:-5}" "${compare[@]}" ${SWEEP_ARGS:-} --time-budget "$(( $(left) > 40 ? $(left) - 30 : 10 ))" \
    --out "$res/sweep" > "$res/sweep-table.md" 2>>"$res/log.txt" || log "sweep failed (log.txt)"
fi
if [ -n "${EVAL_ARGS:-}" ]; then
  log "eval ($(left) s left)"
  # shellcheck disable=SC2086
  ctxbench eval -m "${models[0]}" $EVAL_ARGS --out "$res/eval" > /dev/null 2>>"$res/log.txt" || log "eval failed (log.txt)"
fi
if [ -n "${BATCHED:-}" ]; then
  IFS=: read -ra bb <<< "$BATCHED"
  if [ ${#bb[@]} = 3 ]; then npp=${bb[0]} ntg=${bb[1]} npl=${bb[2]}; else
    # the quality pass's records when there are some (what the parallel pass ran), else all
    recs() { grep '"pass":"quality"' "$res/eval/results.jsonl" || cat "$res/eval/results.jsonl"; }
    mean() { recs | grep -o "\"$1\":[0-9]*" | awk -F: '{s+=$2; n++} END {if (n) printf "%d", s/n}'; }
    npp=$(mean prompt_tokens) ntg=$(mean generated_tokens) npl=${bb[0]}
  fi
  maxpl=$(tr , '\n' <<< "$npl" | sort -n | tail -1)
  for m in "${models[@]}"; do
    log "llama-batched-bench $(basename "$m") pp $npp tg $ntg pl $npl ($(left) s left)"
    "$CTXBENCH_NATIVE_DIR/bin/llama-batched-bench" -m "$m" -ngl 99 -fa on -c $(( (npp + ntg) * maxpl + 256 * maxpl )) \
      -b 2048 -ub 512 -npp "$npp" -ntg "$ntg" -npl "$npl" --output-format jsonl 2>>"$res/log.txt" \
      | sed "s|}\$|, \"model\": \"$(basename "$m")\"}|" >> "$res/batched-bench.jsonl" || log "llama-batched-bench failed (log.txt)"
  done
fi
if [ -n "${JMH:-}" ]; then
  log "JMH $JMH on $(basename "${models[-1]}") ($(left) s left)"
  "$here/scripts/jmh" "$JMH" -p model="${models[-1]}" -p depth=0 -f 1 -wi 1 -w 1s -i 3 -r 1s -rf json \
    -rff "$res/jmh.json" > "$res/jmh.txt" 2>>"$res/log.txt" || log "JMH failed (log.txt)"
fi
log "done ($(left) s of the budget left)"
[ -f "$res/sweep-table.md" ] && cat "$res/sweep-table.md" >&2
if [ -n "${OUT:-}" ]; then
  kill "$packer" 2>/dev/null; wait "$packer" 2>/dev/null
  pack; cp "$res/log.txt" "$OUT/log.txt"
fi
