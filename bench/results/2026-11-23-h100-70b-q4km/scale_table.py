#!/usr/bin/env python3
"""Summarise a gpu-scale.sh results folder: ctxbench vs llama-bench decode (and prefill) at each depth, per KV type.

MODE=sweep folders hold sweep-KV/sweep.jsonl (ctxbench sweep --compare-llama-bench); MODE=generate folders hold
llama-bench-KV.json and ctxbench-KV-dDEPTH.json files."""
import json, pathlib, sys

res = pathlib.Path(sys.argv[1])


def gib(b):
    return "" if b is None else f"{b / 2**30:.1f}"


def pm(s):
    return "" if not s else f"{s['mean']:.2f} ± {s['stddev']:.2f}"


def sweep_table(dirs):
    plan = res / "synth-plan.txt"
    if plan.exists():
        print("```\n" + plan.read_text().rstrip() + "\n```\n")
    print("| KV | depth | ctxbench tg128 t/s | llama-bench tg128 t/s | ratio tg | ctxbench pp512 t/s | llama-bench pp512 t/s "
          "| ratio pp | device | used after load / context / peak GiB | status |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|")
    for d in dirs:
        kv = d.name[len("sweep-"):]
        # as Reports.readJsonl: a cell repeated with llama-bench's figures replaces its first line (a sweep cut short
        # streams both), every other line is kept, a torn last line is skipped
        cells = {}
        for line in ((d / "sweep.jsonl").read_text().splitlines() if (d / "sweep.jsonl").exists() else []):
            try:
                c = json.loads(line)
            except ValueError:
                continue
            cells[json.dumps({k: v for k, v in c.items() if k != "llama_bench"}, sort_keys=True)] = c
        if not cells:
            print(f"| {kv} | | | | | | | | | | no results (see log.txt) |")
            continue
        for c in cells.values():
            cell, lb = c["cell"], c.get("llama_bench") or {}
            ratio = lambda k: f"**{lb[k]:.3f}**" if lb.get(k) is not None else ""
            mem = " / ".join(gib(c.get(k)) for k in ("device_used_after_load", "device_used_after_context", "device_used_peak"))
            status = c["status"] + (": " + c["reason"] if c.get("reason") else "") + (
                "; llama-bench: " + lb["error"] if lb.get("error") else "")
            print(f"| {kv} | {cell['depth']} | {pm(c.get('decode_tokens_per_second'))} | {pm(lb.get('decode_tokens_per_second'))} "
                  f"| {ratio('decode_ratio')} | {pm(c.get('prefill_tokens_per_second'))} | {pm(lb.get('prefill_tokens_per_second'))} "
                  f"| {ratio('prefill_ratio')} | {c.get('device', '')} | {mem if c.get('device_used_peak') else ''} | {status} |")


def generate_table():
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


sweeps = sorted(p for p in res.glob("sweep-*") if p.is_dir())
if sweeps:
    sweep_table(sweeps)
else:
    generate_table()
