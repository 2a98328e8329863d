#!/usr/bin/env bash
# Installs what the project needs and builds it. Idempotent: a second run
# only rebuilds what changed.
#   - Debian packages: LLVM/MLIR 22, ninja, ccache, lld, Python venv support,
#     clang 22 with its runtimes (the fuzzers and the sanitizer build)
#   - .venv/ at the repository root with requirements.txt from PyPI
#   - the keops package, installed in editable mode by scikit-build-core,
#     whose CMake build directory is build/ (shared with plain CMake work)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}

say() { echo "[setup] $*"; }

# --- Debian packages ---------------------------------------------------------
PKGS=(llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools ninja-build ccache lld
      clang-22 libclang-rt-22-dev cmake python3 python3-venv python3-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# cmake and a venv-capable python3 may come from elsewhere (pyenv, pip).
filtered=()
for p in "${missing[@]}"; do
  case "$p" in
    cmake) command -v cmake >/dev/null || filtered+=("$p") ;;
    python3|python3-venv|python3-dev)
      python3 -c 'import venv, ensurepip, sysconfig, os; assert os.path.exists(sysconfig.get_paths()["include"] + "/Python.h")' \
        >/dev/null 2>&1 || filtered+=("$p") ;;
    *) filtered+=("$p") ;;
  esac
done
if ((${#filtered[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "[setup] missing Debian packages: ${filtered[*]}" >&2
    echo "[setup] run as root:  apt-get update && apt-get install -y ${filtered[*]}" >&2
    exit 1
  fi
  say "installing ${filtered[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${filtered[@]}"
fi

# --- Python virtual environment ------------------------------------------------
PY=${KEOPS_PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv with $($PY --version)"
  $PY -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  say "installing Python packages (requirements.txt)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  echo "$want" > "$stamp"
fi

# --- Build -------------------------------------------------------------------
pkg_stamp=.venv/.pyproject.sha256
pkg_want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if ! .venv/bin/python -c 'import keops' >/dev/null 2>&1 || [[ ! -f build/build.ninja ]] \
   || [[ ! -f $pkg_stamp || $(cat "$pkg_stamp") != "$pkg_want" ]]; then
  say "building and installing the keops package (editable; build dir: build/)"
  .venv/bin/python -m pip install -q --no-build-isolation -e .
  echo "$pkg_want" > "$pkg_stamp"
else
  say "rebuilding build/"
  cmake --build build
fi
# keops._keops is built when CMake found pybind11 for the venv's Python; a
# build/ configured by hand for another Python lacks it.
if ! .venv/bin/python -c 'from keops import _runtime; _runtime.extension()' >/dev/null 2>&1; then
  say "building the extension module keops._keops for .venv/bin/python"
  cmake -DPython_EXECUTABLE="$ROOT/.venv/bin/python" build >/dev/null
  cmake --build build
fi
say "ready: $(ls build/bin | tr '\n' ' ')"
