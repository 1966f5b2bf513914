#!/usr/bin/env bash
# Install the requirements into .venv and run the comparison on the bundled demo data.
# This is the README's run command.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
LOG="$(mktemp)"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
echo "Installing Python requirements into $VENV..."
if ! "$VENV/bin/pip" install -r requirements.txt >"$LOG" 2>&1; then
  cat "$LOG"; echo "error: pip install failed" >&2; exit 1
fi
exec "$VENV/bin/python" -m evaluation compare data/demo/base.csv data/demo/finetuned.csv --format markdown "$@"
