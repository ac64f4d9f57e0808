#!/usr/bin/env bash
# Context-length sweeps of ctxbench on a GPU node, from an unpacked bundle (scripts/bundle makes one), in one go
# of under 9 minutes including the CUDA build:
#   ./scripts/gpu-sweep.sh [RESULTS_DIR]              parity matrix (issue 6 acceptance 1 and 3)
#   ./scripts/gpu-sweep.sh --extended [RESULTS_DIR]   extended matrix (acceptance 2)
# Parity: synthetic Llama-3.1-8B shape (random weights; cost equals the real model's) as F16 and Q4_K_M
# (llama-quantize; Q4_0 written directly instead when the budget is short), KV f16/q8_0/q4_0, flash attention
# on, depths 0 and 32768, pp512/tg128, 2 repetitions, with llama-bench run alongside (--compare-llama-bench);
# then the JMH FFM-overhead benchmarks on the quantized model (us per call, engine decode vs raw llama_decode).
# Extended: Llama-3.1-Minitron-4B-Width and Mistral-NeMo-12B shapes (F16), KV f16/q4_0, flash attention on,
# depths 0..131072, 1 repetition (COMPARE=1 adds llama-bench), charts of decode/prefill t/s and device memory
# against depth. Budget: BUDGET_S (default 510 s of wall time from the start); cells that would start after it
# are reported as skipped. With $OUT set, the results are packed there (results.tar.gz + summary files).
# Knobs (environment): DEPTHS (list), REPS (parity repetitions, default 2), QUANT=synth (parity: Q4_K_M written
# directly by `models synth`, the same tensor types as llama-quantize, instead of quantizing the F16 file),
# EXPORT_NATIVE=1 (also pack the CUDA build made here into $OUT, see gpu-common.sh), PACK_EVERY (seconds between
# the packs of the results made while the sweep runs, default 30),
# NO_JMH=1 (parity without the JMH step), PARITY_KVS (parity: KV types or K/V pairs, default f16,q8_0,q4_0;
# e.g. q8_0/q4_0,q8_0,q4_0 for a mixed pair beside its matching ones), EXT_WEIGHTS (extended: weight types, default f16), KVS (extended: KV
# types, default f16,q4_0).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=parity
if [ "${1:-}" = --extended ]; then mode=extended; shift; fi
res=${1:-$here/results-$mode}; mkdir -p "$res"
export CTXBENCH_CACHE=${CTXBENCH_CACHE:-/tmp/ctxbench-cache}
work=${WORK:-/tmp/ctxbench-models}; mkdir -p "$work"
start=$(date +%s); budget=${BUDGET_S:-510}
left() { echo $(( budget - ($(date +%s) - start) )); }
within() { local s=$(( $(left) - $1 )); [ "$s" -gt 10 ] && echo "$s" || echo 10; }   # a sweep's time budget
# dry runs elsewhere (e.g. on a CPU box with a built native dir): SHAPE=tiny EXT_SHAPES=tiny,tiny DEPTHS=0,256
shape=${SHAPE:-llama-3.1-8b}
IFS=, read -r ext1 ext2 <<< "${EXT_SHAPES:-llama-3.1-minitron-4b-width,mistral-nemo-12b}"
log() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$res/log.txt" >&2; }

source "$here/scripts/gpu-common.sh"
sweep() { "$here/ctxbench" sweep "$@"; }

log "writing synthetic models in the background ($mode)"
if [ "$mode" = parity ]; then
  (synth "$shape" f16 "$work/$shape-f16.gguf") & synth_pid=$!
else
  ext_weights=${EXT_WEIGHTS:-f16}; ext_models=()
  for w in ${ext_weights//,/ }; do ext_models+=("$work/$ext1-$w.gguf" "$work/$ext2-$w.gguf"); done
  ( for w in ${ext_weights//,/ }; do synth "$ext1" "$w" "$work/$ext1-$w.gguf" && synth "$ext2" "$w" "$work/$ext2-$w.gguf" || exit 1; done ) &
  synth_pid=$!
fi
native_build || exit 1
wait "$synth_pid" || { log "writing the synthetic models failed (see log.txt)"; exit 1; }
log "models written"
"$here/ctxbench" info > "$res/info.txt" 2>&1
{ node_manifest; cat "$native/BUILD_INFO"; } > "$res/manifest.txt"
pack() { tar -C "$res" -czf "$OUT/results-$mode.tar.gz.part" . && mv "$OUT/results-$mode.tar.gz.part" "$OUT/results-$mode.tar.gz"; }
if [ -n "${OUT:-}" ]; then   # the sweep streams its cells: a call cut off at its time limit still returns what ran
  mkdir -p "$OUT"; ( while sleep "${PACK_EVERY:-30}"; do pack; done ) & packer=$!
fi

if [ "$mode" = parity ]; then
  models="$work/$shape-f16.gguf"
  if [ "${QUANT:-quantize}" = synth ]; then
    log "Q4_K_M written by models synth (llama-quantize's tensor types)"
    synth "$shape" q4_k_m "$work/$shape-q4_k_m.gguf" && quant="$work/$shape-q4_k_m.gguf"
  elif [ "$(left)" -gt 250 ]; then
    log "Q4_K_M through llama-quantize ($(left) s left)"
    "$native/bin/llama-quantize" "$work/$shape-f16.gguf" "$work/$shape-q4_k_m.gguf" Q4_K_M "$(nproc)" >>"$res/log.txt" 2>&1 \
      && quant="$work/$shape-q4_k_m.gguf"
  fi
  if [ -z "${quant:-}" ]; then
    log "Q4_0 written directly instead of Q4_K_M ($(left) s left)"
    synth "$shape" q4_0 "$work/$shape-q4_0.gguf" && quant="$work/$shape-q4_0.gguf"
  fi
  models="$models,${quant:-}"
  log "sweep (with llama-bench): $models"
  sweep -m "$models" --kv "${PARITY_KVS:-f16,q8_0,q4_0}" -fa on -d "${DEPTHS:-0,32768}" -p 512 -n 128 -r "${REPS:-2}" --compare-llama-bench \
    --time-budget "$(within 75)" --out "$res/sweep" --charts png,svg > "$res/sweep-table.md" 2>>"$res/log.txt" \
    || log "sweep failed"
  if [ -z "${NO_JMH:-}" ] && [ "$(left)" -gt 45 ] && [ -n "${quant:-}" ]; then
    log "JMH FFM overhead on $(basename "$quant") ($(left) s left)"
    CTXBENCH_NATIVE_DIR=$native "$here/scripts/jmh" 'FfmOverheadBenchmark\.(noopNative|getterNative|decodeRaw|decodeEngine|sampleEngine)' -p model="$quant" -p depth=0 \
      -f 1 -wi 1 -w 1s -i 3 -r 1s -rf json -rff "$res/jmh-ffm.json" > "$res/jmh-ffm.txt" 2>>"$res/log.txt" || log "JMH failed"
  else
    log "skipping JMH: $(left) s left"
  fi
else
  log "extended sweep"
  sweep -m "$(IFS=,; echo "${ext_models[*]}")" --kv "${KVS:-f16,q4_0}" -fa on -d "${DEPTHS:-0,16k,32k,64k,128k}" -p 512 -n 128 \
    -r 1 --beyond-trained-context ${COMPARE:+--compare-llama-bench} --time-budget "$(within 30)" \
    --out "$res/sweep" --charts png,svg > "$res/sweep-table.md" 2>>"$res/log.txt" || log "sweep failed"
fi

python3 - "$res" <<'PY' > "$res/summary.md"
import json, pathlib, sys
res = pathlib.Path(sys.argv[1])
print((res / "sweep-table.md").read_text() if (res / "sweep-table.md").exists() else "(no sweep table)")
f = res / "jmh-ffm.json"
if f.exists():
    d = {b["benchmark"].rsplit(".", 1)[1]: b["primaryMetric"] for b in json.loads(f.read_text())}
    print("\n| JMH FfmOverheadBenchmark | us/op | error |\n|---|---:|---:|")
    for k, v in sorted(d.items()):
        print(f"| {k} | {v['score']:.4f} | {v['scoreError']:.4f} |")
    if "decodeEngine" in d and "decodeRaw" in d:
        e, r = d["decodeEngine"]["score"], d["decodeRaw"]["score"]
        print(f"\nengine decode step {e:.2f} us vs raw llama_decode {r:.2f} us: difference {e - r:+.2f} us "
              f"({(e - r) / r * 100:+.3f} % of a step); a no-op native call costs {d.get('noopNative', {}).get('score', float('nan')):.4f} us")
PY
cat "$res/summary.md" >&2
log "done ($(left) s of the budget left)"
if [ -n "${OUT:-}" ]; then
  kill "$packer" 2>/dev/null; wait "$packer" 2>/dev/null
  pack
  cp "$res/summary.md" "$OUT/summary-$mode.md"; cp "$res/log.txt" "$OUT/log-$mode.txt"
  for c in decode-vs-depth memory-vs-depth; do [ -f "$res/sweep/$c.png" ] && cp "$res/sweep/$c.png" "$OUT/$mode-$c.png"; done
fi
