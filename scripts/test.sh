#!/usr/bin/env bash
# Set everything up (with Chromium for the review-UI browser tests), check lint, formatting
# and types, then run the test suite.
# Extra arguments go to pytest, e.g.: bash scripts/test.sh -k load   or   bash scripts/test.sh --slow
set -euo pipefail
cd "$(dirname "$0")/.."
TILLROLL_WITH_BROWSER=1 bash scripts/setup.sh

# Code-health gates (configured in pyproject.toml): lint and import order, formatting,
# strict types, import layering ([tool.tillroll.layers], a test that also runs with the
# suite). All of them report before any fails the build.
gates_ok=1
.venv/bin/ruff check src tests benchmarks scripts || gates_ok=0
.venv/bin/ruff format --check src tests benchmarks scripts || gates_ok=0
.venv/bin/mypy || gates_ok=0
.venv/bin/python -m pytest -q -p no:cacheprovider tests/unit/test_code_layers.py || gates_ok=0
if [ "$gates_ok" != 1 ]; then
  echo "error: the code-health gates failed (above); '.venv/bin/ruff format src tests benchmarks scripts' fixes formatting" >&2
  exit 1
fi

exec .venv/bin/python -m pytest -q tests "$@"
