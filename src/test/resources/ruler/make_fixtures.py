"""Builds the RULER fixtures in this folder by running NVIDIA/RULER's own generators (not copied here).

    pip install wonderwords nltk numpy scipy pyyaml tqdm
    python3 make_fixtures.py RULER_GIT_DIR SHARED_DATA_DIR OUT_DIR

RULER_GIT_DIR is a clone of NVIDIA/RULER (fixtures were made at commit c3f5e3b); its scripts/ are unpacked into a
temporary folder and run there unchanged, with four stand-ins, the same ones ctxbench's Java port uses:
  - the tokenizer: whitespace tokens (text.split()), so token counts can be checked without a model;
  - nltk's punkt sentence splitter (its model is a download, not a package): split after . ! ? (optionally
    followed by a closing quote or bracket) at whitespace;
  - json/PaulGrahamEssays.json (the essay haystack, downloaded by RULER from the web): the paragraphs of
    LongBench's multi_news.jsonl, joined by spaces;
  - json/english_words.json (cwe's larger list past the 8166 wonderwords; a Git LFS file in RULER): the distinct
    words of those multi_news paragraphs, lower-cased, non-letters cut from both ends, 2+ letters a-z, sorted
    (not used at the fixtures' lengths);
  - json/squad.json (SQuAD v2 dev): qasper_cachegen60.jsonl in SQuAD's layout, one article per paper with the
    whole paper as its one paragraph and its questions, plus one article per multi_news item with its
    paragraphs and no questions (they serve as distractor documents).
Each run writes RULER's own jsonl (index, input, outputs, length, answer_prefix, ...) to OUT_DIR/<task>-<len>.jsonl.
"""
import json
import os
import re
import runpy
import subprocess
import sys
import tempfile

ruler, shared, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
tmp = tempfile.mkdtemp()
subprocess.run(f"git -C {ruler} archive HEAD scripts | tar -x -C {tmp}", shell=True, check=True)
data = os.path.join(tmp, "scripts", "data")
syn = os.path.join(data, "synthetic")

with open(os.path.join(data, "tokenizer.py"), "w") as f:
    f.write("class _Ws:\n    def text_to_tokens(self, text):\n        return text.split()\n\n"
            "def select_tokenizer(kind, path):\n    return _Ws()\n")


def sentences(text):
    return [s for s in re.split(r'(?<=[.!?])\s+|(?<=[.!?]["\')\]])\s+', text.strip()) if s]


import nltk.tokenize  # noqa: E402
nltk.tokenize.sent_tokenize = sentences


def multi_news_items():
    items = []
    for line in open(os.path.join(shared, "longbench", "multi_news.jsonl"), encoding="utf-8"):
        ctx = json.loads(line)["context"]
        paras = []
        for passage in re.split(r"Passage \d+:\n", ctx):
            paras += [p.strip() for p in passage.split("NEWLINE_CHAR") if p.strip()]
        items.append(paras)
    return items


news = multi_news_items()
json.dump({"text": " ".join(p for item in news for p in item)},
          open(os.path.join(syn, "json", "PaulGrahamEssays.json"), "w"))
distinct = sorted({c for item in news for p in item for w in p.lower().split()
                   for c in [re.sub(r"^[^a-z]+|[^a-z]+$", "", w)] if len(c) > 1 and re.fullmatch(r"[a-z]+", c)})
json.dump({str(i): w for i, w in enumerate(distinct)}, open(os.path.join(syn, "json", "english_words.json"), "w"))
articles = []
for line in open(os.path.join(shared, "longbench", "qasper_cachegen60.jsonl"), encoding="utf-8"):
    r = json.loads(line)
    paper = r["context"].replace("\t", "\n")
    qa = {"question": r["input"], "answers": [{"text": a} for a in r["answers"]], "is_impossible": False}
    if articles and articles[-1]["paragraphs"][0]["context"] == paper:
        articles[-1]["paragraphs"][0]["qas"].append(qa)
    else:
        articles.append({"paragraphs": [{"context": paper, "qas": [qa]}]})
articles += [{"paragraphs": [{"context": p, "qas": []} for p in item]} for item in news]
json.dump({"data": articles}, open(os.path.join(syn, "json", "squad.json"), "w"))

sys.path[:0] = [syn, data]
TASKS = runpy.run_path(os.path.join(syn, "constants.py"))["TASKS"]
import yaml  # noqa: E402
CONFIG = yaml.safe_load(open(os.path.join(tmp, "scripts", "synthetic.yaml")))


def run(task, length, samples=2, seed=42):
    cfg = CONFIG[task]
    base = TASKS[cfg["task"]]
    argv = [cfg["task"] + ".py", "--save_dir", tmp, "--save_name", task, "--tokenizer_path", "-",
            "--max_seq_length", str(length), "--tokens_to_generate", str(base["tokens_to_generate"]),
            "--num_samples", str(samples), "--random_seed", str(seed),
            "--template", base["template"] + base["answer_prefix"]]
    for k, v in cfg["args"].items():
        argv += ["--" + k, str(v)]
    sys.argv = argv
    runpy.run_path(os.path.join(syn, cfg["task"] + ".py"), run_name="__main__")
    with open(os.path.join(tmp, task, "validation.jsonl")) as src, open(os.path.join(out, f"{task}-{length}.jsonl"), "w") as dst:
        dst.write(src.read())


for t in ["niah_single_1", "niah_single_2", "niah_single_3", "niah_multikey_1", "niah_multikey_2", "niah_multikey_3",
          "niah_multivalue", "niah_multiquery", "vt", "cwe", "fwe"]:
    run(t, 1024)
run("cwe", 4096, samples=1)   # at 4096 and more cwe switches to 30/3 repeats and a 40-word example
run("qa_1", 8192, samples=2)
