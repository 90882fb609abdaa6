#!/usr/bin/env bash
# Set everything up (with Chromium for the review-UI browser tests), then run the test suite.
# Extra arguments go to pytest, e.g.: bash scripts/test.sh -k load   or   bash scripts/test.sh --slow
set -euo pipefail
cd "$(dirname "$0")/.."
TILLROLL_WITH_BROWSER=1 bash scripts/setup.sh
exec .venv/bin/python -m pytest -q tests "$@"
