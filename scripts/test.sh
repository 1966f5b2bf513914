#!/usr/bin/env bash
# Install what the tests need (Debian's chromium and Java runtime, a venv with the requirements and the
# optional DuckDB and Spark engines) and run the whole suite: linters, unit, property, AppTest and
# browser tests. This is the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
LOG="$(mktemp)"

if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing chromium (Debian package) for the browser tests..."
  if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } >"$LOG" 2>&1; then
    cat "$LOG"; echo "error: could not install chromium" >&2; exit 1
  fi
fi

if ! command -v java >/dev/null 2>&1; then
  echo "Installing a Java runtime (Debian package) for the Spark engine's tests..."
  if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y openjdk-17-jre-headless; } >"$LOG" 2>&1; then
    cat "$LOG"; echo "error: could not install openjdk-17-jre-headless" >&2; exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
echo "Installing Python requirements into $VENV..."
if ! "$VENV/bin/pip" install -r requirements-dev.txt -r requirements-scale.txt >"$LOG" 2>&1; then
  cat "$LOG"; echo "error: pip install failed" >&2; exit 1
fi

echo "ruff:"; "$VENV/bin/ruff" check .
echo "mypy:"; "$VENV/bin/mypy"

set +e
"$VENV/bin/python" -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "error: pytest collected no tests: the suite's wiring is broken" >&2
  exit 1
fi
exit "$status"
