#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine, run the checks
# (scripts/lint.sh), then the tests. Fails when a check or a test fails.
# Usage: bash scripts/test.sh [pytest arguments]    (SKIP_LINT=1: the tests alone)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# Browser tests drive Debian's Chromium through its driver.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "Installing chromium and chromium-driver (for the browser tests)..." >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The test extra brings pytest, SPARQLWrapper, selenium and the `oxigraph` server the remote-store
# tests start; the lint extra ruff, mypy and vulture.
.venv/bin/python -m pip install -q -e '.[test,lint]'
if [ "${SKIP_LINT:-}" != 1 ]; then
  bash scripts/lint.sh
fi
exec .venv/bin/python -m pytest "$@"
