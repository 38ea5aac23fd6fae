#!/usr/bin/env bash
# Installs llama-cpp-python's OpenAI-compatible server, pinned, into a virtual environment for the
# real-server tests (test/real-server.e2e.test.ts). It builds llama.cpp from source for the CPU only;
# pip keeps the built wheel in its cache, so a later install on the same machine takes seconds.
#
#   CLINVAL_LLAMA_CPP_VENV   where the venv goes (default .clinval/venv-llama-cpp, ignored by git)
#   PYTHON                   the Python 3 that creates it (default python3)
#
# Progress goes to stderr; the last line on stdout is the venv's python, the value the tests read from
# CLINVAL_LLAMA_CPP_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=0.3.36
venv="${CLINVAL_LLAMA_CPP_VENV:-.clinval/venv-llama-cpp}"
started=$(date +%s)

if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv" >&2
fi
venv="$(cd "$venv" && pwd)"
python="$venv/bin/python"

installed=$("$python" -c 'import llama_cpp; print(llama_cpp.__version__)' 2>/dev/null || true)
if [ "$installed" = "$version" ]; then
  echo "llama-cpp-python $version is already installed in $venv" >&2
else
  # CPU only, no BLAS, no machine-specific instructions (the wheel in pip's cache then suits any x86-64
  # machine), and none of llama.cpp's own programs: the Python package needs only the libraries.
  export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BLAS=OFF -DGGML_OPENMP=OFF -DLLAMA_BUILD_TESTS=OFF \
-DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF -DLLAVA_BUILD=OFF"
  export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
  "$python" -m pip install --quiet --disable-pip-version-check "llama-cpp-python[server]==$version" >&2
fi

echo "llama-cpp-python $version ready in $(($(date +%s) - started)) s" >&2
echo "$python"
