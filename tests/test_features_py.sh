#!/bin/sh
# test_features_py.sh — Python-side features (model/quell_dsp.py, used for training) equal the
# engine's, bit for bit, and the streaming engine (what the plugins run) agrees with them: its voice
# probability, and its output with the network's gains through quell_dsp.smooth_gains and the
# filterbank (the path model/smoothing_sweep.py varies).
# Needs build/tests/features_dump, build/libquell_dsp.so and a blob (the shipped one, else a
# random fixture); skips (77) when /usr/bin/python3 has no numpy.
set -u
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
if ! "$PYTHON" -c 'import numpy' 2>/dev/null; then
  echo "skip: $PYTHON has no numpy (apt-get install python3-numpy)"
  exit 77
fi
blob=model/quell.qwb
if [ ! -f "$blob" ]; then
  blob=$BUILD/tests/features-fixture.qwb
  "$BUILD/tests/quell-fixture-blob" "$blob" 7 || { echo "cannot make a fixture blob"; exit 1; }
fi
dump=$BUILD/tests/features.dump
"$BUILD/tests/features_dump" "$blob" "$dump" || { echo "features_dump failed"; exit 1; }
# Under `make asan-check` libquell_dsp.so is built with ASan; Python is not, so it needs the
# runtime preloaded (leak checks off: the interpreter's own leaks are not ours to judge).
py_env=
asan_lib=$(readelf -d "$BUILD/libquell_dsp.so" 2>/dev/null |
  sed -n 's/.*Shared library: \[\(libasan[^]]*\)\].*/\1/p' | head -n 1)
[ -n "$asan_lib" ] &&
  py_env="LD_PRELOAD=$(${CC:-cc} -print-file-name="$asan_lib") ASAN_OPTIONS=detect_leaks=0"
env $py_env QUELL_DSP_LIB=$BUILD/libquell_dsp.so "$PYTHON" model/check_features.py "$dump" "$blob"
