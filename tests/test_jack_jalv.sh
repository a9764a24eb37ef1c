#!/bin/sh
# jalv (Debian's reference LV2 host, console mode) runs each Quell variant on a private dummy
# JACK server for a few seconds: its ports appear in JACK, the latency output reads
# 2*round(rate*0.005), the presets of the preset bundle are listed, and loading one sets the
# controls to the values in presets/presets.def (read back through quell-presetgen --table).
#
# It also checks what JACK reports for jalv's ports (jack_lsp -l), which docs/hosts.md's jalv section
# describes: jalv 1.6.6's latency callback publishes the plugin's latency on the side it reads
# from instead of the side JACK asks for (capture latency on its inputs, playback latency on its
# outputs; JACK's jack/types.h wants capture latency set on outputs and playback latency on
# inputs), so its outputs carry a capture latency of 0 and a client downstream sees no delay.
# quell-jack publishes it the right way round (tests/test_jack_latency.sh). If this check fails,
# jalv changed: update docs/hosts.md's jalv paragraph with what jack_lsp -l shows.
. "$(dirname "$0")/test_host_lib.sh"

command -v jalv >/dev/null || fail "jalv not installed (Debian package jalv)"
command -v jack_lsp >/dev/null || fail "jack_lsp not installed (Debian package jackd2)"
GEN="$B/presets/quell-presetgen"
[ -x "$GEN" ] || fail "$GEN not built"
[ -d "$B/quell-presets.lv2" ] || fail "preset bundle not built"

RATE=48000
quell_jackd_start $RATE 256
expected=480

for variant in mono stereo; do
  uri="https://github.com/quell-audio/quell#$variant"
  name="qjalv$$$variant"
  note "jalv -n $name $uri"
  # Commands arrive on stdin while it runs; closing stdin ends jalv. jack_lsp runs beside it.
  {
    sleep 2
    timeout 5 jack_lsp -l >"$T/ports-$variant.txt" 2>&1
    echo presets
    sleep 0.3
    echo monitors
    sleep 0.3
    echo "preset https://github.com/quell-audio/quell/presets/$variant#meeting"
    sleep 0.3
    echo controls
    sleep 1
  } | timeout 30 env $HOST_ENV jalv -n "$name" -x "$uri" >"$T/jalv-$variant.txt" 2>&1
  rc=$?
  sed 's/^/    | /' "$T/jalv-$variant.txt" | tail -n 30
  echo # jalv's last line is its prompt, without a newline
  [ $rc -eq 0 ] || fail "jalv exited $rc for $variant"
  if [ $variant = mono ]; then ports="in out"; else ports="in_l in_r out_l out_r"; fi
  for p in $ports; do
    grep -qx "$name:$p" "$T/ports-$variant.txt" || fail "JACK port $name:$p missing while jalv ran"
  done
  # What JACK reports, port by port: "capture/playback" latency ranges (min = max here).
  for p in $ports; do
    lat=$(awk -v port="$name:$p" '
      /^[^ \t]/ { cur = $0 }
      cur == port && /capture latency/ { c = $6 }
      cur == port && /playback latency/ { pl = $6 }
      END { print c "/" pl }' "$T/ports-$variant.txt")
    case $p in in*) want="$expected/0" ;; *) want="0/$expected" ;; esac
    echo "    JACK reports $name:$p capture/playback latency $lat (jalv 1.6.6 publishes $want)"
    [ "$lat" = "$want" ] ||
      fail "JACK reports $lat for $name:$p, docs/hosts.md's jalv section says $want: update it"
  done
  grep -q "^Sample rate: *$RATE" "$T/jalv-$variant.txt" || fail "jalv did not run at $RATE Hz"
  grep -q "latency = $expected.000000" "$T/jalv-$variant.txt" || fail "latency output is not $expected"
  grep -q "voice_prob = " "$T/jalv-$variant.txt" || fail "no voice_prob output (did run() happen?)"
  n=$(grep -c "presets/$variant#" "$T/jalv-$variant.txt")
  want=$("$GEN" --table | awk -v v=$variant '$1 == v { print $2 }' | sort -u | wc -l)
  [ "$n" -ge "$want" ] || fail "jalv lists $n presets for $variant, want $want"
  # After "preset ...#meeting" the last printed controls must be the table's.
  "$GEN" --table | awk -v v=$variant '$1 == v && $2 == "meeting" { print $3, $4 }' |
    while read -r sym val; do
      got=$(grep "^$sym = " "$T/jalv-$variant.txt" | tail -n 1 | sed 's/.* = //')
      awk -v a="$got" -v b="$val" 'BEGIN { exit !(a - b < 1e-4 && b - a < 1e-4) }' ||
        { echo "FAIL: after the meeting preset $sym = $got, want $val" >&2; exit 1; }
    done || exit 1
done
echo "jalv ran both variants"
