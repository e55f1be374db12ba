#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run every check: lint, types, schema drift, the pytest suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k cli -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=.venv/bin/python

echo "== ruff";            .venv/bin/ruff check .
                           .venv/bin/ruff format --check . >/dev/null  # separate lines: set -e skips the left of &&
echo "== mypy";            .venv/bin/mypy
echo "== schema drift";    $PY -m protocol._codegen --check
echo "== pytest";          $PY -m pytest "$@"   # exits non-zero when no test ran (pytest's 5)
