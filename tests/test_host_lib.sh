# test_host_lib.sh — sourced by the host tests (not a test itself). POSIX sh.
#
# Gives: $ROOT (repo), $B (absolute build dir), $T (a temp dir removed on exit), $LV2 (an
# LV2_PATH holding only the fixture plugin bundle and the generated preset bundle), pass/fail/
# skip helpers, and quell_jackd_start/stop for a private dummy JACK server.

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "$ROOT" && mkdir -p "${BUILD:-build}" && cd "${BUILD:-build}" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/quell-host-test.XXXXXX")
QUELL_JACKD_PID=
quell_cleanup() {
  quell_jackd_stop
  rm -rf "$T"
}
trap quell_cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
note() { echo "-- $*"; }

# The preset bundle sits in build/ beside build/quell.lv2 (which may lack weights), so the path
# gets a directory of its own holding a link to it.
mkdir -p "$T/lv2"
[ -d "$B/quell-presets.lv2" ] && ln -s "$B/quell-presets.lv2" "$T/lv2/quell-presets.lv2"
LV2="$B/test-lv2:$T/lv2"
[ -f "$B/test-lv2/quell.lv2/quell.so" ] || fail "fixture bundle missing: run 'make fixture-bundle'"
export LV2_PATH="$LV2"

# quell-process takes the bundle built beside it (build/quell.lv2, maybe without weights) before
# LV2_PATH; the tests run a copy from a folder with no bundle beside it, so it finds the fixture
# on LV2_PATH like any host. test_quell_process.sh checks the lookup order itself.
QP_BUILT="$B/host-test/quell-process"
mkdir -p "$T/bin"
[ -x "$QP_BUILT" ] && cp "$QP_BUILT" "$T/bin/quell-process"
QP="$T/bin/quell-process"
QJ="$B/host-test/quell-jack"
CMP="$B/host-test/quell-wavcmp"
URI_MONO="https://github.com/quell-audio/quell#mono"
URI_STEREO="https://github.com/quell-audio/quell#stereo"

# Under `make asan-check` the plugin is built with ASan; third-party hosts (jalv, pipewire) are
# not, so they get the runtime preloaded (leak checks off: their own leaks are not ours to judge).
# Use: env $HOST_ENV CMD ARGS... (unquoted: it is empty or a list of assignments)
HOST_ENV=
asan_lib=$(readelf -d "$B/test-lv2/quell.lv2/quell.so" 2>/dev/null |
  sed -n 's/.*Shared library: \[\(libasan[^]]*\)\].*/\1/p' | head -n 1)
if [ -n "$asan_lib" ]; then
  HOST_ENV="LD_PRELOAD=$(${CC:-cc} -print-file-name="$asan_lib") ASAN_OPTIONS=detect_leaks=0"
  echo "plugin built with ASan: third-party hosts run with $HOST_ENV"
fi

# value KEY "key=value key=value ..." -> value
value() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# Floating-point comparison through awk: le A B -> true if A <= B.
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

# Starts `jackd -d dummy` at RATE/PERIOD under a unique server name (exported as
# JACK_DEFAULT_SERVER), waits until it answers, fails clearly if it cannot start. Tries realtime
# scheduling first, then without (containers often refuse SCHED_FIFO).
quell_jackd_start() {
  rate=$1 period=$2
  command -v jackd >/dev/null || fail "jackd not installed (Debian package jackd2)"
  JACK_DEFAULT_SERVER="quelltest$$_$rate"
  export JACK_DEFAULT_SERVER
  JACK_NO_START_SERVER=1 # clients (jack_lsp, jalv) must never spawn a server of their own
  export JACK_NO_START_SERVER
  for rt in "" "--no-realtime"; do
    jackd $rt -n "$JACK_DEFAULT_SERVER" -d dummy -r "$rate" -p "$period" -C 2 -P 2 \
      >"$T/jackd-$rate.log" 2>&1 &
    QUELL_JACKD_PID=$!
    i=0
    while [ $i -lt 50 ]; do
      if ! kill -0 "$QUELL_JACKD_PID" 2>/dev/null; then break; fi
      if timeout 5 jack_lsp >/dev/null 2>&1; then return 0; fi
      sleep 0.1
      i=$((i + 1))
    done
    quell_jackd_stop
  done
  sed 's/^/    jackd: /' "$T/jackd-$rate.log" >&2
  fail "jackd -d dummy -r $rate -p $period did not start (log above)"
}

quell_jackd_stop() {
  if [ -n "$QUELL_JACKD_PID" ]; then
    kill "$QUELL_JACKD_PID" 2>/dev/null
    i=0
    while kill -0 "$QUELL_JACKD_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$QUELL_JACKD_PID" 2>/dev/null
    wait "$QUELL_JACKD_PID" 2>/dev/null
    QUELL_JACKD_PID=
  fi
}
