#!/usr/bin/env bash
# Vendor the console's browser libraries from the npm registry at pinned versions, checked
# against the tarballs' SHA-256 (docs/console.md, "Vendored libraries"). The files are
# committed: nothing is fetched at run time or by the tests. Run it only to update a version
# (change it and its checksum below), then review the diff.
set -euo pipefail
cd "$(dirname "$0")/.."
VENDOR=safety/static/vendor
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

fetch() {  # name version sha256 -> $WORK/<name>/package
  local name=$1 version=$2 sha=$3
  (cd "$WORK" && npm pack --silent "$name@$version" >/dev/null 2>&1)
  local tgz
  tgz=$(ls "$WORK"/"${name//\//-}"-"$version".tgz)
  echo "$sha  $tgz" | sha256sum -c --quiet -
  mkdir -p "$WORK/$name" && tar xzf "$tgz" -C "$WORK/$name"
}

fetch htmx.org 2.0.11 165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e
mkdir -p "$VENDOR/htmx"
cp "$WORK/htmx.org/package/dist/htmx.min.js" "$WORK/htmx.org/package/LICENSE" "$VENDOR/htmx/"

fetch leaflet 1.9.4 84c65a256e50657896f54c33bd857b6849ebe94c817803be818bf32a3dde0b77
mkdir -p "$VENDOR/leaflet/images"
cp "$WORK/leaflet/package/dist/leaflet.js" "$WORK/leaflet/package/dist/leaflet.css" \
   "$WORK/leaflet/package/LICENSE" "$VENDOR/leaflet/"
cp "$WORK/leaflet/package/dist/images/"*.png "$VENDOR/leaflet/images/"

fetch leaflet-draw 1.0.4 b3ec161a931ad88b3f008283b824ceac5af98b5ec603877f294834d1edcc3aa6
mkdir -p "$VENDOR/leaflet-draw/images"
cp "$WORK/leaflet-draw/package/dist/leaflet.draw.js" \
   "$WORK/leaflet-draw/package/dist/leaflet.draw.css" "$VENDOR/leaflet-draw/"
cp "$WORK/leaflet-draw/package/dist/images/"spritesheet* "$VENDOR/leaflet-draw/images/"
# The npm package ships no licence file: LICENSE beside it is the project's MIT licence.
echo "vendored into $VENDOR: htmx 2.0.11, leaflet 1.9.4, leaflet-draw 1.0.4"
