#!/usr/bin/env bash
# The quality pass's cost on a mix that stands in for the study's six LongBench tasks (issue 16's projection),
# from an unpacked bundle made with DATA=<folder holding longbench/{multi_news,qasper_cachegen60}.jsonl and
# leval/meeting_summ.jsonl>. Each task gets a prompt of about its LongBench v1 mean length (words from the
# LongBench paper x 1.45 tokens a word, the Llama-3 tokenizer's rate on multi_news here) and its max new tokens:
#   narrativeqa  ~18.4k words -> RULER niah_single_2 (essay haystack) at 26k tokens, 128 new tokens
#   hotpotqa      ~9.2k words -> RULER qa_1 at 13k, 32 new tokens
#   2wikimqa      ~4.9k words -> RULER qa_1 at 7k, 32 new tokens
#   qasper, multi_news        -> the real LongBench lines (128 and 512 new tokens)
#   gov_report    ~8.7k words -> L-Eval meeting_summ run as gov_report (its template, 512 new tokens), middle-
#                                truncated to 13,000 tokens
# A random-weights model never stops early, so every sample generates its task's maximum (an upper bound).
#   bench/task-mix.sh BUNDLE_DIR MODEL RESULTS_DIR [eval options, e.g. --methods FP16,W4A16 --variant q4_k_m=F]
# SAMPLES [32] per task; COST_SAMPLES [0] of them at batch 1 first (the cost pass, for its per-sample times);
# TASKS [narrativeqa,qa,longbench,gov_report] which of the four runs to do; NQA_LEN [26000], QA_LENS [7000,13000], GOV_LEN [13000] for a model of a shorter context.
set -uo pipefail
b=$1 m=$2 res=$3; shift 3
mkdir -p "$res"
run() { local name=$1; shift
  [[ ",${TASKS:-narrativeqa,qa,longbench,gov_report}," == *",$name,"* ]] || return 0
  echo "[$(date +%T)] $name" >&2
  "$b/ctxbench" eval -m "$m" "$@" --cost-samples "${COST_SAMPLES:-0}" --fidelity 0 --out "$res/$name" "${extra[@]}" \
    > "$res/$name.out" 2> "$res/$name.log" || echo "[$(date +%T)] $name failed ($res/$name.log)" >&2
}
extra=("$@")
run narrativeqa --ruler niah_single_2 --ruler-data "$b/data" --lengths "${NQA_LEN:-26000}" --samples "${SAMPLES:-32}"
run qa --ruler qa_1 --ruler-data "$b/data" --lengths "${QA_LENS:-7000,13000}" --samples "${SAMPLES:-32}"
run longbench --data "$b/data/longbench/multi_news.jsonl" --data "$b/data/longbench/qasper_cachegen60.jsonl" --limit "${SAMPLES:-32}"
run gov_report --data "$b/data/leval/meeting_summ.jsonl" --task gov_report --max-length "${GOV_LEN:-13000}" --limit "${SAMPLES:-32}"
