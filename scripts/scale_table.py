#!/usr/bin/env python3
"""Summarise a gpu-scale.sh results folder: llama-bench vs ctxbench decode at each depth, per KV type."""
import json, pathlib, sys

res = pathlib.Path(sys.argv[1])
print("| KV | depth | llama-bench tg128 t/s | ctxbench decode t/s | ratio | llama-bench pp512 t/s | ctxbench pp512 t/s | ratio | peak device memory |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
for lb in sorted(res.glob("llama-bench-*.json")):
    kv = lb.stem[len("llama-bench-"):]
    try:
        bench = json.loads(lb.read_text())
    except ValueError as e:
        print(f"| {kv} | llama-bench output unreadable: {e} |||||||")
        continue
    for tg in (b for b in bench if b["n_gen"] > 0):
        d = tg["n_depth"]
        pp = next((b for b in bench if b["n_prompt"] > 0 and b["n_depth"] == d), None)
        row = f"| {kv} | {d} | {tg['avg_ts']:.2f} ± {tg['stddev_ts']:.2f} | "
        g = res / f"ctxbench-{kv}-d{d}.json"
        if g.exists():
            j = json.loads(g.read_text())
            ours = j["decode_tokens_per_second_mean"]
            peak = ", ".join(f"{m['name']} {(m['total'] - m['free']) / 2**30:.1f} GiB"
                             for m in j["memory"]["peak_during_generation"] if m["name"] != "CPU")
            row += f"{ours:.2f} ± {j['decode_tokens_per_second_stddev']:.2f} | **{ours / tg['avg_ts']:.3f}** | "
        else:
            peak = ""
            row += "missing | | "
        row += f"{pp['avg_ts']:.0f} ± {pp['stddev_ts']:.0f} | " if pp else " | "
        p = res / f"ctxbench-{kv}-pp512.json"
        if d == 0 and p.exists() and pp:
            ours_pp = json.loads(p.read_text())["prefill_tokens_per_second_mean"]
            row += f"{ours_pp:.0f} | **{ours_pp / pp['avg_ts']:.3f}** | "
        else:
            row += " | | "
        print(row + peak + " |")
