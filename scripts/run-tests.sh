#!/usr/bin/env bash
# Start a throwaway PostGIS cluster, run ruff, the import-cycle check and the whole test suite on SpatiaLite and
# PostGIS, stop the cluster whatever happens. The suite runs in one pytest-xdist worker per core
# (TEST_PROCESSES=N to choose, 0 for a single process), whole files to a worker; each worker
# has its own SQLite file and its own database in the cluster (tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
pgdir=$(mktemp -d /tmp/safety-pg.XXXXXX)
trap 'scripts/pgcluster.sh stop "$pgdir"' EXIT
url=$(scripts/pgcluster.sh start "$pgdir")
echo "PostGIS test cluster: $url"
"$VENV/bin/ruff" check safety tests bench
"$VENV/bin/python" scripts/import_cycles.py
SAFETY_TEST_POSTGRES_URL="$url" "$VENV/bin/pytest" -n "${TEST_PROCESSES:-auto}" --dist loadfile "$@"
