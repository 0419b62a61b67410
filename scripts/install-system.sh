#!/usr/bin/env bash
# System packages the project needs, installed with apt when missing (we run as root on Debian).
#   run:  SpatiaLite's SQLite module (the embedded default database)
#   test: also PostgreSQL + PostGIS (a throwaway cluster per test run), Chromium (the
#         tracking page is tested in it, driven by Playwright; no browser is downloaded) and
#         Redis (the multi-process stage, tests/test_deploy.py, starts one on a free port)
set -euo pipefail
what=${1:-run}

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
have libsqlite3-mod-spatialite || need+=(libsqlite3-mod-spatialite)
if [ "$what" = test ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  pg_major=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n1)
  pg_major=${pg_major:-15}
  have "postgresql-${pg_major}-postgis-3" || need+=("postgresql-${pg_major}-postgis-3")
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  # Node.js and npm: Redocly CLI lints the OpenAPI document (tools/openapi-lint, Node >= 20.19)
  command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
  have redis-server || need+=(redis-server)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "Missing system packages: ${need[*]}. Install them (as root): apt-get install ${need[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# On a fresh machine another apt (unattended-upgrades, cloud-init) often holds the dpkg lock:
# wait for it (up to 10 minutes) rather than fail at once. apt-get honours the timeout for the
# dpkg lock; `update` (apt 2.6) does not for its lists lock, so that one is retried here.
lock=(-o DPkg::Lock::Timeout=600)
apt_update() {
  local err deadline=$((SECONDS + 600))
  while ! err=$(apt-get "${lock[@]}" update -qq 2>&1 >/dev/null); do
    if [[ $err != *"Could not get lock"* ]] || ((SECONDS >= deadline)); then
      echo "$err" >&2
      return 1
    fi
    echo "Waiting for another apt process to finish..." >&2
    sleep 5
  done
  [ -z "$err" ] || echo "$err" >&2
}
apt_update
apt-get "${lock[@]}" install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# A package-installed cluster (or Redis) may have started itself; the tests use their own.
