#!/usr/bin/env bash
# Run the store contract tests against a real Virtuoso Open Source on 127.0.0.1.
#
#   bash scripts/virtuoso-test.sh            # installs Debian's virtuoso-opensource if needed (root)
#   PYTHON=/path/to/python bash scripts/virtuoso-test.sh
#
# It starts a throw-away Virtuoso (its own database folder and free ports, loopback
# only), lets the anonymous SPARQL user update (GRANT SPARQL_UPDATE), runs
# tests/integration/test_virtuoso.py with POLICYKG_VIRTUOSO_URL set, then stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"

if ! command -v virtuoso-t >/dev/null; then
  echo "installing virtuoso-opensource (Debian) ..." >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends virtuoso-opensource >/dev/null
fi
ISQL="$(command -v isql-vt || command -v isql)"

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DIR="$(mktemp -d /tmp/policykg-virtuoso.XXXXXX)"
SQL_PORT="$(free_port)"; HTTP_PORT="$(free_port)"
sed -e "s#/var/lib/virtuoso-opensource-7/db/#$DIR/#g" \
    -e "s#^ServerPort *= *1111#ServerPort = 127.0.0.1:$SQL_PORT#" \
    -e "s#^ServerPort *= *8890#ServerPort = 127.0.0.1:$HTTP_PORT#" \
    /etc/virtuoso-opensource-7/virtuoso.ini > "$DIR/virtuoso.ini"

( cd "$DIR" && exec virtuoso-t +foreground +configfile "$DIR/virtuoso.ini" >"$DIR/stdout.log" 2>&1 ) &
VPID=$!
cleanup() { kill "$VPID" 2>/dev/null || true; wait "$VPID" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT

for _ in $(seq 1 120); do
  if "$PYTHON" - "$HTTP_PORT" <<'PY' 2>/dev/null; then break; fi
import sys, httpx
r = httpx.get(f"http://127.0.0.1:{sys.argv[1]}/sparql", params={"query": "ASK {}"}, timeout=2)
sys.exit(0 if r.status_code == 200 else 1)
PY
  if ! kill -0 "$VPID" 2>/dev/null; then echo "virtuoso exited:" >&2; cat "$DIR"/*.log >&2; exit 1; fi
  sleep 0.5
done

# A fresh database's dba password is "dba"; this server listens on loopback only and is thrown away.
"$ISQL" "127.0.0.1:$SQL_PORT" dba dba exec="GRANT SPARQL_UPDATE TO \"SPARQL\"; GRANT SPARQL_SPONGE TO \"SPARQL\"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);" >/dev/null

echo "Virtuoso $(virtuoso-t -? 2>&1 | head -1 | tr -d '\r') on http://127.0.0.1:$HTTP_PORT/sparql" >&2
POLICYKG_VIRTUOSO_URL="http://127.0.0.1:$HTTP_PORT/sparql" "$PYTHON" -m pytest -q -p no:cacheprovider \
  tests/integration/test_virtuoso.py "$@"
