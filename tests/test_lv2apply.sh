#!/bin/sh
# test_lv2apply.sh — processes WAV files through real hosts, as users will:
#  - lv2apply (lilv-utils) through the fixture bundle, mono and stereo, at 44.1, 48 and 96 kHz;
#  - lv2apply through the staged install (make install DESTDIR=build/test-install PREFIX=/usr),
#    on the shipped weights when model/quell.qwb exists (44.1, 48, 96 kHz), and with
#    QUELL_MODEL = the fixture blob, so the installed layout is what runs;
#  - applyplugin (ladspa-sdk) through the staged LADSPA install (16-bit files).
# With atten_limit 0 every output must exist, have the input's length, channels and rate, and
# equal the input delayed by the latency 2 * round(rate * 5 ms), zeros before it.
set -u
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
fail=0
say_fail() { echo "FAIL: $*"; fail=1; }

for tool in sox lv2apply applyplugin "$PYTHON"; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "FAIL: $tool not found (sox, lilv-utils, ladspa-sdk, python3)"; exit 1; }
done
fixture_lv2=$(cd "$BUILD/test-lv2" 2>/dev/null && pwd) ||
  { echo "FAIL: $BUILD/test-lv2 missing: run 'make fixture-bundle'"; exit 1; }
fixture_blob=$fixture_lv2/quell.lv2/quell.qwb
install_root=$BUILD/test-install
mkdir -p "$BUILD/tests"
tmp=$(mktemp -d "$BUILD/tests/lv2apply-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Under `make asan-check` the plugin is built with ASan; these uninstrumented hosts then need the
# runtime preloaded (leak checking off: the hosts' own leaks are not ours to judge here).
host_env=""
asan_lib=$(readelf -d "$BUILD/quell.lv2/quell.so" 2>/dev/null |
           sed -n 's/.*Shared library: \[\(libasan[^]]*\)\].*/\1/p' | head -n 1)
if [ -n "$asan_lib" ]; then
  host_env="LD_PRELOAD=$(${CC:-cc} -print-file-name="$asan_lib") ASAN_OPTIONS=detect_leaks=0"
  echo "plugin built with ASan: hosts run with $host_env"
fi

# compare IN OUT RATE CHANNELS TOLERANCE LABEL: both converted to raw float by sox, checked in
# plain Python (no third-party modules).
compare() {
  sox -V1 "$1" -t f32 "$tmp/a.f32" && sox -V1 "$2" -t f32 "$tmp/b.f32" || { say_fail "$6: sox cannot read"; return; }
  in_info="$(soxi -r "$1" 2>/dev/null) $(soxi -c "$1" 2>/dev/null) $(soxi -s "$1" 2>/dev/null)"
  out_info="$(soxi -r "$2" 2>/dev/null) $(soxi -c "$2" 2>/dev/null) $(soxi -s "$2" 2>/dev/null)"
  [ "$in_info" = "$out_info" ] || { say_fail "$6: rate/channels/length $out_info, input $in_info"; return; }
  "$PYTHON" - "$tmp/a.f32" "$tmp/b.f32" "$3" "$4" "$5" "$6" <<'EOF' || fail=1
import math, sys
from array import array
a, b = array('f'), array('f')
with open(sys.argv[1], 'rb') as f: a.frombytes(f.read())
with open(sys.argv[2], 'rb') as f: b.frombytes(f.read())
rate, ch, tol, label = float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
lat = 2 * int(math.floor(rate * 0.005 + 0.5))  # C round(): half away from zero
frames = len(a) // ch
err = 0.0
for t in range(frames):
    for c in range(ch):
        want = a[(t - lat) * ch + c] if t >= lat else 0.0
        err = max(err, abs(b[t * ch + c] - want))
peak = max(abs(x) for x in a)
print(f"{label}: {frames} frames x {ch} ch, latency {lat}, input peak {peak:.3f}, "
      f"max |out - delayed in| = {err:.2e} (tolerance {tol:g})")
if not (err <= tol and peak > 0.05):
    print(f"FAIL: {label}: output is not the input delayed by {lat} samples")
    sys.exit(1)
EOF
}

# Signals: pink noise; the right channel gets brown noise so swapped channels would show.
make_input() { # FILE RATE CHANNELS [sox format options]
  f=$1; r=$2; c=$3; shift 3
  if [ "$c" = 1 ]; then kinds="pinknoise"; else kinds="pinknoise brownnoise"; fi
  sox -V1 -n -r "$r" -c "$c" "$@" "$f" synth 2 $kinds vol 0.5
}

run_lv2apply() { # LV2_PATH RATE CHANNELS LABEL
  case $3 in 1) uri="https://github.com/quell-audio/quell#mono" ;; *) uri="https://github.com/quell-audio/quell#stereo" ;; esac
  make_input "$tmp/in.wav" "$2" "$3" -b 32 -e floating-point
  rm -f "$tmp/out.wav"
  if ! env $host_env LV2_PATH="$1" lv2apply -i "$tmp/in.wav" -o "$tmp/out.wav" -c atten_limit 0 "$uri"; then
    say_fail "$4: lv2apply failed"; return
  fi
  [ -s "$tmp/out.wav" ] || { say_fail "$4: no output file"; return; }
  compare "$tmp/in.wav" "$tmp/out.wav" "$2" "$3" 1e-5 "$4"
}

unset QUELL_MODEL # the fixture bundle's own weights
for rate in 44100 48000 96000; do
  for ch in 1 2; do
    run_lv2apply "$fixture_lv2" $rate $ch "lv2apply fixture bundle ${ch}ch $rate Hz"
  done
done

if [ -f "$install_root/usr/lib/lv2/quell.lv2/manifest.ttl" ]; then
  installed_lv2=$(cd "$install_root/usr/lib/lv2" && pwd)
  # With shipped weights installed, the installed bundle must run on its own weights too.
  if [ -f "$installed_lv2/quell.lv2/quell.qwb" ]; then
    for rate in 44100 48000 96000; do
      for ch in 1 2; do
        run_lv2apply "$installed_lv2" $rate $ch "lv2apply staged install, shipped weights ${ch}ch $rate Hz"
      done
    done
  else
    echo "note: no shipped weights in the staged install (model/quell.qwb not built yet)"
  fi
  QUELL_MODEL=$fixture_blob
  export QUELL_MODEL
  for ch in 1 2; do
    run_lv2apply "$installed_lv2" 48000 $ch "lv2apply staged install ${ch}ch 48000 Hz"
  done
  # LADSPA through applyplugin: controls are the six inputs in table order
  # (enabled, atten_limit, gate, gate_threshold, gate_hold, gate_floor).
  installed_ladspa=$(cd "$install_root/usr/lib/ladspa" && pwd)
  for ch in 1 2; do
    if [ $ch = 1 ]; then label=quell_mono; else label=quell_stereo; fi
    make_input "$tmp/in16.wav" 48000 $ch -b 16
    rm -f "$tmp/out16.wav"
    if env $host_env LADSPA_PATH="$installed_ladspa" \
        applyplugin "$tmp/in16.wav" "$tmp/out16.wav" quell_ladspa.so $label 1 0 0 0.5 300 -24; then
      # 16-bit: one LSB of tolerance for rounding on the way back
      compare "$tmp/in16.wav" "$tmp/out16.wav" 48000 $ch 3.1e-5 "applyplugin staged LADSPA install $label"
    else
      say_fail "applyplugin $label failed"
    fi
  done
else
  say_fail "$install_root missing: the staged install is built by 'make check'"
fi

if [ $fail -ne 0 ]; then echo "FAIL"; exit 1; fi
echo "PASS: lv2apply and applyplugin outputs are the inputs delayed by the reported latency"
