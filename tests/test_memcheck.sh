#!/bin/sh
# test_memcheck.sh — one valgrind memcheck pass over instantiate/run/cleanup: the engine (test
# driver test_abuse_lifecycle, short mode: models from file and memory, engines created, run,
# reset, destroyed) and the real plugin hosted by a third-party host (lv2apply from lilv-utils,
# fixture bundle, mono and stereo). Zero memcheck errors and zero bytes definitely lost, or it
# fails. Skips (77) without valgrind or on a sanitizer build (valgrind cannot run ASan binaries).
BUILD=${BUILD:-build}
driver=$BUILD/tests/test_abuse_lifecycle
bundle_dir=$BUILD/test-lv2
work=$BUILD/memcheck
if ! command -v valgrind >/dev/null 2>&1; then
  echo "SKIP: valgrind not installed (Debian package valgrind)"; exit 77
fi
[ -x "$driver" ] || { echo "FAIL: $driver not built"; exit 1; }
if ldd "$driver" 2>/dev/null | grep -q 'lib[a-z]*san'; then
  echo "SKIP: sanitizer build; valgrind cannot run ASan/UBSan binaries"; exit 77
fi
mkdir -p "$work"
# Definite leaks and every memcheck error count; still-reachable blocks (library singletons such
# as FFTW's planner and glibc's dlopen bookkeeping) do not.
VG="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --num-callers=30"
fail=0

echo "== engine: $driver short"
if $VG "$driver" short >"$work/engine.log" 2>&1; then
  tail -n 1 "$work/engine.log"
else
  echo "FAIL: memcheck on the engine:"; cat "$work/engine.log"; fail=1
fi

if ! command -v lv2apply >/dev/null 2>&1; then
  echo "note: lv2apply (lilv-utils) missing, plugin pass skipped"
elif [ ! -f "$bundle_dir/quell.lv2/quell.so" ]; then
  echo "FAIL: no fixture bundle in $bundle_dir (make fixture-bundle)"; fail=1
else
  for variant in mono stereo; do
    ch=1; [ $variant = stereo ] && ch=2
    in=$work/in-$variant.wav; out=$work/out-$variant.wav
    # 0.3 s of pink noise at 48 kHz (sox is a test dependency of the plugin tests too).
    sox -n -r 48000 -c $ch -b 16 "$in" synth 0.3 pinknoise vol 0.2 2>/dev/null || {
      echo "FAIL: sox could not write $in"; fail=1; continue; }
    echo "== plugin: lv2apply $variant"
    if env -u QUELL_MODEL LV2_PATH="$(cd "$bundle_dir" && pwd)" $VG lv2apply -i "$in" -o "$out" \
        "https://github.com/quell-audio/quell#$variant" >"$work/lv2-$variant.log" 2>&1 \
        && [ -s "$out" ]; then
      echo "clean"
    else
      echo "FAIL: memcheck on the plugin ($variant) or no output:"; cat "$work/lv2-$variant.log"; fail=1
    fi
  done
fi
[ $fail -eq 0 ] && echo "memcheck: 0 errors, 0 bytes definitely lost"
exit $fail
