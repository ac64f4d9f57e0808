#!/usr/bin/env bash
# Does prompt compression pay off on a GPU? For prompts of 8k, 16k and 32k target tokens, measures on one GPU:
#   full:        ctxbench generate on the whole prompt (TTFT, end-to-end for 128 new tokens)
#   compressed:  ctxbench compress --rate 2 (perplexity method, scoring model on the GPU) + generate on the kept text
# and reports whether compress + generate beats generate, for TTFT and for end-to-end. Run from an unpacked bundle
# (scripts/bundle makes one):  ./scripts/gpu-compress.sh [RESULTS_DIR]
# Models are synthetic (random weights; cost is what is measured, outputs are meaningless): the target has
# Llama-3.1-8B's shape (F16), the scoring model SmolLM2-135M's shape with the Llama 3 tokenizer
# (smollm2-135m-like in models/shapes.json; the real SmolLM2 file does not fit the bundle). Random weights make the
# scoring model's choices arbitrary but not its cost: every token is still evaluated and scored.
# Prompts are pseudo-English sentences drawn from a fixed word list (seeded), sized in the target's tokens.
# Writes manifest.txt, raw JSON per run, results.json and summary.md to RESULTS_DIR. About 3-4 minutes after the
# CUDA build (BUDGET_S, default 480, stops early and says so).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
res=${1:-$here/results-compress}; mkdir -p "$res"
export CTXBENCH_CACHE=${CTXBENCH_CACHE:-/tmp/ctxbench-cache}
work=${WORK:-/tmp/ctxbench-models}; mkdir -p "$work"
start=$(date +%s); budget=${BUDGET_S:-480}
left() { echo $(( budget - ($(date +%s) - start) )); }
log() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$res/log.txt" >&2; }
SIZES=${SIZES:-"8192 16384 32768"}
NEW=${NEW_TOKENS:-128}

source "$here/scripts/gpu-common.sh"
{
  node_manifest
  echo "sizes=$SIZES new_tokens=$NEW rate=2 method=perplexity"
} > "$res/manifest.txt"
native_build || exit 1
cat "$native/BUILD_INFO" >> "$res/manifest.txt" 2>/dev/null
start=$(date +%s)   # the budget counts from here: the build is apart

target="$work/l8b-f16.gguf"; scorer="$work/smollm2-like-f16.gguf"
synth llama-3.1-8b f16 "$target" || { log "synth target failed"; exit 1; }
synth smollm2-135m-like f16 "$scorer" || { log "synth scorer failed"; exit 1; }
log "models written"

# pseudo-English text, then sized in target tokens with the target's own tokenizer (compress --rate 1 counts it)
python3 - "$work" <<'PY'
import random, sys
words = ("the of and to in a is that for it as was with be by on not he this are or his from at which but have an "
         "they you were her she there been one all we their has would when if so no what up out who them some could "
         "time year people way day man government company number group problem fact market report city police court "
         "state school system program question work study water power health price money policy research model data "
         "result energy team game season player election president minister council officer agency program million "
         "percent said says told according announced reported week month Monday Tuesday Friday Washington London "
         "Chicago Paris Smith Johnson officials investigators scientists protesters residents").split()
rnd = random.Random(42)
out = []
while len(out) < 12000:
    n = rnd.randint(8, 28)
    s = [rnd.choice(words) for _ in range(n)]
    s[0] = s[0].capitalize()
    if rnd.random() < 0.3:
        s.insert(rnd.randint(1, n - 1), str(rnd.randint(2, 2024)))
    out.append(" ".join(s) + ".")
    if rnd.random() < 0.1:
        out.append("\n")
open(sys.argv[1] + "/text.txt", "w").write(" ".join(out))
PY
"$here/ctxbench" compress --method extractive -m "$target" -f "$work/text.txt" --rate 1 --json > "$res/calibrate.json" 2>>"$res/log.txt" \
  || { log "calibration failed"; exit 1; }
python3 - "$work" "$res/calibrate.json" $SIZES <<'PY'
import json, sys
work, cal, sizes = sys.argv[1], json.load(open(sys.argv[2])), [int(x) for x in sys.argv[3:]]
text = open(work + "/text.txt").read()
per_char = cal["original_tokens"] / len(text)
for n in sizes:
    cut = int(n / per_char)
    cut = text.rfind(". ", 0, cut) + 1   # end on a sentence
    open(f"{work}/prompt{n}.txt", "w").write(text[:cut])
PY
log "prompts written (tokens/char from the target tokenizer: see calibrate.json)"

for n in $SIZES; do
  if [ "$(left)" -lt 40 ]; then log "stopping before $n: $(left) s left of the budget"; break; fi
  ctx=$(( n + NEW + 256 ))
  log "full prompt $n: generate"
  "$here/ctxbench" generate -m "$target" --no-chat -f "$work/prompt$n.txt" -n "$NEW" -c "$ctx" --ignore-eos -fa on --warmup \
    --memory-sample-ms 0 --json > "$res/full-$n.json" 2>>"$res/log.txt" || log "generate full $n failed"
  log "compress $n (perplexity, 2x, scoring model on the GPU)"
  t0=$(date +%s%N)
  "$here/ctxbench" compress -m "$scorer" --target-model "$target" -f "$work/prompt$n.txt" --rate 2 -c 8192 --segment 1024 \
    --json > "$res/compress-$n.json" 2>>"$res/log.txt" || log "compress $n failed"
  t1=$(date +%s%N)
  echo "{\"process_seconds\": $(( (t1 - t0) / 1000000 ))e-3}" > "$res/compress-process-$n.json"
  python3 -c "import json,sys; open(sys.argv[2],'w').write(json.load(open(sys.argv[1]))['context'])" \
    "$res/compress-$n.json" "$work/compressed$n.txt" 2>>"$res/log.txt"
  log "compressed prompt $n: generate"
  "$here/ctxbench" generate -m "$target" --no-chat -f "$work/compressed$n.txt" -n "$NEW" -c "$ctx" --ignore-eos -fa on --warmup \
    --memory-sample-ms 0 --json > "$res/compressed-$n.json" 2>>"$res/log.txt" || log "generate compressed $n failed"
done

python3 - "$res" $SIZES <<'PY' | tee "$res/summary.md"
import json, os, sys
res, sizes = sys.argv[1], sys.argv[2:]
def load(p):
    try:
        return json.load(open(os.path.join(res, p)))
    except Exception:
        return None
rows = []
print("| prompt tok | kept tok | rate | compress s | full TTFT ms | c TTFT ms (+compress) | TTFT wins? | full e2e ms | c e2e ms (+compress) | e2e wins? |")
print("|---:|---:|---:|---:|---:|---:|---|---:|---:|---|")
for n in sizes:
    f, c, g = load(f"full-{n}.json"), load(f"compress-{n}.json"), load(f"compressed-{n}.json")
    if not (f and c and g):
        print(f"| {n} | (missing: see log.txt) |||||||||")
        continue
    cs = c["seconds"] * 1000
    ft, fe = f["timings"]["ttft_ns"] / 1e6, f["timings"]["end_to_end_ns"] / 1e6
    gt, ge = g["timings"]["ttft_ns"] / 1e6, g["timings"]["end_to_end_ns"] / 1e6
    row = dict(prompt_tokens=f["timings"]["prompt_tokens"], compressed_prompt_tokens=g["timings"]["prompt_tokens"],
               achieved_rate=c["achieved_rate"], compress_ms=cs, compress_device=c["device"], scored_tokens=c["scored_tokens"],
               full_ttft_ms=ft, full_e2e_ms=fe, compressed_ttft_ms=gt, compressed_e2e_ms=ge,
               compressed_plus_compress_ttft_ms=gt + cs, compressed_plus_compress_e2e_ms=ge + cs,
               ttft_wins=gt + cs < ft, e2e_wins=ge + cs < fe)
    rows.append(row)
    print(f"| {row['prompt_tokens']} | {row['compressed_prompt_tokens']} | {c['achieved_rate']:.2f} | {cs/1000:.2f} | {ft:.0f} | "
          f"{gt:.0f} ({gt+cs:.0f}) | {'yes' if row['ttft_wins'] else 'no'} | {fe:.0f} | {ge:.0f} ({ge+cs:.0f}) | "
          f"{'yes' if row['e2e_wins'] else 'no'} |")
json.dump(rows, open(os.path.join(res, "results.json"), "w"), indent=1)
print()
print("compress s: the compress call itself (scoring model already loaded; its load time is in compress-process-N.json).")
PY
log "done"
