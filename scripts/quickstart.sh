#!/usr/bin/env bash
# The main job on a fresh machine: install, ingest samples/, serve on http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
.venv/bin/policykg ingest samples/
exec .venv/bin/policykg serve --host 127.0.0.1 --port "${PORT:-8000}"
