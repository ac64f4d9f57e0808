#!/usr/bin/env python3
"""Table of docs/low-bit-weights.md from the run folders: KL and top-1 vs FP16 (report.csv, with the report's 95 %
bootstrap intervals over samples) next to each variant's size (`ctxbench models inspect --json` of the file that ran).
Usage: table.py RUN_DIR...  (run from the repository root; CTXBENCH_NATIVE_DIR set)."""
import csv, glob, json, subprocess, sys

KIND = {"FP16": "f16", "W8": "q8_0", "W6": "q6_k", "W5": "q5_k_m", "W-IQ4XS": "iq4_xs", "W4A16": "q4_k_m",
        "W3": "q3_k_m", "W-IQ3XXS": "iq3_xxs", "W2": "q2_k", "W-IQ2XS": "iq2_xs"}
NOMINAL = {"q8_0": "Q8_0", "q6_k": "Q6_K", "q5_k_m": "Q5_K", "iq4_xs": "IQ4_XS", "q4_k_m": "Q4_K", "q3_k_m": "Q3_K",
           "iq3_xxs": "IQ3_XXS", "q2_k": "Q2_K", "iq2_xs": "IQ2_XS", "f16": "F16"}

def inspect(path):
    out = subprocess.run(["scripts/ctxbench", "models", "inspect", "-m", path, "--json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["model"]

for run in sys.argv[1:]:
    manifest = json.load(open(sorted(glob.glob(run + "/manifest*.json"))[0]))
    variants = manifest["config"]["models"][0]["variants"]
    rows = {r["method"]: r for r in csv.DictReader(open(run + "/report/report.csv"))}
    name = manifest["config"]["models"][0]["name"]
    print(f"\n{name}\n")
    print("| Method | Weights | File MiB | Bits/weight | Share in the nominal type | Tensor types (share of bytes, >= 1 %) | KL vs FP16 (nats) [95% CI] | Top-1 agreement [95% CI] | n |")
    print("|---|---|---|---|---|---|---|---|---|")
    for method, kind in KIND.items():
        if method not in rows or kind not in variants:
            continue
        m = inspect(variants[kind])
        by = m["tensor_bytes_by_type"]
        share = by.get(NOMINAL[kind], 0) / m["tensor_bytes"]
        r = rows[method]
        kl = "-" if method == "FP16" else f"{float(r['kl_mean']):.4f} [{float(r['kl_mean_ci_low']):.4f}, {float(r['kl_mean_ci_high']):.4f}]"
        t1 = "-" if method == "FP16" else f"{float(r['top1_agreement']):.3f} [{float(r['top1_agreement_ci_low']):.3f}, {float(r['top1_agreement_ci_high']):.3f}]"
        types = ", ".join(f"{t} {b / m['tensor_bytes']:.0%}" for t, b in sorted(by.items(), key=lambda e: -e[1])
                          if b / m["tensor_bytes"] >= 0.01)
        n = r["fidelity_n"] if method != "FP16" else "-"
        print(f"| {method} | {kind} | {m['file_bytes'] / 2**20:.1f} | {m['bits_per_weight']:.2f} | {share:.0%} | {types} | {kl} | {t1} | {n} |")
