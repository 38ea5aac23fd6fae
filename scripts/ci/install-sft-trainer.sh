#!/usr/bin/env bash
# Installs the trainer of the real CPU training test (test/sft-training.e2e.test.ts) into a virtual
# environment: torch, TRL, PEFT and transformers pinned in sft-trainer-requirements.txt, and llama.cpp's
# conversion scripts (convert_hf_to_gguf.py, convert_lora_to_gguf.py and their gguf-py) taken from the
# llama-cpp-python sdist that install-llama-cpp-server.sh builds, so the GGUF they write matches that release.
#
#   CLINVAL_SFT_VENV   where the venv goes (default ~/.cache/clinval/venv-sft-trainer: it is gigabytes,
#                      so it is kept outside the checkout and reused by later runs on the machine)
#   PYTHON             the Python 3 that creates it (default python3)
#
# Progress goes to stderr; stdout gets the two lines to evaluate (`eval "$(install-sft-trainer.sh)"`):
#   export CLINVAL_SFT_PYTHON=<the venv's python>
#   export CLINVAL_LLAMA_CPP_CONVERT_DIR=<the folder of the conversion scripts>
set -euo pipefail
cd "$(dirname "$0")/../.."

llama_cpp_python=0.3.36
requirements="scripts/ci/sft-trainer-requirements.txt"
venv="${CLINVAL_SFT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/clinval/venv-sft-trainer}"
started=$(date +%s)

# What is installed is recorded in a stamp: the pins and the sdist release. Same stamp, nothing to do.
stamp="$(sha256sum "$requirements" | cut -d' ' -f1) llama-cpp-python==$llama_cpp_python"

mkdir -p "$(dirname "$venv")"
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv" >&2
fi
venv="$(cd "$venv" && pwd)"
python="$venv/bin/python"
convert="$venv/llama.cpp-convert"

if [ "$(cat "$venv/clinval-stamp" 2>/dev/null)" = "$stamp" ] && [ -f "$convert/convert_lora_to_gguf.py" ]; then
  echo "the SFT trainer is already installed in $venv" >&2
else
  rm -f "$venv/clinval-stamp"
  "$python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2

  download="$(mktemp -d)"
  trap 'rm -rf "$download"' EXIT
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    -d "$download" "llama-cpp-python==$llama_cpp_python" >&2
  rm -rf "$convert"
  mkdir -p "$convert"
  vendored="llama_cpp_python-$llama_cpp_python/vendor/llama.cpp"
  tar -xzf "$download/llama_cpp_python-$llama_cpp_python.tar.gz" -C "$download" \
    "$vendored/convert_hf_to_gguf.py" "$vendored/convert_lora_to_gguf.py" "$vendored/conversion" \
    "$vendored/gguf-py" "$vendored/LICENSE"
  cp -r "$download/$vendored/." "$convert/"
  echo "$stamp" >"$venv/clinval-stamp"
fi

# A broken install fails here, not in the test.
"$python" -c 'import torch, transformers, trl, peft, accelerate, datasets, sentencepiece' >&2
[ -x "$venv/bin/trl" ] || { echo "$venv/bin/trl is missing" >&2; exit 1; }

echo "SFT trainer ready in $(($(date +%s) - started)) s" >&2
printf 'export CLINVAL_SFT_PYTHON=%q\n' "$python"
printf 'export CLINVAL_LLAMA_CPP_CONVERT_DIR=%q\n' "$convert"
