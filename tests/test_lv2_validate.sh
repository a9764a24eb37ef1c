#!/bin/sh
# test_lv2_validate.sh — static checks of the built plugins:
#  - lv2_validate (lv2-dev, runs sord_validate from Debian's sordi) on the fixture bundle's TTL:
#    any error or warning line fails;
#  - lv2info on both URIs: found, latency reported by the `latency` port, every port symbol of
#    the table present, hardRTCapable offered, no required feature;
#  - the generated TTL carries the lv2:enabled and lv2:latency designations and the units;
#  - nm -D: quell.so exports only lv2_descriptor, quell_ladspa.so only ladspa_descriptor.
set -u
BUILD=${BUILD:-build}
bundle=$BUILD/test-lv2/quell.lv2
fail=0
say_fail() { echo "FAIL: $*"; fail=1; }

for tool in lv2_validate sord_validate lv2info nm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "FAIL: $tool not found (lv2_validate: lv2-dev; sord_validate: sordi; lv2info: lilv-utils;"
    echo "      nm: binutils); run the set-up command in README.md"
    exit 1
  fi
done
[ -f "$bundle/manifest.ttl" ] || { echo "FAIL: $bundle missing: run 'make fixture-bundle'"; exit 1; }

# --- lv2_validate ----------------------------------------------------------------------------
out=$(lv2_validate "$bundle/manifest.ttl" "$bundle/quell.ttl" 2>&1)
rc=$?
echo "$out" | grep -v '^Skipping file'
[ $rc -eq 0 ] || say_fail "lv2_validate exited $rc"
if echo "$out" | grep -Eiq '^(error|warning)|[: ](error|warning):'; then
  say_fail "lv2_validate reported errors or warnings"
fi
echo "$out" | grep -q '^Found 0 errors' || say_fail "lv2_validate did not report 'Found 0 errors'"

# --- lv2info ---------------------------------------------------------------------------------
abs=$(cd "$BUILD/test-lv2" && pwd)
symbols_common="enabled atten_limit gate gate_threshold gate_hold gate_floor latency voice_prob reduction"
for variant in mono stereo; do
  uri="https://github.com/quell-audio/quell#$variant"
  if [ $variant = mono ]; then audio="in out"; latency_port=8; else audio="in_l in_r out_l out_r"; latency_port=10; fi
  info=$(LV2_PATH="$abs:/usr/lib/lv2" lv2info "$uri" 2>&1)
  rc=$?
  [ $rc -eq 0 ] || { say_fail "lv2info $uri exited $rc"; echo "$info"; continue; }
  echo "$info" | sed -n '1,12p'
  echo "$info" | grep -q "Has latency: *yes, reported by port $latency_port\$" ||
    say_fail "$uri: lv2info does not report latency on port $latency_port"
  echo "$info" | grep -q "Class: *Spectral" || say_fail "$uri: class is not Spectral"
  echo "$info" | grep -q "lv2core#hardRTCapable" || say_fail "$uri: hardRTCapable not offered"
  echo "$info" | grep -q "Required Features" && say_fail "$uri: requires a host feature"
  for sym in $audio $symbols_common; do
    echo "$info" | grep -q "Symbol: *$sym\$" || say_fail "$uri: no port with symbol '$sym'"
  done
done

# --- designations, properties and units in the generated TTL ---------------------------------
for pattern in 'lv2:designation lv2:enabled' 'lv2:designation lv2:latency' \
               'lv2:portProperty lv2:reportsLatency, lv2:integer' 'lv2:portProperty lv2:toggled' \
               'units:unit units:db' 'units:unit units:ms' 'doap:license' 'lv2:minorVersion' \
               'lv2:microVersion'; do
  n=$(grep -c "$pattern" "$bundle/quell.ttl")
  [ "$n" -ge 2 ] || say_fail "quell.ttl: '$pattern' appears $n times, want it on both plugins"
done
cmp -s "$BUILD/quell.lv2/quell.ttl" "$bundle/quell.ttl" ||
  say_fail "fixture bundle TTL differs from build/quell.lv2 (stale fixture?)"

# --- exported symbols ------------------------------------------------------------------------
check_exports() { # FILE EXPECTED
  syms=$(nm -D --defined-only "$1" | awk '{print $3}' | sort | tr '\n' ' ')
  echo "exports of $1: $syms"
  [ "$syms" = "$2 " ] || say_fail "$1 exports '$syms', want only '$2'"
}
check_exports "$BUILD/quell.lv2/quell.so" lv2_descriptor
check_exports "$BUILD/ladspa/quell_ladspa.so" ladspa_descriptor

if [ $fail -ne 0 ]; then echo "FAIL"; exit 1; fi
echo "PASS: lv2_validate clean, lv2info finds both plugins, only descriptors exported"
