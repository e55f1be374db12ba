#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run every check: lint, types, schema drift, the TypeScript suites, pytest.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k cli -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=.venv/bin/python

echo "== ruff";            .venv/bin/ruff check .
                           .venv/bin/ruff format --check . >/dev/null  # separate lines: set -e skips the left of &&
echo "== mypy";            .venv/bin/mypy
echo "== schema drift";    $PY -m protocol._codegen --check
# Node parts: the type check and node:test suite of each package under clients/ that has them (Node 24, see setup.sh).
export PATH="$PWD/tests/node24/node_modules/node/bin:$PATH"
for dir in clients/*/; do
  [ -f "$dir/package.json" ] || continue
  (cd "$dir" && node -e 'process.exit(require("./package.json").scripts?.test ? 0 : 1)') || continue
  echo "== node: $dir"
  (cd "$dir" && npm run -s --if-present typecheck)
  (cd "$dir" && npm run -s test)
done
echo "== pytest";          $PY -m pytest "$@"   # exits non-zero when no test ran (pytest's 5)
