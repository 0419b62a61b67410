#!/usr/bin/env bash
# Benchmarks (not part of the test run): start a throwaway PostGIS cluster, run each bench,
# print the figures, stop the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
pgdir=$(mktemp -d /tmp/safety-bench-pg.XXXXXX)
trap 'scripts/pgcluster.sh stop "$pgdir"' EXIT
export SAFETY_BENCH_POSTGRES_URL=$(scripts/pgcluster.sh start "$pgdir")
for bench in "${@:-geo_bench panic_bench ingest_bench registry_bench}"; do
  for b in $bench; do
    [ -f "bench/$b.py" ] || continue
    echo "== $b"
    "$VENV/bin/python" -m "bench.$b" 2> >(grep -v " INFO " >&2)
  done
done
