#!/usr/bin/env python3
"""Summarise a gpu-parity.sh results folder as a markdown table: llama-bench vs ctxbench, same file and run."""
import json, pathlib, sys

res = pathlib.Path(sys.argv[1])
rows = []
for lb in sorted(res.glob("llama-bench-*.json")):
    label = lb.stem[len("llama-bench-"):]
    try:
        bench = json.loads(lb.read_text())
        tg = next(b for b in bench if b["n_gen"] > 0 and b["n_prompt"] == 0)
        pp = next(b for b in bench if b["n_prompt"] > 0 and b["n_gen"] == 0)
        gen = json.loads((res / f"ctxbench-generate-{label}.json").read_text())
        pre = json.loads((res / f"ctxbench-prefill-{label}.json").read_text())
    except (OSError, ValueError, StopIteration, KeyError) as e:
        rows.append(f"| {label} | incomplete: {e} |||||||")
        continue
    d, p = gen["decode_tokens_per_second_mean"], pre["prefill_tokens_per_second_mean"]
    g = gen.get("generation_tokens_per_second_mean", 0.0)
    ns = res / f"ctxbench-realprompt-{label}.json"
    dn = json.loads(ns.read_text())["decode_tokens_per_second_mean"] if ns.exists() else float("nan")
    rows.append(f"| {label} | {tg['model_size'] / 2**30:.2f} GiB | {tg['avg_ts']:.1f} ± {tg['stddev_ts']:.1f} | "
                f"{d:.1f} ± {gen['decode_tokens_per_second_stddev']:.1f} | **{d / tg['avg_ts']:.3f}** | "
                f"{pp['avg_ts']:.0f} ± {pp['stddev_ts']:.0f} | {p:.0f} ± {pre['prefill_tokens_per_second_stddev']:.0f} | "
                f"**{p / pp['avg_ts']:.3f}** | {g:.1f} | {dn:.1f} |")
print("| weights | size | llama-bench tg128 t/s | ctxbench decode t/s | ratio | llama-bench pp512 t/s | "
      "ctxbench prefill t/s | ratio | ctxbench decode+sampling t/s | ctxbench decode after a 2-token prefill, memory sampler off |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
print("\n".join(rows))
