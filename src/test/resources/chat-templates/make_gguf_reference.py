"""Renders the chat templates stored in the pinned llama.cpp's vocab-only GGUFs (models/ggml-vocab-*.gguf, which
carry tokenizer.chat_template) with transformers' render_jinja_template, bos_token/eos_token being the texts of
the files' BOS/EOS tokens; writes gguf-reference.json for ChatFormatTest. Needs transformers, jinja2 and
llama.cpp's gguf-py. Usage: python3 make_gguf_reference.py LLAMA_CPP_SOURCE > gguf-reference.json"""
import json, sys
sys.path.insert(0, sys.argv[1] + "/gguf-py")
import gguf, jinja2, transformers
from transformers.utils import chat_template_utils as ctu

FILES = ["command-r", "gemma-4", "phi-3", "qwen2"]
CONVERSATIONS = {
    "longbench_like": [["user", "Read the passage and answer.\n\nPassage: the vault code is 74893.\n\nQuestion: what is the vault code?\nAnswer:"]],
    "with_system": [["system", "Be brief."], ["user", "Hello"], ["assistant", "Hi there"], ["user", "Another question"]],
}

def field(reader, key):
    f = reader.fields.get(key)
    return None if f is None else f.parts[f.data[0]]

cases = []
for name in FILES:
    r = gguf.GGUFReader(f"{sys.argv[1]}/models/ggml-vocab-{name}.gguf")
    template = bytes(field(r, "tokenizer.chat_template")).decode("utf-8")
    tokens = r.fields["tokenizer.ggml.tokens"]
    def token(key):
        i = field(r, key)
        return "" if i is None else bytes(tokens.parts[tokens.data[int(i[0])]]).decode("utf-8")
    bos, eos = token("tokenizer.ggml.bos_token_id"), token("tokenizer.ggml.eos_token_id")
    for conv, messages in CONVERSATIONS.items():
        case = {"file": f"models/ggml-vocab-{name}.gguf", "bos_token": bos, "eos_token": eos, "conversation": conv}
        try:
            rendered, _ = ctu.render_jinja_template(conversations=[[{"role": a, "content": b} for a, b in messages]],
                                                    chat_template=template, add_generation_prompt=True,
                                                    bos_token=bos, eos_token=eos)
            case["expected"] = rendered[0]
        except jinja2.exceptions.TemplateError as e:
            case["error"] = str(e)
        cases.append(case)
json.dump({"transformers": transformers.__version__, "jinja2": jinja2.__version__, "llama.cpp": "de3ff815",
           "conversations": CONVERSATIONS, "cases": cases}, sys.stdout, ensure_ascii=False, indent=1)
