#!/usr/bin/env bash
# The main job on a fresh machine: install, ingest samples/, serve on http://127.0.0.1:${PORT:-8000}
# The store is this clone's own (.policykg/store), unless POLICYKG_STORE names another.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
export POLICYKG_STORE="${POLICYKG_STORE:-$PWD/.policykg/store}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# A regular install (not -e): `python -m policykg` then works from any folder, the clone's
# parent included (an editable install loses to a folder named policykg in the current one).
.venv/bin/python -m pip install -q .
echo "Store: $POLICYKG_STORE" >&2
.venv/bin/policykg ingest samples/
exec .venv/bin/policykg serve --host 127.0.0.1 --port "${PORT:-8000}"
