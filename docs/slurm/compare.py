#!/usr/bin/env python3
"""Compares a sharded eval run folder with a single-process run of the same samples (docs/slurm.md):
the sample records (keys, predictions, token ids, scores, prompt hashes), the fidelity records, and the score
columns of the two reports' lengths.csv (RULER cells with their intervals). Timings differ and are not compared.
   python3 docs/slurm/compare.py SHARDED_DIR SINGLE_DIR"""
import csv, glob, json, os, sys

def records(d, prefix):
    out = {}
    for f in sorted(glob.glob(os.path.join(d, prefix + "*.jsonl"))):
        for line in open(f):
            if line.strip():
                r = json.loads(line)
                out[r["key"]] = r
    return out

def lengths(d):
    with open(os.path.join(d, "report", "lengths.csv")) as f:
        return sorted(tuple(sorted(row.items())) for row in csv.DictReader(f))

a, b = sys.argv[1], sys.argv[2]
ok = True
sa, sb = records(a, "results"), records(b, "results")
print(f"sample records: sharded {len(sa)}, single {len(sb)}, same keys: {sa.keys() == sb.keys()}")
ok &= sa.keys() == sb.keys()
for field in ("prediction", "generated_token_ids", "scores", "prompt_sha256"):
    diff = [k for k in sa if k in sb and sa[k].get(field) != sb[k].get(field)]
    print(f"  {field}: {len(sa) - len(diff)} of {len(sa)} equal" + (f" (differ: {diff})" if diff else ""))
    ok &= not diff
fa, fb = records(a, "fidelity"), records(b, "fidelity")
same = fa.keys() == fb.keys() and all({k: v for k, v in fa[x].items()} == fb[x] for x in fa)
print(f"fidelity records: sharded {len(fa)}, single {len(fb)}, equal: {same}")
ok &= same
la, lb = lengths(a), lengths(b)
print(f"lengths.csv rows (RULER cells, score and 95% interval): sharded {len(la)}, single {len(lb)}, equal: {la == lb}")
ok &= la == lb
print("EQUAL" if ok else "DIFFERENT")
sys.exit(0 if ok else 1)
