#!/usr/bin/env python3
"""Issue 16's projection of the study's full 8B matrix (13 methods x 6 tasks x 200 samples) from this folder's
measured per-sample figures. Run: python3 projection.py [COST_SAMPLES]  (default 10, eval's --cost-samples default).

Per task and weights (FP16 = F16 file, W4A16 = Q4_K_M file): the quality pass's wall time over its samples (the
"quality pass done in X s" line of each run's log; --parallel auto = 16 slots, fewer where memory would not hold 16
of the longest prompts) and the cost pass's mean wall per sample at batch 1 (records' costs.sample_ms: generation +
scoring). The four runs stand for the six tasks: narrativeqa; qa (hotpotqa at 13k + 2wikimqa at 7k, one pass over
both, so each gets the pass's mean); longbench (qasper + multi_news, likewise); gov_report. The cost pass of qa ran
only 7k samples (the first two), used for both.

Methods map to the measured weights: F16-weight methods (FP16, BF16, KV-Q, FP16_c, BF16_c, KV-Q+c, Minitron,
Mini+c, Mini+KVQ) at FP16's figures, Q4_K_M ones (W4A16, W4A16+c, W4A16+KVQ, Mini+W4A16) at W4A16's. That over-
states compressed (prompts halved) and Minitron (about half the FLOPs) methods and understates KV-Q (q4_0 cache:
1.39x FP16's per-sample time at --parallel 16 on multi_news, run 2); the floor below credits the first two.
"""
import json, re, sys, statistics as st
from pathlib import Path

here = Path(__file__).parent
K = int(sys.argv[1]) if len(sys.argv) > 1 else 10
N = 200
TASKS = {"narrativeqa": ["narrativeqa"], "qa": ["hotpotqa", "2wikimqa"], "longbench": ["qasper", "multi_news"],
         "gov_report": ["gov_report"]}
F16_METHODS = ["FP16", "BF16", "KV-Q", "FP16_c", "BF16_c", "KV-Q+c", "Minitron", "Mini+c", "Mini+KVQ"]
Q4_METHODS = ["W4A16", "W4A16+c", "W4A16+KVQ", "Mini+W4A16"]


def figures(folder):
    out = {}
    for run in TASKS:
        recs = [json.loads(l) for l in open(here / folder / run / "results.jsonl")]
        quality = [r for r in recs if r.get("pass") == "quality"]
        cost = [r for r in recs if r.get("pass") == "cost"]
        wall = float(re.search(r"quality pass done in ([\d.]+) s", (here / folder / f"{run}.log").read_text()).group(1))
        out[run] = dict(quality=wall / len(quality), n_quality=len(quality), cost=st.mean(r["costs"]["sample_ms"] for r in cost) / 1e3,
                        n_cost=len(cost), prompt=st.mean(r["metrics"]["prompt_tokens"] for r in recs),
                        new=st.mean(r["metrics"]["generated_tokens"] for r in recs))
    return out


def per_method(f):
    """Seconds for one method's 6 tasks x N samples: K at batch 1, N - K in the quality pass."""
    return sum(len(tasks) * (K * f[run]["cost"] + (N - K) * f[run]["quality"]) for run, tasks in TASKS.items())


fp16, w4 = figures("mix-fp16"), figures("mix-w4")
print("| run (tasks) | mean prompt tokens | new tokens | FP16 quality s/sample (n) | FP16 batch-1 s/sample (n) | W4A16 quality (n) | W4A16 batch-1 (n) |")
print("|---|---:|---:|---:|---:|---:|---:|")
for run, tasks in TASKS.items():
    a, b = fp16[run], w4[run]
    print(f"| {run} ({', '.join(tasks)}) | {a['prompt']:,.0f} | {a['new']:.0f} | {a['quality']:.3f} ({a['n_quality']}) | "
          f"{a['cost']:.3f} ({a['n_cost']}) | {b['quality']:.3f} ({b['n_quality']}) | {b['cost']:.3f} ({b['n_cost']}) |")
m16, m4 = per_method(fp16), per_method(w4)
total = len(F16_METHODS) * m16 + len(Q4_METHODS) * m4
print(f"\nper method (6 tasks x {N}, --cost-samples {K}): FP16-weight {m16:,.0f} s, Q4_K_M {m4:,.0f} s")
print(f"matrix 13 x 6 x {N}: {total:,.0f} s = {total / 3600:.2f} h on one H200; {total / 8 / 60:.0f} min on 8 (--shard i/8)")
batch1 = sum(len(t) * N * (len(F16_METHODS) * fp16[r]["cost"] + len(Q4_METHODS) * w4[r]["cost"]) for r, t in TASKS.items())
print(f"everything at batch 1: {batch1 / 3600:.2f} h")

# the floor: prompt tokens alone at the quality pass's best measured prefill rate per weights (prompt chunks of the
# runs' breakdowns), crediting compression (rate 2: half the prompt) and Minitron (4.5B of 8.0B parameters)
rate = {}
for folder in ("mix-fp16", "mix-w4"):
    best = 0
    for run in TASKS:
        m = re.search(r"prompt chunks [\d.]+ s \(([\d,]+) tokens, (\d+) t/s\)", (here / folder / f"{run}.log").read_text())
        best = max(best, int(m.group(2)))
    rate[folder] = best
tokens = sum(len(t) * N * fp16[r]["prompt"] for r, t in TASKS.items())   # one method's prompt tokens
share = {"FP16": 1, "BF16": 1, "KV-Q": 1, "FP16_c": .5, "BF16_c": .5, "KV-Q+c": .5, "Minitron": .56, "Mini+c": .28,
         "Mini+KVQ": .56, "W4A16": 1, "W4A16+c": .5, "W4A16+KVQ": 1, "Mini+W4A16": .56}
floor = sum(tokens * s / rate["mix-w4" if m in Q4_METHODS else "mix-fp16"] for m, s in share.items())
print(f"prefill floor: {tokens / 1e6:.1f} M prompt tokens a method; at {rate['mix-fp16']:,} t/s (F16) and "
      f"{rate['mix-w4']:,} t/s (Q4_K_M), compression and pruning credited: {floor:,.0f} s = {floor / 3600:.2f} h")
