"""Builds score_cases.jsonl: RULER's own scoring functions applied to hand-made predictions.

    python3 make_score_cases.py RULER_GIT_DIR > score_cases.jsonl

string_match_all / string_match_part come from scripts/eval/synthetic/constants.py and postprocess_pred from
scripts/eval/evaluate.py of the given NVIDIA/RULER clone (commit c3f5e3b), read from git and executed here
(evaluate.py itself imports NeMo, so only that function is taken out of it with ast). Each line: the metric, the
raw predictions, the references, the post-processed predictions and the task score evaluate.py reports.
"""
import ast
import json
import subprocess
import sys

ruler = sys.argv[1]


def show(path):
    return subprocess.run(["git", "-C", ruler, "show", "HEAD:" + path], check=True, capture_output=True, text=True).stdout


ns = {}
exec(show("scripts/eval/synthetic/constants.py"), ns)
tree = ast.parse(show("scripts/eval/evaluate.py"))
fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "postprocess_pred")
exec("import re\n" + ast.unparse(fn), ns)

cases = [
    ("string_match_all", ["The special magic number is 5661907.", "  none\n", "5661907 and 1234567"],
     [["5661907"], ["1234567"], ["5661907", "1234567", "7654321"]]),
    ("string_match_all", ["VZN DRY ENP zyt rsk", "VZN\x00DRY\x1fENP", "\t\x07 A B C \x1e"],
     [["VZN", "DRY", "ENP", "ZYT", "RSK"], ["VZN", "DRY", "ENP", "ZYT", "RSK"], ["a", "b", "c", "d"]]),
    ("string_match_all", ["1. Apple 2. banana 3. CHERRY", "", "apple"],
     [["apple", "banana", "cherry", "date", "elder", "fig"], ["x"], ["apple", "banana", "cherry"]]),
    ("string_match_all", ["ÉCOLE straße", "İstanbul"], [["école", "STRASSE"], ["istanbul"]]),
    ("string_match_all", ["ab", "ab", "ab"], [["a", "b", "c"], ["a", "x", "y"], ["z", "b", "q"]]),
    ("string_match_all", ["x"] * 7, [["x"]] * 2 + [["y"]] * 5),
    ("string_match_part", ["Paris, France", "the answer is 42", "no idea"], [["paris"], ["41", "42"], ["yes", "no"]]),
    ("string_match_part", ["unanswerable", "  \n", "Sequence Copy Task and WMT'17"],
     [["Unanswerable"], ["a"], ["sequence copy task", "WMT'18"]]),
    ("string_match_part", ["a", "b", "c"], [["a"], ["x"], ["x"]]),
    ("string_match_part", ["\x85 lead \xa0", "ǅ"], [["LEAD"], ["ǆ"]]),
]
for metric, preds, refs in cases:
    post = [ns["postprocess_pred"](p, {}) for p in preds]
    print(json.dumps({"metric": metric, "preds": preds, "refs": refs, "post": post,
                      "score": ns[metric](post, refs)}, ensure_ascii=True))
