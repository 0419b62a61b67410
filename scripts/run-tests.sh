#!/usr/bin/env bash
# Start a throwaway PostGIS cluster, run ruff, the import-cycle check and the whole test suite on SpatiaLite and
# PostGIS, stop the cluster whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
pgdir=$(mktemp -d /tmp/safety-pg.XXXXXX)
trap 'scripts/pgcluster.sh stop "$pgdir"' EXIT
url=$(scripts/pgcluster.sh start "$pgdir")
echo "PostGIS test cluster: $url"
"$VENV/bin/ruff" check safety tests bench
"$VENV/bin/python" scripts/import_cycles.py
SAFETY_TEST_POSTGRES_URL="$url" "$VENV/bin/pytest" "$@"
