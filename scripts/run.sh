#!/usr/bin/env bash
# Install the requirements into .venv and start the dashboard on the bundled demo data at
# http://127.0.0.1:8501 (no account, no server to set up, no usage statistics sent).
# This is the README's run command. Extra arguments go to `streamlit run`.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
LOG="$(mktemp)"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
echo "Installing Python requirements into $VENV..."
if ! "$VENV/bin/pip" install -r requirements.txt >"$LOG" 2>&1; then
  cat "$LOG"; echo "error: pip install failed" >&2; exit 1
fi
echo "Starting the dashboard on http://127.0.0.1:8501 (Ctrl+C to stop)"
exec "$VENV/bin/python" -m streamlit run app.py "$@"
