#!/usr/bin/env bash
# The checks CI runs before the tests: ruff (lint and format), mypy, vulture. Each is
# configured in pyproject.toml. Fails when any of them finds something.
# Usage: bash scripts/lint.sh   (after `pip install -e '.[lint]'`; scripts/test.sh installs it)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
status=0

echo "ruff check" >&2
"$BIN/ruff" check . || status=1
echo "ruff format --check" >&2
"$BIN/ruff" format --check . || status=1

# mypy checks the package under its import names (policykg.graph, ...). The folders map to
# subpackages only through setuptools' package-dir, so lay the same tree out with symlinks
# and check that; its messages are turned back into repository paths.
echo "mypy" >&2
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/policykg"
for f in policykg/*.py; do ln -s "$PWD/$f" "$tree/policykg/"; done
for part in graph loaders api viz cli ontology; do ln -s "$PWD/$part" "$tree/policykg/$part"; done
MYPYPATH="$tree" "$BIN/mypy" --config-file pyproject.toml -p policykg > "$tree/mypy.out" 2>&1 || status=1
sed -e "s#$tree/##g" -e 's#^policykg/\(graph\|loaders\|api\|viz\|cli\|ontology\)/#\1/#' "$tree/mypy.out" >&2

# vulture scans every file, so that what a file being rewritten uses is not reported as dead,
# then its findings in the files ruff excludes (pyproject.toml, [tool.ruff] extend-exclude)
# are dropped. An error of vulture's own (not a finding) is kept.
echo "vulture" >&2
"$BIN/vulture" > "$tree/vulture.out" 2>&1 || true
"$BIN/python" - "$tree/vulture.out" <<'PY' || status=1
import sys
import tomllib

excluded = tomllib.load(open("pyproject.toml", "rb"))["tool"]["ruff"].get("extend-exclude", [])
found = [line for line in open(sys.argv[1], encoding="utf-8").read().splitlines()
         if line and not any(line.startswith(path) for path in excluded)]
print("\n".join(found), file=sys.stderr)
sys.exit(1 if found else 0)
PY

exit $status
