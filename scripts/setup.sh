#!/usr/bin/env bash
# Set up everything tillroll needs, idempotently: Debian packages, a virtualenv in
# .venv, and tillroll with all its extras (CPU-only PyTorch). Quick when already
# done: pip runs again only when pyproject.toml or this script changed.
#
#   bash scripts/setup.sh                       # what demo.sh and test.sh call
#   TILLROLL_WITH_BROWSER=1 bash scripts/setup.sh   # also Chromium, for the UI browser tests
#   PYTHON=python3.12 bash scripts/setup.sh     # pick the interpreter (3.11 or newer)
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION="2.13.0"
# PyPI's Linux torch wheel depends on several GB of CUDA libraries; tillroll runs
# on CPUs, so the CPU build is installed first and satisfies `torch==2.13.0` later.
TORCH_CPU_INDEX="https://download.pytorch.org/whl/cpu"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 1. Debian packages (Tesseract, fonts, python3-venv; Chromium when asked).
bash scripts/install-system-deps.sh

# 2. A Python >= 3.11 and a virtualenv.
pick_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}
if [ ! -x .venv/bin/python ]; then
  PY="$(pick_python)" || { echo "error: tillroll needs Python 3.11 or newer (sudo apt-get install python3.11 python3.11-venv)" >&2; exit 1; }
  say "creating .venv with $($PY --version)"
  "$PY" -m venv .venv || { echo "error: could not create a virtualenv; install the venv module (sudo apt-get install python3-venv) and re-run" >&2; exit 1; }
fi
VPY=.venv/bin/python

# 3. Python packages, skipped when nothing changed since the last successful run.
stamp=.venv/.tillroll-setup
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x .venv/bin/tillroll ]; then
  say "Python packages up to date (.venv)"
  exit 0
fi
pip_install() { "$VPY" -m pip install --disable-pip-version-check -q "$@"; }
pip_install --upgrade pip setuptools wheel

if "$VPY" -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '$TORCH_VERSION' else 1)" 2>/dev/null; then
  say "torch $TORCH_VERSION already installed"
elif [ "$(uname -s)" = "Linux" ]; then
  say "installing torch $TORCH_VERSION (CPU build)"
  # Local wheel folders configured for pip still apply; the CPU index is one more source.
  pip_install --retries 1 --timeout 30 --extra-index-url "$TORCH_CPU_INDEX" "torch==${TORCH_VERSION}+cpu"
else
  say "installing torch $TORCH_VERSION"
  pip_install "torch==${TORCH_VERSION}"  # macOS/Windows wheels are CPU builds already
fi

say "installing tillroll with all extras (editable)"
pip_install -e '.[all]'

if [ "${TILLROLL_WITH_BROWSER:-0}" = "1" ]; then
  # Playwright drives Debian's Chromium (installed above); it needs no browser download.
  command -v chromium >/dev/null 2>&1 || say "warning: chromium not found; browser tests will skip"
fi

echo "$want" > "$stamp"
say "done: $("$VPY" -c 'import tillroll; print("tillroll", tillroll.__version__)') in .venv"
