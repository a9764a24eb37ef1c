#!/bin/sh
# quell-process --report on generated files through the fixture bundle: a PNG (of the size the
# layout gives) and an SVG are written, the audio output is the same with and without a report,
# stereo and converted rates work, pass-through (atten_limit=0) draws a different picture from
# the default, and bad report paths fail with their exit codes (64 for a format it cannot write,
# 73 when it cannot be written or the file is too short to draw).
. "$(dirname "$0")/test_host_lib.sh"

[ -x "$QP" ] || fail "$QP not built"
command -v sox >/dev/null || fail "sox not installed (Debian package sox)"

# png_size FILE -> "WIDTH HEIGHT" from the IHDR chunk (big-endian words at bytes 16 and 20).
png_size() {
  od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%d %d\n", (($1*256+$2)*256+$3)*256+$4, (($5*256+$6)*256+$7)*256+$8 }'
}
is_png() { [ "$(od -An -c -j1 -N3 "$1" | tr -d ' ')" = "PNG" ]; }

note "mono 48 kHz, noise under a gliding tone: PNG report, same audio as without"
sox -R -n -r 48000 -c 1 "$T/noise.wav" synth 3 pinknoise vol 0.08 || fail "sox"
sox -R -n -r 48000 -c 1 "$T/tone.wav" synth 3 sine 220-440 vol 0.2 tremolo 3 100 || fail "sox"
sox -R -m "$T/noise.wav" "$T/tone.wav" "$T/in.wav" || fail "sox"
"$QP" "$T/in.wav" "$T/plain.wav" || fail "quell-process exit $?"
"$QP" -v --report "$T/r.png" "$T/in.wav" "$T/out.wav" 2>"$T/stderr" || fail "exit $?: $(cat "$T/stderr")"
grep -q "report written to $T/r.png" "$T/stderr" || fail "-v does not name the report"
is_png "$T/r.png" || fail "$T/r.png is not a PNG"
size=$(png_size "$T/r.png")
echo "   r.png: $size, $(wc -c <"$T/r.png") bytes"
[ "$size" = "1000 554" ] || fail "report is $size, want 1000 554"
cmp -s "$T/plain.wav" "$T/out.wav" || fail "--report changed the audio output"

note "SVG, stereo 44.1 kHz"
sox -R -M "$T/in.wav" "$T/noise.wav" -r 44100 "$T/st.wav" || fail "sox"
"$QP" --report "$T/r.svg" "$T/st.wav" "$T/st.out.wav" || fail "quell-process exit $?"
head -c 200 "$T/r.svg" | grep -q "<svg" || fail "$T/r.svg is not SVG"
grep -q "<image" "$T/r.svg" || fail "$T/r.svg has no spectrogram images"

note "8 kHz file (converted to 16 kHz and back): the report is drawn at the processing rate"
sox -R "$T/in.wav" -r 8000 "$T/in8.wav" || fail "sox"
"$QP" --report "$T/r8.png" "$T/in8.wav" "$T/out8.wav" || fail "quell-process exit $?"
[ "$(png_size "$T/r8.png")" = "1000 554" ] || fail "8 kHz report has size $(png_size "$T/r8.png")"

note "pass-through draws another picture than suppression"
"$QP" --set atten_limit=0 --report "$T/r0.png" "$T/in.wav" "$T/out0.wav" || fail "exit $?"
cmp -s "$T/r.png" "$T/r0.png" && fail "atten_limit=0 gave the same report as the default"

note "errors"
expect_report_exit() {
  want=$1
  shift
  "$@" >"$T/out.txt" 2>"$T/err.txt"
  got=$?
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, want $want: $(cat "$T/err.txt")"
  echo "   exit $got: $(tail -n 1 "$T/err.txt")"
}
expect_report_exit 64 "$QP" --report "$T/r.jpg" "$T/in.wav" "$T/x.wav"
expect_report_exit 64 "$QP" "$T/in.wav" "$T/x.wav" --report
expect_report_exit 73 "$QP" --report "$T/no/such/dir/r.png" "$T/in.wav" "$T/x.wav"
sox -R -n -r 48000 -c 1 "$T/tiny.wav" synth 100s whitenoise gain -6 || fail "sox"
expect_report_exit 73 "$QP" --report "$T/tiny.png" "$T/tiny.wav" "$T/tiny.out.wav"
grep -q "too short" "$T/err.txt" || fail "no reason given for a too-short file"

echo "PASS: quell-process --report"
