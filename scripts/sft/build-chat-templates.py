#!/usr/bin/env python3
"""Builds the DeepSeek-R1-distill chat templates of src/sft/templates/ from DeepSeek's own tokenizer_config.json.

With `assistant_only_loss`, TRL 1.9 needs a chat template with `{% generation %}` markers; it swaps in its own
training version only for templates it ships, and the R1 distills' template is not one of them. This script
writes, for each released form of the distills' template:

- `<name>.jinja`: the template exactly as the model carries it, to recognise it (compared byte for byte);
- `<name>-training.jinja`: the same template with `{% generation %}` markers around the assistant's output,
  and the last assistant turn keeping its `<think>...</think>` reasoning (the model's template drops everything
  before `</think>` from every assistant turn, which would leave the reasoning out of training altogether).
  Everything else renders byte for byte as the model's template does;

and the registry `chat-templates.json` with each file's SHA-256 and the source.

Source: the tokenizer_config.json of DeepSeek's Hugging Face repository of a DeepSeek-R1 distill (MIT licence),
read from a git clone (bare or not) at a commit, or from a downloaded file:

  python3 scripts/sft/build-chat-templates.py --git DIR --commit COMMIT --out src/sft/templates
  python3 scripts/sft/build-chat-templates.py --tokenizer-config tokenizer_config.json --out src/sft/templates

The distills were first released (20 January 2025) with a generation prompt of `<｜Assistant｜>`; DeepSeek
later changed it to `<｜Assistant｜><think>\\n` so that the model always starts by reasoning. Either form is
accepted as the source; the other is derived from it by that one change. Both are written, since a hospital's
copy of the model may carry either.
"""

import argparse
import hashlib
import json
import subprocess
from pathlib import Path

# SHA-256 of the chat_template string of each released form (UTF-8).
FIRST_RELEASE = "b6835114b7303ddd78919a82e4d9f7d8c26ed0d7dfc36beeb12d524f6144eab1"
THINKING_PROMPT = "56a1447ad31926fdc21fb07e56e5642bd9c850c4f52d8c8af7bbe5f079a84f5f"

FIRST_PROMPT = "{{'<｜Assistant｜>'}}{% endif %}"
THINK_PROMPT = "{{'<｜Assistant｜><think>\\n'}}{% endif %}"

# (what the model's template says, what the training template says instead): each must occur exactly once.
TRAINING_EDITS = [
    # An assistant turn with tool calls: the calls are the assistant's output.
    (
        "{%- set ns.is_tool = false -%}{%- for tool in message['tool_calls']%}",
        "{%- set ns.is_tool = false -%}{% generation %}{%- for tool in message['tool_calls']%}",
    ),
    (
        "{%- endif %}{%- endfor %}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}",
        "{%- endif %}{%- endfor %}{% endgeneration %}{%- endif %}"
        "{%- if message['role'] == 'assistant' and message['content'] is not none %}",
    ),
    # An assistant turn after tool outputs.
    (
        "{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}",
        "{{'<｜tool▁outputs▁end｜>'}}{% generation %}{{message['content'] + '<｜end▁of▁sentence｜>'}}{% endgeneration %}",
    ),
    # A plain assistant turn: earlier turns lose their reasoning as at inference, the last one keeps it.
    (
        "{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}"
        "{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}",
        "{% if '</think>' in content and not loop.last %}{% set content = content.split('</think>')[-1] %}{% endif %}"
        "{{'<｜Assistant｜>'}}{% generation %}{{content + '<｜end▁of▁sentence｜>'}}{% endgeneration %}",
    ),
]


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def replace_once(text, old, new):
    count = text.count(old)
    if count != 1:
        raise SystemExit(f"expected the template to hold exactly once, found {count} times: {old}")
    return text.replace(old, new)


def read_source(arguments):
    if arguments.tokenizer_config:
        raw = Path(arguments.tokenizer_config).read_text(encoding="utf-8")
        where = {}
    else:
        raw = subprocess.run(
            ["git", "--git-dir", arguments.git, "show", f"{arguments.commit}:tokenizer_config.json"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        where = {"commit": arguments.commit}
    return json.loads(raw)["chat_template"], where


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--git", help="git directory of a clone of a DeepSeek-R1 distill's Hugging Face repository")
    source.add_argument("--tokenizer-config", help="a DeepSeek-R1 distill's tokenizer_config.json")
    parser.add_argument("--commit", help="the commit to read with --git")
    parser.add_argument("--repository", default="", help="where the clone came from, for the record")
    parser.add_argument("--out", required=True)
    arguments = parser.parse_args()
    if arguments.git and not arguments.commit:
        parser.error("--git needs --commit")

    template, where = read_source(arguments)
    digest = sha256(template)
    if digest == FIRST_RELEASE:
        first, thinking = template, replace_once(template, FIRST_PROMPT, THINK_PROMPT)
    elif digest == THINKING_PROMPT:
        first, thinking = replace_once(template, THINK_PROMPT, FIRST_PROMPT), template
    else:
        raise SystemExit(f"not a released DeepSeek-R1 distill chat template (SHA-256 {digest})")
    if sha256(first) != FIRST_RELEASE or sha256(thinking) != THINKING_PROMPT:
        raise SystemExit("the derived form does not have its recorded SHA-256")

    out = Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    registry_path = out / "chat-templates.json"
    registry = json.loads(registry_path.read_text(encoding="utf-8")) if registry_path.exists() else {}
    forms = {
        "deepseek-r1-distill": (thinking, "generation prompt <｜Assistant｜><think>\\n (DeepSeek's current form)"),
        "deepseek-r1-distill-first-release": (first, "generation prompt <｜Assistant｜> (the form of 20 January 2025)"),
    }
    for name, (text, form) in forms.items():
        training = text
        for old, new in TRAINING_EDITS:
            training = replace_once(training, old, new)
        (out / f"{name}.jinja").write_text(text, encoding="utf-8")
        (out / f"{name}-training.jinja").write_text(training, encoding="utf-8")
        registry[name] = {
            # The first-release SHA-256 is that of the Qwen-32B distill (the source) and of llama.cpp's copy of
            # the Llama-8B distill's (models/templates/deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja, as first
            # committed): the distills share one template.
            "models": "deepseek-ai/DeepSeek-R1-Distill-* (checked: Qwen-32B, Llama-8B)",
            "form": form,
            "template": f"{name}.jinja",
            "sha256": sha256(text),
            "training": f"{name}-training.jinja",
            "trainingSha256": sha256(training),
            "source": {
                "repository": arguments.repository,
                **where,
                "file": "tokenizer_config.json",
                "field": "chat_template",
                "sourceSha256": digest,
            },
            "licence": "MIT (DeepSeek)",
            "generatedBy": "scripts/sft/build-chat-templates.py",
        }
    registry_path.write_text(f"{json.dumps(registry, indent=2, ensure_ascii=False)}\n", encoding="utf-8")
    print(json.dumps({name: registry[name]["sha256"] for name in forms}))


if __name__ == "__main__":
    main()
