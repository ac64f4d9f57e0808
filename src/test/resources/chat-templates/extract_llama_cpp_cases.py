"""Copies the test cases of llama.cpp's tests/test-chat-template.cpp (main_automated_tests) into JSON:
name, template_str, expected_output(_jinja), bos/eos tokens, supported_with_jinja, extra_conversation.
Usage: extract_llama_cpp_cases.py LLAMA_CPP/tests/test-chat-template.cpp COMMIT llama.cpp-cases.json"""
import json, re, sys
src = open(sys.argv[1], encoding='utf-8').read()
start = src.index('std::vector<TestCase> test_cases {')
end = src.index('std::vector<char> formatted_chat(1024);')
body = src[start:end]

def c_string(s, i):
    """parse a C++ string literal starting at s[i]=='"'; returns (value, next index)"""
    assert s[i] == '"', s[i:i+20]
    i += 1; out = []
    while True:
        c = s[i]
        if c == '"': return ''.join(out), i + 1
        if c == '\\':
            e = s[i+1]
            m = {'n': '\n', 't': '\t', 'r': '\r', '\\': '\\', '"': '"', "'": "'", '0': '\0'}
            if e in m: out.append(m[e]); i += 2; continue
            raise ValueError('escape ' + e)
        out.append(c); i += 1

def literal_seq(s, i):
    """adjacent literals, possibly inside U8C( ... ); returns (value, next index)"""
    vals = []
    while True:
        while s[i] in ' \n\t': i += 1
        if s.startswith('U8C(', i):
            v, i = literal_seq(s, i + 4)
            while s[i] in ' \n\t': i += 1
            assert s[i] == ')'; i += 1; vals.append(v); continue
        if s[i] == '"':
            v, i = c_string(s, i); vals.append(v); continue
        return ''.join(vals), i

# one case per '/* .name= */'; its fields are the literals after each '/* .field= */' comment
cases = []
case_starts = [m.start() for m in re.finditer(r'/\* \.name= \*/', body)] + [len(body)]
for a, b in zip(case_starts, case_starts[1:]):
    chunk = body[a:b]
    fields = {}
    for fname in ['name', 'template_str', 'expected_output', 'expected_output_jinja', 'bos_token', 'eos_token']:
        m = re.search(r'/\* \.' + fname + r'(=)? \*/', chunk)
        if not m: continue
        v, _ = literal_seq(chunk, m.end())
        fields[fname] = v
    m = re.search(r'/\* \.supported_with_jinja= \*/ (true|false)', chunk)
    fields['supported_with_jinja'] = (m.group(1) == 'true') if m else True
    m = re.search(r'/\* \.extra_conversation= \*/ \{(.*)\},?\s*\}', chunk, re.S)
    extra = []
    if m:
        inner = m.group(1)
        k = 0
        while True:
            k = inner.find('{"', k)
            if k < 0: break
            role, k2 = c_string(inner, k + 1)
            while inner[k2] in ', ': k2 += 1
            content, k3 = c_string(inner, k2)
            extra.append([role, content]); k = k3
    fields['extra_conversation'] = extra
    cases.append(fields)
json.dump({'source': 'llama.cpp ' + sys.argv[2] + ' tests/test-chat-template.cpp', 'cases': cases}, open(sys.argv[3], 'w'), ensure_ascii=False, indent=1)
print(len(cases), "cases")
