#!/usr/bin/env python3
"""The tables of docs/kv-types.md from the runs of cpu-kv-types.sh: per model, each method's KL(FP16 || method) and
top-1 agreement with their 95% intervals as the eval report computed them (report/report.json: percentile bootstrap
over samples), the K/V types and the rotation llama.cpp applied as the records say (kv_k, kv_v, kv_rotation,
kv_path), and rotation off minus on, paired by sample (the same percentile bootstrap, 2000 resamples, fixed seed).
usage: assemble.py RUN_DIR [RUN_DIR ...]"""
import glob, json, os, random, sys


def bootstrap_mean(xs, n=2000, seed=42):
    rnd = random.Random(seed)
    means = sorted(sum(rnd.choice(xs) for _ in xs) / len(xs) for _ in range(n))
    return sum(xs) / len(xs), means[int(0.025 * n)], means[min(n - 1, int(0.975 * n))]


def lines(pattern):
    for f in sorted(glob.glob(pattern)):
        for l in open(f):
            if l.strip():
                yield json.loads(l)


def fmt(v, lo, hi, digits):
    return "-" if v is None else f"{v:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


for run in sys.argv[1:]:
    rows = [r for r in json.load(open(os.path.join(run, "report", "report.json")))["rows"]]
    recs = {}
    for r in lines(os.path.join(run, "results*.jsonl")):
        recs.setdefault(r["method"], r)
    fid = {}
    for r in lines(os.path.join(run, "fidelity*.jsonl")):
        fid.setdefault(r["method"], {})[r["id"]] = r
    model = rows[0]["model"]
    print(f"### {model}\n")
    print("| method | K | V | rotation (llama.cpp) | bits/value | KL(FP16 ‖ method), nats | top-1 agreement | n |")
    print("|---|---|---|---|---:|---:|---:|---:|")
    bits = {"f16": 16, "q8_0": 8.5, "q5_1": 6, "q5_0": 5.5, "q4_1": 5, "q4_0": 4.5, "iq4_nl": 4.5}
    for r in rows:
        rec = recs[r["method"]]
        b = (bits[rec["kv_k"]] + bits[rec["kv_v"]]) / 2
        if r["method"] == rows[0]["method"]:
            print(f"| {r['method']} | {rec['kv_k']} | {rec['kv_v']} | - | {b:g} | (baseline) | (baseline) | - |")
            continue
        print(f"| {r['method']} | {rec['kv_k']} | {rec['kv_v']} | {rec.get('kv_rotation') or '-'} | {b:g} | "
              f"{fmt(r['kl_mean'], r['kl_mean_ci_low'], r['kl_mean_ci_high'], 4)} | "
              f"{fmt(r['top1_agreement'], r['top1_agreement_ci_low'], r['top1_agreement_ci_high'], 3)} | {r['fidelity_n']} |")
    print()
    for on, off in (("KV-Q8", "KV-Q8-norot"), ("KV-Q4", "KV-Q4-norot")):
        if on in fid and off in fid:
            ids = sorted(set(fid[on]) & set(fid[off]))
            for what, key, d in (("KL", "kl_mean", 4), ("top-1", "top1_agreement", 3)):
                v, lo, hi = bootstrap_mean([fid[off][i][key] - fid[on][i][key] for i in ids])
                print(f"- {off} minus {on}, {what}: {v:+.{d}f} [{lo:+.{d}f}, {hi:+.{d}f}] (n={len(ids)} samples, paired)")
    print()
