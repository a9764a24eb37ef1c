#!/bin/sh
# ttl/ is a snapshot of what plugin/quell_ttlgen.c generates from the one port table
# (plugin/quell_ports.h); the bundle is built from the generator. The snapshot must match it,
# so a port or URI change is visible in review. Refresh with `make ttl-snapshot`.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$ROOT/build}
GEN="$B/plugin/quell_ttlgen"
[ -x "$GEN" ] || { echo "FAIL: $GEN not built"; exit 1; }
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
"$GEN" manifest quell.so >"$T/manifest.ttl" || { echo "FAIL: generator (manifest) failed"; exit 1; }
"$GEN" plugin >"$T/quell.ttl" || { echo "FAIL: generator (plugin) failed"; exit 1; }
rc=0
for f in manifest.ttl quell.ttl; do
  if ! diff -u "$ROOT/ttl/$f" "$T/$f"; then
    echo "FAIL: ttl/$f differs from the generator's output: run make ttl-snapshot and review the diff"
    rc=1
  fi
done
[ $rc -eq 0 ] && echo "PASS: ttl/ matches the TTL generator"
exit $rc
