#!/usr/bin/env python3
"""Generates extra_cases.jsonl and extra_fuzzy_cases.jsonl (next to this script) with the real Python code.

Needs rouge==1.0.1 and fuzzywuzzy==0.18.0 WITHOUT python-Levenshtein (so fuzz uses difflib), e.g.
    pip install --target /tmp/pyscore/lib rouge==1.0.1 fuzzywuzzy==0.18.0 six --no-deps
    PYTHONPATH=/tmp/pyscore/lib python3 make_extra_cases.py
The cases were produced with CPython 3.11.7 (Unicode 14.0). Output is deterministic (fixed seed).

normalize_answer, f1_score, qa_f1_score and rouge_score are copied verbatim from LongBench's
LongBench/metrics.py. Precision/recall follow the project's shared/testdata/metrics/README.md.
rouge_score is called with the recursion headroom it has in LongBench's eval.py (module -> scorer ->
rouge_score), so rouge's recursive _recon fails (-> 0.0) exactly where it would there.
"""
import json
import os
import random
import re
import string
import sys
import warnings
from collections import Counter

warnings.filterwarnings("ignore")
from rouge import Rouge  # noqa: E402
from fuzzywuzzy import fuzz  # noqa: E402
import difflib  # noqa: E402


# ---- copied from LongBench/metrics.py ----
def normalize_answer(s):
    """Lower text and remove punctuation, articles and extra whitespace."""

    def remove_articles(text):
        return re.sub(r"\b(a|an|the)\b", " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    def lower(text):
        return text.lower()

    return white_space_fix(remove_articles(remove_punc(lower(s))))


def rouge_score(prediction, ground_truth, **kwargs):
    rouge = Rouge()
    try:
        scores = rouge.get_scores([prediction], [ground_truth], avg=True)
    except:  # noqa: E722
        return 0.0
    return scores["rouge-l"]["f"]


def f1_score(prediction, ground_truth, **kwargs):
    common = Counter(prediction) & Counter(ground_truth)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction)
    recall = 1.0 * num_same / len(ground_truth)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


def qa_f1_score(prediction, ground_truth, **kwargs):
    normalized_prediction = normalize_answer(prediction)
    normalized_ground_truth = normalize_answer(ground_truth)

    prediction_tokens = normalized_prediction.split()
    ground_truth_tokens = normalized_ground_truth.split()
    return f1_score(prediction_tokens, ground_truth_tokens)
# ---- end of copy ----


def precision_recall(prediction, ground_truth):
    p = normalize_answer(prediction).split()
    g = normalize_answer(ground_truth).split()
    common = sum((Counter(p) & Counter(g)).values())
    if common == 0:
        return 0.0, 0.0
    return common / len(p), common / len(g)


def stack_depth():
    f, d = sys._getframe(1), 0
    while f is not None:
        d, f = d + 1, f.f_back
    return d


def rouge_as_in_eval_py(prediction, ground_truth):
    # In eval.py rouge_score runs at depth 3; here it runs at stack_depth() + 1 (caller of this + 1).
    here = stack_depth()  # frames up to and including this function
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(old + (here + 1) - 3)
    try:
        return rouge_score(prediction, ground_truth)
    finally:
        sys.setrecursionlimit(old)


def case(cid, prediction, answers):
    f1, p, r, rl = 0.0, 0.0, 0.0, 0.0
    for g in answers:
        s = qa_f1_score(prediction, g)
        if s > f1:
            f1 = s
            p, r = precision_recall(prediction, g)
        rl = max(rl, rouge_as_in_eval_py(prediction, g))
    return {"id": cid, "prediction": prediction, "answers": answers,
            "qa_f1": f1, "qa_precision": p, "qa_recall": r, "rouge_l_f": rl}


HAND = [
    ("A an THE a.n t.he", ["an a the"]),
    ("the", ["the"]), ("a", [""]), ("", ["x"]), ("x", [""]), ("", [""]), ("...", ["..."]),
    (". . .", [". . ."]), ("x. . y", ["x y"]), ("x..y", ["x y", "x.y"]), ("Paris.", ["Paris", "paris."]),
    ("the_end", ["end", "the_end"]), ("_the_ end", ["end"]), ("a-b the-c", ["ab thec"]),
    ("theory atheist an.", ["theory atheist"]), ("aa an a", ["aa"]), ("The Thé the\u0301", ["th\u00e9"]),
    ("\u0130stanbul", ["i\u0307stanbul", "istanbul"]), ("STRASSE Stra\u00dfe", ["strasse stra\u00dfe"]),
    ("\u03a3\u03a3", ["\u03c3\u03c2"]), ("A\u03a3'", ["a\u03c2"]), ("A\u03a3'B", ["a\u03c3b"]),
    ("\u03a3A", ["\u03c3a"]), ("A.\u03a3", ["a\u03c2"]), ("A\u00ad\u03a3", ["a\u00ad\u03c2"]),
    ("\u0391\u0398\u0397\u039d\u0391\u03a3 \u039f\u0394\u039f\u03a3.", ["\u03b1\u03b8\u03b7\u03bd\u03b1\u03c2"]),
    ("\ufb01nance", ["finance", "\ufb01nance"]), ("\u2160 \u2161", ["\u2170 \u2171"]),
    ("\u24b6 \u24d0", ["\u24d0 \u24d0"]), ("x\u200bthe y", ["x\u200b y"]), ("x\u00adthe y", ["x y"]),
    ("\u0660the \u0661", ["\u0661"]), ("\u4e00the \u4e8c", ["\u4e8c"]), ("\u00b9the x", ["x"]),
    ("\u02b0the x", ["x"]), ("\u2165the x", ["x"]), ("\u0903the x", ["x"]), ("\u20dd the x", ["x"]),
    ("New\tYork\nCity\r\n", ["new york city"]), ("a\x1cb\x1dc\x1ed\x1ff", ["b c d f"]),
    ("a\x0bb\x0cc", ["b c"]), ("x\u180ey", ["x y", "x\u180ey"]), ("x\u200by", ["x y"]),
    ("x\ufeffy", ["x y", "x\ufeffy"]), ("x\u1680y\u205fz\u3000w", ["x y z w"]),
    ("x\u2029y\u2028z", ["x y z"]), ("x\u0085y", ["x y"]), ("x\u200ay\u2000z", ["x y z"]),
    ("\u201cquoted\u201d \u2018single\u2019 \u00abguillemets\u00bb", ["quoted single guillemets"]),
    ("\u2014\u2013-", ["-"]), ("\u3002\uff0c\uff01", [""]), ("U.S.A.", ["usa", "U S A"]),
    ("3.14159", ["3 14159", "314159"]), ("Dr. Who. The Doctor.", ["Dr Who", "The Doctor"]),
    ("the the the cat", ["cat cat"]), ("cat cat cat", ["cat", "cat cat", "dog cat cat cat cat"]),
    ("x", []), ("", []), ("\U0001d400the \U0001d41a", ["\U0001d41a"]), ("\U0001f600the x", ["x"]),
    ("\U00010400 \U00010428", ["\U00010428 \U00010428"]), ("caf\u00e9 CAF\u00c9", ["caf\u00e9"]),
    ("x' the 'y", ["x y"]), ("\u00a0\u00a0", ["\u00a0"]), (" .", [" ."]), (". x", [" x"]),
    ("tHe An a", ["the an a x"]), ("A Tale of Two Cities", ["Tale of Two Cities", "a tale"]),
    ("the\u2019s", ["the s", "s"]), ("an\u02bcd", ["d"]), ("The  answer  is  42 .", ["42", "answer 42"]),
]

WORDS = ["the", "The", "THE", "a", "A", "an", "An", "cat", "Cat", "dog", "x", "x.", "end", "\u00e9t\u00e9",
         "\u00c9T\u00c9", "stra\u00dfe", "\u039f\u0394\u039f\u03a3", "\u4e2d\u6587", "\U0001f600", "_", "a_b",
         "the_", "it's", "\u201cq\u201d", "don\u2019t", "-", "(", ")", "...", ".", "3.5", "\u00bd", "42",
         "\u0130", "\u212a", "na\u00efve", "e\u0301", "the\u0301", "\u00b2", "ano", "atheist", "\u2160"]
SEPS = [" ", " ", " ", " ", "  ", "\t", "\n", "\u00a0", "\u2009", "\u3000", "\u200b", "", ". ", ".", "\u2028"]


def soup(rng, n):
    return "".join(rng.choice(WORDS) + rng.choice(SEPS) for _ in range(n)).rstrip(" ") if n else ""


def summary(rng, nsent, vocab, words_per):
    sents = []
    for _ in range(nsent):
        k = rng.randint(1, words_per)
        sents.append(" ".join(rng.choice(vocab) for _ in range(k)))
    return ". ".join(sents) + rng.choice([".", "", " .", ".."])


def metric_cases():
    rng = random.Random(20240523)
    out = []
    for i, (p, a) in enumerate(HAND):
        out.append(case("xc-h%03d" % i, p, a))
    for i in range(170):
        p = soup(rng, rng.randint(0, 12))
        a = [soup(rng, rng.randint(0, 8)) for _ in range(rng.randint(0, 3))]
        out.append(case("xc-r%03d" % i, p, a))
    vocab = ["w%d" % k for k in range(40)] + ["The", "the", "of", "and", "."]
    for i in range(40):
        p = summary(rng, rng.randint(1, 15), vocab, 40)
        a = [summary(rng, rng.randint(1, 15), vocab, 40) for _ in range(rng.randint(1, 2))]
        out.append(case("xc-s%03d" % i, p, a))
    # long sentences around rouge's recursion limit (991 _recon frames in eval.py's stack)
    for i, n in enumerate([600, 989, 990, 991, 1200]):
        t = " ".join("w%d" % k for k in range(n))
        out.append(case("xc-deep%d" % i, t, [t]))
    for i in range(6):
        n = rng.randint(700, 1100)
        t = " ".join(rng.choice(vocab[:30]) for _ in range(n))
        u = " ".join(rng.choice(vocab[:30]) for _ in range(rng.randint(5, 1100)))
        out.append(case("xc-deepr%d" % i, t, [u, t[: len(t) // 2]]))
    # repeated tokens, long texts
    for i in range(8):
        w = rng.choice(["the", "cat", "a", "x"])
        out.append(case("xc-rep%d" % i, " ".join([w] * rng.randint(1, 300)),
                        [" ".join([w] * rng.randint(1, 300)), "cat " * rng.randint(0, 5)]))
    return out


def fuzzy_cases():
    rng = random.Random(7)
    pairs = [("", ""), ("", "a"), ("a", ""), ("abc", "abc"), ("ab", "ba"), ("\U0001f600a", "a\U0001f600"),
             ("e\u0301", "\u00e9"), ("The quick brown fox", "the QUICK brown fox jumps")]
    for _ in range(120):
        alpha = rng.choice(["ab", "abc", "abcdefgh", "ab \u00e9\U0001f600", string.ascii_lowercase + " "])
        la, lb = rng.choice([(rng.randint(0, 12), rng.randint(0, 12)), (rng.randint(0, 60), rng.randint(0, 300)),
                             (rng.randint(150, 450), rng.randint(150, 450))])
        s1 = "".join(rng.choice(alpha) for _ in range(la))
        s2 = "".join(rng.choice(alpha) for _ in range(lb))
        if rng.random() < 0.3 and lb > 10:
            k = rng.randint(0, lb - 5)
            s1 = s2[k:k + rng.randint(1, min(60, lb - k))] + s1[: rng.randint(0, 5)]
        pairs.append((s1, s2))
    out = []
    for i, (s1, s2) in enumerate(pairs):
        out.append({"id": "xf-%03d" % i, "s1": s1, "s2": s2, "fuzz_ratio": fuzz.ratio(s1, s2),
                    "fuzz_partial_ratio": fuzz.partial_ratio(s1, s2),
                    "seqmatcher_ratio": difflib.SequenceMatcher(None, s1, s2).ratio()})
    return out


def write(name, rows):
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    assert "Levenshtein" not in sys.modules, "fuzzywuzzy must use difflib"
    write("extra_cases.jsonl", metric_cases())
    write("extra_fuzzy_cases.jsonl", fuzzy_cases())
