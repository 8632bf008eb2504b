"""transformers' own jinja2 setup as the reference renderer of chat templates.

  jinja_reference.py SHARED_DATA_DIR MODELS_DIR OUT_DIR

Renders every template of SHARED_DATA_DIR/chat_templates_trl and every chat_template of the
models cache's tokenizer configs with transformers.utils.chat_template_utils'
_compile_jinja_template (jinja2's ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
loop controls, the generation tracker, tojson, raise_exception, strftime_now) over a set of
conversations (with and without a system message, several turns, tool calls and results,
reasoning content, add_generation_prompt true and false). Writes OUT_DIR/cases.jsonl, one line
per (template, conversation): {"template", "case", "context", "output"} or, where jinja2
raises, {"error"} instead of output; "generation": the [start, end) code-point spans of the
{% generation %} blocks where the template has them (transformers' assistant mask). Templates are written to OUT_DIR/templates/NAME.jinja.
Run with the reference environment's Python (scripts/setup).
"""

import glob
import json
import os
import sys

from transformers.utils.chat_template_utils import _compile_jinja_template

TOOLS = [{"type": "function", "function": {
    "name": "get_order_status", "description": "Look up an order's status.",
    "parameters": {"type": "object", "properties": {
        "order_id": {"type": "string", "description": "The order number"}},
        "required": ["order_id"]}}}]

CONVERSATIONS = {
    "one_turn": [{"role": "user", "content": "How do I return a kettle?"}],
    "system_multi": [
        {"role": "system", "content": "You are a helpful support agent for Kumo."},
        {"role": "user", "content": "Hi!"},
        {"role": "assistant", "content": "Hello, how can I help?"},
        {"role": "user", "content": "My order 1234 has not arrived.\nCan you check?"}],
    "answered": [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "2 + 2 = 4."}],
    "tool_calls": [
        {"role": "user", "content": "Where is order A-17?"},
        {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {
            "name": "get_order_status", "arguments": {"order_id": "A-17"}}}]},
        {"role": "tool", "name": "get_order_status", "content": "{\"status\": \"shipped\"}"},
        {"role": "assistant", "content": "Order A-17 has shipped."}],
    "reasoning": [
        {"role": "user", "content": "Is 91 prime?"},
        {"role": "assistant", "content": "No: 91 = 7 x 13.",
         "reasoning_content": "Check small primes: 91 / 7 = 13."},
        {"role": "user", "content": "And 97?"}],
    "unicode": [
        {"role": "system", "content": "日本語で答えてください。"},
        {"role": "user", "content": "返品は何日以内ですか？ \"quotes\" \\ back\\slash ✓"}],
}


# Small templates for what the real ones use more rarely, rendered over FEATURE_CONTEXT.
FEATURES = {
    "whitespace": "a  {%- if true %}  b {% endif -%}  c\n  {% if true %}\n  d\n  {% endif %}\n{{- ' e ' -}}\n{#- c -#}  f {%+ if true %}g{% endif %}",
    "raw": "{% raw %}{{ not evaluated }} {% if %}{% endraw %}|{%- raw -%}  x  {%- endraw %}",
    "macro": "{% macro m(a, b='B', c=none) %}[{{ a }}{{ b }}{{ c }}]{% endmacro %}{{ m(1) }}{{ m(1, 2) }}{{ m(a=3, c=4) }}",
    "call": "{% macro w(t) %}<{{ t }}:{{ caller() }}>{% endmacro %}{% call w('x') %}in{{ 1 + 1 }}{% endcall %}",
    "call_args": "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(v) each([1,2]) %}({{ v }}){% endcall %}",
    "filter_block": "{% filter upper %}shout {{ name }}{% endfilter %}|{% filter trim|title %}  two words  {% endfilter %}",
    "set_block": "{% set s %}x{{ 1 }}y{% endset %}{{ s }}{{ s|length }}",
    "namespace": "{% set ns = namespace(n=0, seen=false) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% if i == 2 %}{% set ns.seen = true %}{% endif %}{% endfor %}{{ ns.n }}{{ ns.seen }}",
    "scoping": "{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}",
    "loop": "{% for i in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }}{{ loop.cycle('x','y') }};{% endfor %}",
    "loop_else_controls": "{% for i in [] %}x{% else %}empty{% endfor %}{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i > 4 %}{% break %}{% endif %}{{ i }}{% endfor %}",
    "loop_filter_unpack": "{% for k, v in d|items if v is number %}{{ k }}={{ v }},{% endfor %}{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}{% set p, q = 'pq' %}{{ q }}{{ p }}",
    "filters_text": "{{ '  Hi There  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ 'a-b-c'|replace('-', '+') }}|{{ 'a-b-c'|replace('-', '', 1) }}|{{ 'hello world'|title }}|{{ 'hELLO'|capitalize }}|{{ 'Ab'|upper }}{{ 'Ab'|lower }}|{{ 'one two  three'|wordcount }}|{{ 'l1\nl2\n\nl3'|indent(2) }}|{{ 'l1\nl2'|indent(2, true) }}",
    "filters_lists": "{{ xs|join(', ') }}|{{ people|map(attribute='name')|join }}|{{ xs|select('odd')|list }}|{{ xs|reject('odd')|list }}|{{ people|selectattr('age', 'gt', 30)|map(attribute='name')|list }}|{{ people|rejectattr('admin')|list|length }}|{{ people|selectattr('admin')|first }}|{{ xs|first }}{{ xs|last }}|{{ xs|sort(reverse=true) }}|{{ people|sort(attribute='age')|map(attribute='name')|join('/') }}|{{ [3, 1, 3, 2, 1]|unique|list }}|{{ xs|reverse|list }}|{{ xs|sum }}{{ xs|min }}{{ xs|max }}|{{ xs|length }}{{ xs|count }}|{{ d|dictsort }}|{{ 'abc'|list }}|{{ ['b', 'A', 'c']|sort }}",
    "filters_values": "{{ missing|default('dflt') }}|{{ ''|default('e', true) }}|{{ '42'|int + 1 }}|{{ '3.5'|float }}|{{ 'x'|int }}|{{ -3|abs }}|{{ 2.567|round(2) }}|{{ 2.5|round }}|{{ 7|string ~ 'x' }}|{{ none|string }}|{{ [1]|string }}",
    "tojson": "{{ d|tojson }}|{{ d|tojson(indent=2) }}|{{ {'b': 1, 'a': [1, 2.5, none, true, 'é\\\"\n']}|tojson(sort_keys=true) }}|{{ 'ü'|tojson }}|{{ 1.0|tojson }}|{{ []|tojson(indent=2) }}",
    "tests": "{{ x is defined }}{{ missing is defined }}{{ missing is undefined }}{{ none is none }}{{ 'a' is string }}{{ d is mapping }}{{ xs is iterable }}{{ 'a' is sequence }}{{ x is number }}{{ x is integer }}{{ f is float }}{{ true is boolean }}{{ 2 in xs }}{{ 9 is divisibleby 3 }}{{ x is odd }}{{ x is even }}{{ x is eq 3 }}{{ none is sameas none }}{{ x is not none }}{{ 'AB' is upper }}",
    "string_methods": "{{ 'hello'.startswith('he') }}{{ 'hello'.startswith(('x', 'h')) }}{{ 'hello'.endswith('lo') }}|{{ '  a b  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  a'.lstrip() }}|{{ 'a  '.rstrip() ~ '|' }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'hello'.find('l') }}{{ 'hello'.find('z') }}{{ 'hello'.count('l') }}|{{ 'x'.join(['1', '2']) }}|{{ 'a\nb\r\nc'.splitlines() }}|{{ 'Ab Cd'.lower() }}{{ 'ab'.upper() }}{{ 'ab cd'.title() }}|{{ d.get('a') }}{{ d.get('zz', 'no') }}{{ d.get('zz') }}|{{ d.keys()|list }}{{ d.values()|list }}{{ d.items()|list }}",
    "slicing_ops": "{{ xs[1:] }}{{ xs[:-1] }}{{ xs[::-1] }}{{ xs[::2] }}{{ name[1:3] }}{{ name[-2:] }}{{ name[::-1] }}|{{ 7 // 2 }}{{ -7 // 2 }}{{ -7 % 3 }}{{ 7 / 2 }}{{ 2 ** 10 }}{{ 'ab' * 3 }}{{ xs + [9] }}{{ 1 + 2.5 }}|{{ 1 < x < 5 }}{{ 'a' ~ 1 ~ none }}{{ 'y' if x > 2 }}{{ 'n' if x > 9 }}|{{ xs.0 }}{{ d['a'] }}{{ d.a }}{{ none.attr }}{{ missing }}|{{ not x }}{{ x and 'and' }}{{ 0 or 'or' }}{{ -x }}",
    "reprs": "{{ xs }}{{ d }}{{ none }}{{ true }}{{ [1.0, 1e-05, 1e16, 0.1, 123456.789, \"q's\", 'd' ~ '\"'] }}{{ (1, 2) }}{{ (1,) }}{{ f }}{{ 3.0 }}{{ 1e300 * 10 }}",
    "strftime": "{{ strftime_now('%Y') | length }}",
    "error_undefined_attr": "{{ missing.attr }}",
    "error_raise": "{{ raise_exception('Only user and assistant roles are supported!') }}",
    "error_unknown_filter": "{{ x|nosuchfilter }}",
    "error_append": "{% set l = [] %}{{ l.append(1) }}",
    "error_syntax": "{% if x %}unclosed",
}

FEATURE_CONTEXT = {
    "x": 3, "f": 0.1, "name": "Ünïcödé", "xs": [1, 2, 3, 4],
    "d": {"b": 2, "a": 1, "s": "str"},
    "people": [{"name": "Ann", "age": 41, "admin": True}, {"name": "Bo", "age": 25, "admin": False},
               {"name": "Cy", "age": 33}],
}


def special_tokens(config):
    out = {}
    for key in ("bos_token", "eos_token", "unk_token", "pad_token"):
        v = config.get(key)
        if isinstance(v, dict):
            v = v.get("content")
        if isinstance(v, str):
            out[key] = v
    return out


def templates(shared, models):
    found = []
    for name, source in FEATURES.items():
        found.append(("feature_" + name, source, None))
    for path in sorted(glob.glob(os.path.join(shared, "chat_templates_trl", "*.jinja"))):
        found.append((os.path.basename(path)[:-6], open(path).read(),
                      {"bos_token": "<s>", "eos_token": "</s>"}))
    for path in sorted(glob.glob(os.path.join(models, "tokenizers", "*", "tokenizer_config.json"))):
        config = json.load(open(path))
        template = config.get("chat_template")
        if isinstance(template, str):
            found.append(("models_" + os.path.basename(os.path.dirname(path)), template,
                          special_tokens(config)))
    return found


def main(shared, models, out_dir):
    os.makedirs(os.path.join(out_dir, "templates"), exist_ok=True)
    with open(os.path.join(out_dir, "cases.jsonl"), "w") as out:
        for name, source, specials in templates(shared, models):
            with open(os.path.join(out_dir, "templates", name + ".jinja"), "w") as f:
                f.write(source)
            try:
                compiled = _compile_jinja_template(source)
            except Exception as e:  # noqa: BLE001 - a template jinja2 cannot read
                out.write(json.dumps({"template": name, "case": "parse", "context": {},
                                      "error": f"{type(e).__name__}: {e}"}) + "\n")
                continue
            if specials is None:  # a feature template: one context
                record = {"template": name, "case": "features", "context": FEATURE_CONTEXT}
                try:
                    record["output"] = compiled.render(**FEATURE_CONTEXT)
                except Exception as e:  # noqa: BLE001 - where jinja2 raises
                    record["error"] = f"{type(e).__name__}: {e}"
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                continue
            for case, messages in CONVERSATIONS.items():
                for generation_prompt in (True, False):
                    for tools in ((None, TOOLS) if case == "tool_calls" else (None,)):
                        for thinking in ((None, False) if "qwen3" in name else (None,)):
                            context = dict(specials, messages=messages,
                                           add_generation_prompt=generation_prompt)
                            if tools:
                                context["tools"] = tools
                            if thinking is not None:
                                context["enable_thinking"] = thinking
                            record = {"template": name, "context": context,
                                      "case": f"{case}/gen={generation_prompt}/tools={bool(tools)}"
                                              f"/thinking={thinking}"}
                            try:
                                # As transformers' _render_with_assistant_indices: a span
                                # starts at what generate() has yielded so far.
                                blocks, spans = [], []
                                with compiled.environment.activate_tracker(blocks, spans):
                                    for block in compiled.generate(**context):
                                        blocks.append(block)
                                    record["output"] = "".join(blocks)
                                if spans:  # {% generation %}: [start, end) in code points
                                    record["generation"] = [list(s) for s in spans]
                            except Exception as e:  # noqa: BLE001 - where jinja2 raises
                                record["error"] = f"{type(e).__name__}: {e}"
                            out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
