"""Renders the templates in templates/ with transformers' own render_jinja_template (the function
apply_chat_template calls) and writes transformers-reference.json, which ChatTemplateTransformersReferenceTest
compares ctxbench's renderer against. Needs transformers and jinja2 (pip install transformers jinja2).

With a date, strftime_now returns that day and date_string is passed as '%d %b %Y', as ctxbench's renderer does
when given a date; without one, date_string is undefined (only templates that do not read the clock are
rendered without a date). Usage: python3 make_transformers_reference.py > transformers-reference.json"""
import datetime as _dt
import json, os, sys
import jinja2, transformers
from transformers.utils import chat_template_utils as ctu

class FixedDatetime(_dt.datetime):
    fixed = None
    @classmethod
    def now(cls, tz=None):
        return cls.fixed if cls.fixed is not None else _dt.datetime.now(tz)

ctu.datetime = FixedDatetime   # transformers' strftime_now calls datetime.now()

LONGBENCH_LIKE = [["user", "Read the passage and answer.\n\nPassage: the vault code is 74893.\n\nQuestion: what is the vault code?\nAnswer:"]]
WITH_SYSTEM = [["system", "You are a helpful assistant"], ["user", "Hello"], ["assistant", "Hi there"],
               ["user", "Who are you"], ["assistant", "   I am an assistant   "], ["user", "Another question"]]
TRICKY = [["user", "  Line one {{ not_a_var }} {% if x %}\n\tcaf\u00e9 \u2014 \u65e5\u672c\u8a9e \"quoted\" 'single' back\\slash </s> <|im_end|>\n\n"]]
CONVERSATIONS = {"longbench_like": LONGBENCH_LIKE, "with_system": WITH_SYSTEM, "tricky": TRICKY}
# templates whose output does not depend on the clock when no date is given
NO_DATE = {"meta-llama-Llama-3.1-8B-Instruct.jinja", "Qwen-Qwen2.5-7B-Instruct.jinja"}

here = os.path.dirname(os.path.abspath(__file__))
cases = []
for name in sorted(os.listdir(os.path.join(here, "templates"))):
    template = open(os.path.join(here, "templates", name), encoding="utf-8").read()
    runs = [(conv, agp, "2024-09-15") for conv in CONVERSATIONS for agp in (True, False)]
    if name in NO_DATE:
        runs.append(("longbench_like", True, None))
    for conv, agp, date in runs:
        kw = {"bos_token": "<s>", "eos_token": "</s>"}
        FixedDatetime.fixed = None
        if date:
            d = _dt.date.fromisoformat(date)
            FixedDatetime.fixed = FixedDatetime(d.year, d.month, d.day)
            kw["date_string"] = d.strftime("%d %b %Y")
        case = {"template": name, "conversation": conv, "add_generation_prompt": agp, "date": date,
                "bos_token": kw["bos_token"], "eos_token": kw["eos_token"]}
        messages = [{"role": r, "content": c} for r, c in CONVERSATIONS[conv]]
        try:
            rendered, _ = ctu.render_jinja_template(conversations=[messages], chat_template=template,
                                                    add_generation_prompt=agp, **kw)
            case["expected"] = rendered[0]
        except jinja2.exceptions.TemplateError as e:
            case["error"] = str(e)   # the template's raise_exception: ctxbench must refuse with this message
        except TypeError as e:
            continue   # transformers fails where Jinjava has no None/Undefined distinction: not compared
        cases.append(case)
json.dump({"transformers": transformers.__version__, "jinja2": jinja2.__version__,
           "conversations": CONVERSATIONS, "cases": cases}, sys.stdout, ensure_ascii=False, indent=1)
