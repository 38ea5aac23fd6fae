#!/usr/bin/env python3
"""Extracts the configuration keys the LoRA trainers accept, with their types, from the trainers' own source.

Reads Python source only (never imports it): dataclass and pydantic fields, with inheritance, aliases,
Literal / Enum choices, and function keyword parameters. Writes one JSON schema per trainer into
src/sft/trainer-schemas/, each with its provenance (repository, tag, commit, licence, files).

Usage (each repository a git clone, bare or not, that has the pinned tag; transformers from its PyPI wheel,
because its repository is too large to clone cheaply):

  python3 scripts/sft/extract-trainer-schemas.py \
    --git hiyouga/LLaMA-Factory=PATH --git axolotl-ai-cloud/axolotl=PATH --git huggingface/trl=PATH \
    --git unslothai/unsloth=PATH --wheel transformers=transformers-5.5.0-py3-none-any.whl \
    --out src/sft/trainer-schemas
"""

import argparse
import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile

# The pinned releases. LLaMA-Factory 0.9.5, unsloth and TRL 1.9 all accept transformers 5.5.0; unsloth
# pins TRL <= 0.24.0, so its training section is read from TRL 0.24.0.
TRANSFORMERS = {"repository": "huggingface/transformers", "version": "5.5.0", "tag": "v5.5.0"}
TRANSFORMERS_FILES = ["transformers/training_args.py", "transformers/training_args_seq2seq.py", "transformers/trainer_utils.py"]

TRAINERS = {
    "llama-factory": {
        "repository": "hiyouga/LLaMA-Factory",
        "tag": "v0.9.5",
        "files": [
            "src/llamafactory/hparams/model_args.py",
            "src/llamafactory/hparams/data_args.py",
            "src/llamafactory/hparams/training_args.py",
            "src/llamafactory/hparams/finetuning_args.py",
            "src/llamafactory/hparams/generating_args.py",
        ],
        "transformers": True,
        # llamafactory/hparams/parser.py: _TRAIN_ARGS, parsed with HfArgumentParser, unknown keys refused.
        "sections": {
            "config": {
                "classes": ["ModelArguments", "DataArguments", "TrainingArguments", "FinetuningArguments", "GeneratingArguments"]
            }
        },
    },
    "axolotl": {
        "repository": "axolotl-ai-cloud/axolotl",
        "tag": "v0.18.0",
        "directory": "src/axolotl/utils/schemas/",
        "transformers": False,
        "sections": {
            "config": {"classes": ["AxolotlInputConfig"]},
            "datasets[]": {"classes": ["SFTDataset"]},
        },
    },
    "trl": {
        "repository": "huggingface/trl",
        "tag": "v1.9.0",
        "files": ["trl/scripts/utils.py", "trl/trainer/base_config.py", "trl/trainer/sft_config.py", "trl/trainer/model_config.py"],
        "transformers": True,
        # trl/scripts/sft.py: TrlParser((ScriptArguments, SFTConfig, ModelConfig, DatasetMixtureConfig)).
        "sections": {"config": {"classes": ["ScriptArguments", "SFTConfig", "ModelConfig", "DatasetMixtureConfig"]}},
    },
    "unsloth": {
        "repository": "unslothai/unsloth",
        "tag": "v0.1.801-beta",
        "files": ["unsloth/models/loader.py", "unsloth/models/llama.py"],
        "extra": {"repository": "huggingface/trl", "tag": "v0.24.0", "files": ["trl/trainer/sft_config.py"]},
        "transformers": True,
        "sections": {
            "model": {"functions": ["FastLanguageModel.from_pretrained"]},
            "lora": {"functions": ["FastLlamaModel.get_peft_model"]},
            "training": {"classes": ["SFTConfig"]},
        },
    },
}

SCALARS = {"bool": "boolean", "int": "integer", "float": "number", "str": "string", "dict": "object", "Dict": "object",
           "list": "array", "List": "array", "tuple": "array", "Tuple": "array", "set": "array", "None": "null",
           "NoneType": "null", "Any": "any"}


def git_show(directory, tag, path):
    return subprocess.run(["git", "-C", directory, "show", f"{tag}:{path}"], check=True, capture_output=True, text=True).stdout


def git_files(directory, tag, folder):
    names = subprocess.run(["git", "-C", directory, "ls-tree", "-r", "--name-only", tag, folder], check=True,
                           capture_output=True, text=True).stdout.split()
    return sorted(name for name in names if name.endswith(".py"))


def git_commit(directory, tag):
    return subprocess.run(["git", "-C", directory, "rev-parse", f"{tag}^{{commit}}"], check=True, capture_output=True,
                          text=True).stdout.strip()


def licence_name(text):
    if "Apache License" in text and "Version 2.0" in text:
        return "Apache-2.0"
    if text.startswith("MIT License"):
        return "MIT"
    raise SystemExit("unrecognised licence text: " + text[:80])


class Source:
    """The classes, enums, aliases and functions of a set of Python files."""

    def __init__(self):
        self.classes = {}
        self.enums = {}
        self.aliases = {}

    def add(self, text):
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = [base_name(base) for base in node.bases]
                if any(base in ("Enum", "ExplicitEnum", "StrEnum") for base in bases):
                    self.enums[node.name] = [statement.value.value for statement in node.body
                                             if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
                                             and isinstance(statement.value.value, str)]
                # Names repeat across projects (LLaMA-Factory's TrainingArguments extends transformers'): keep all.
                self.classes.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.aliases.setdefault(target.id, []).append(node.value.id)

    def resolve(self, name, seen=()):
        """The first class of that name (or alias) not already on the inheritance path."""
        for candidate in [name, *self.aliases.get(name, [])]:
            for node in self.classes.get(candidate, []):
                if id(node) not in seen:
                    return node
        return None

    def class_fields(self, name, seen=None):
        """Fields of a class and its bases (bases first, the subclass overriding), by key."""
        seen = seen if seen is not None else set()
        node = self.resolve(name, seen)
        if node is None:
            return {}
        seen.add(id(node))
        fields = {}
        for base in reversed(node.bases):
            fields.update(self.class_fields(base_name(base), seen))
        for statement in node.body:
            if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
                continue
            key = statement.target.id
            annotation = ast.unparse(statement.annotation)
            if key.startswith("_") or key == "model_config" or annotation.startswith("ClassVar"):
                continue
            if field_is_hidden(statement.value):
                continue
            entry = self.describe(statement.annotation)
            entry["from"] = node.name
            fields[key] = entry
            for alias in field_aliases(statement.value):
                fields[alias] = {**entry, "aliasOf": key}
        return fields

    def function_parameters(self, qualified):
        class_name, function_name = qualified.split(".")
        node = self.classes[class_name][0]
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == function_name:
                arguments = statement.args
                positional = arguments.posonlyargs + arguments.args
                defaults = [None] * (len(positional) - len(arguments.defaults)) + list(arguments.defaults)
                pairs = list(zip(positional, defaults)) + list(zip(arguments.kwonlyargs, arguments.kw_defaults))
                parameters = {}
                for argument, default in pairs:
                    if argument.arg in ("self", "cls", "model"):
                        continue
                    if argument.annotation is not None:
                        entry = self.describe(argument.annotation)
                    else:
                        entry = {"types": default_types(default)}
                    entry["from"] = qualified
                    parameters[argument.arg] = entry
                return parameters
        raise SystemExit(f"{qualified} not found")

    def describe(self, annotation):
        """The JSON types (and choices) an annotation allows."""
        types, choices = set(), []
        self.collect(annotation, types, choices)
        entry = {"types": sorted(types)}
        if choices and types <= {"string", "null"}:
            entry["choices"] = sorted(set(choices))
        return entry

    def collect(self, node, types, choices):
        if isinstance(node, ast.Constant):
            if node.value is None:
                types.add("null")
            elif isinstance(node.value, str):
                # A string annotation: parse it as an expression.
                self.collect(ast.parse(node.value, mode="eval").body, types, choices)
            return
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            self.collect(node.left, types, choices)
            self.collect(node.right, types, choices)
            return
        if isinstance(node, ast.Subscript):
            outer = base_name(node.value)
            inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if outer in ("Optional",):
                types.add("null")
                for item in inner:
                    self.collect(item, types, choices)
            elif outer == "Union":
                for item in inner:
                    self.collect(item, types, choices)
            elif outer == "Literal":
                for item in inner:
                    if isinstance(item, ast.Constant):
                        value = item.value
                        kind = "null" if value is None else "boolean" if isinstance(value, bool) else \
                            "integer" if isinstance(value, int) else "number" if isinstance(value, float) else "string"
                        types.add(kind)
                        if isinstance(value, str):
                            choices.append(value)
            elif outer == "Annotated":
                self.collect(inner[0], types, choices)
            else:
                types.add(SCALARS.get(outer, "any"))
            return
        name = base_name(node)
        if name in SCALARS:
            types.add(SCALARS[name])
        elif name in self.enums:
            types.add("string")
            choices.extend(self.enums[name])
        elif self.resolve(name) is not None:
            types.add("object")
        else:
            types.add("any")


def base_name(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return base_name(node.value)
    return ast.unparse(node)


def call_keywords(value):
    if isinstance(value, ast.Call) and base_name(value.func) in ("field", "Field"):
        return {keyword.arg: keyword.value for keyword in value.keywords if keyword.arg}
    return {}


def field_is_hidden(value):
    """`field(init=False)` is not a parameter; `Field(exclude=True)` is internal."""
    keywords = call_keywords(value)
    init = keywords.get("init")
    return isinstance(init, ast.Constant) and init.value is False


def field_aliases(value):
    keywords = call_keywords(value)
    aliases = []
    for name in ("alias", "validation_alias"):
        node = keywords.get(name)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            aliases.append(node.value)
    metadata = keywords.get("metadata")
    if isinstance(metadata, ast.Dict):
        for key, item in zip(metadata.keys, metadata.values):
            if isinstance(key, ast.Constant) and key.value == "aliases" and isinstance(item, (ast.List, ast.Tuple)):
                aliases.extend(element.value.lstrip("-") for element in item.elts if isinstance(element, ast.Constant))
    return aliases


def default_types(default):
    if default is None:
        return ["any"]
    if isinstance(default, ast.Constant):
        value = default.value
        if value is None:
            return ["any"]
        if isinstance(value, bool):
            return ["boolean"]
        if isinstance(value, int):
            return ["integer"]
        if isinstance(value, float):
            return ["number"]
        if isinstance(value, str):
            return ["string"]
    if isinstance(default, (ast.List, ast.Tuple)):
        return ["array"]
    if isinstance(default, ast.Dict):
        return ["object"]
    return ["any"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--git", action="append", default=[], help="owner/name=PATH of a git clone")
    parser.add_argument("--wheel", action="append", default=[], help="transformers=PATH of the PyPI wheel")
    parser.add_argument("--out", required=True)
    arguments = parser.parse_args()
    clones = dict(item.split("=", 1) for item in arguments.git)
    wheels = dict(item.split("=", 1) for item in arguments.wheel)

    wheel_path = wheels["transformers"]
    with open(wheel_path, "rb") as handle:
        wheel_sha256 = hashlib.sha256(handle.read()).hexdigest()
    with zipfile.ZipFile(wheel_path) as wheel:
        transformers_texts = {name: wheel.read(name).decode() for name in TRANSFORMERS_FILES}
        licence_files = [name for name in wheel.namelist() if re.search(r"dist-info/licenses?/LICENSE", name)]
        transformers_licence = licence_name(wheel.read(licence_files[0]).decode())
    transformers_provenance = {
        "repository": TRANSFORMERS["repository"],
        "tag": TRANSFORMERS["tag"],
        "commit": None,
        "distribution": f"{os.path.basename(wheel_path)} from PyPI, sha256 {wheel_sha256} (the release's own files)",
        "licence": transformers_licence,
        "files": TRANSFORMERS_FILES,
    }

    os.makedirs(arguments.out, exist_ok=True)
    for trainer, spec in TRAINERS.items():
        clone = clones[spec["repository"]]
        files = spec.get("files") or git_files(clone, spec["tag"], spec["directory"])
        source = Source()
        for path in files:
            source.add(git_show(clone, spec["tag"], path))
        provenance = [{
            "repository": spec["repository"],
            "tag": spec["tag"],
            "commit": git_commit(clone, spec["tag"]),
            "licence": licence_name(git_show(clone, spec["tag"], "LICENSE")),
            "files": files,
        }]
        extra = spec.get("extra")
        if extra:
            extra_clone = clones[extra["repository"]]
            for path in extra["files"]:
                source.add(git_show(extra_clone, extra["tag"], path))
            provenance.append({
                "repository": extra["repository"],
                "tag": extra["tag"],
                "commit": git_commit(extra_clone, extra["tag"]),
                "licence": licence_name(git_show(extra_clone, extra["tag"], "LICENSE")),
                "files": extra["files"],
            })
        if spec["transformers"]:
            for text in transformers_texts.values():
                source.add(text)
            provenance.append(transformers_provenance)
        sections = {}
        for section, wanted in spec["sections"].items():
            keys = {}
            for name in wanted.get("classes", []):
                found = source.class_fields(name)
                if not found:
                    raise SystemExit(f"{trainer}: class {name} not found")
                keys.update(found)
            for name in wanted.get("functions", []):
                keys.update(source.function_parameters(name))
            sections[section] = {
                "definedBy": wanted.get("classes", []) + wanted.get("functions", []),
                "keys": dict(sorted(keys.items())),
            }
        schema = {
            "trainer": trainer,
            "generatedBy": "scripts/sft/extract-trainer-schemas.py",
            "sources": provenance,
            "sections": sections,
        }
        path = os.path.join(arguments.out, f"{trainer}.json")
        with open(path, "w") as handle:
            json.dump(schema, handle, indent=1, ensure_ascii=False)
            handle.write("\n")
        counts = ", ".join(f"{name} {len(section['keys'])}" for name, section in sections.items())
        print(f"{path}: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
