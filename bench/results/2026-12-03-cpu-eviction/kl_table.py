#!/usr/bin/env python3
"""KL(FP16 || method) and top-1 agreement per method from an eval run's fidelity.jsonl: mean over samples with a 95%
percentile-bootstrap interval (2000 resamples, seed 1), as ctxbench report computes its intervals.
Usage: kl_table.py RUN_DIR [RUN_DIR ...]"""
import collections, json, random, sys

def ci(xs, rng):
    means = sorted(sum(rng.choice(xs) for _ in xs) / len(xs) for _ in range(2000))
    return sum(xs) / len(xs), means[49], means[1949]

print("| model | method | n | KL nats | top-1 agreement |")
print("|---|---|---:|---:|---:|")
for run in sys.argv[1:]:
    d = collections.defaultdict(list)
    for line in open(f"{run}/fidelity.jsonl"):
        r = json.loads(line)
        d[(r["model"], r["method"])].append(r)
    for (model, method), rs in d.items():
        rng = random.Random(1)
        kl = ci([r["kl_mean"] for r in rs], rng)
        t1 = ci([r["top1_agreement"] for r in rs], rng)
        print(f"| {model} | {method} | {len(rs)} | {kl[0]:.3f} [{kl[1]:.3f}, {kl[2]:.3f}] | {t1[0]:.2f} [{t1[1]:.2f}, {t1[2]:.2f}] |")
