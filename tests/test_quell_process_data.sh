#!/bin/sh
# quell-process round-trips real recordings from ../shared/data/dev/mix48 (48 kHz FLAC, 16-bit)
# through the fixture bundle: with atten_limit=0 the output equals the input to one 16-bit step
# (so length and alignment are exact); with default settings the length is equal and the output
# correlates best with the input at lag 0. Also a stereo file made of two recordings, and FLAC
# out; and NOIZEUS's 8 kHz recordings, which quell-process converts to 16 kHz and back: same
# length and format, aligned, and within 40 dB of the same file upsampled by sox and processed
# at 16 kHz (docs/offline.md). Skips (77) when the shared data is absent; QUELL_SHARED overrides
# its location.
. "$(dirname "$0")/test_host_lib.sh"

SHARED=${QUELL_SHARED:-$ROOT/../shared}
DEV="$SHARED/data/dev/mix48/noisy"
[ -d "$DEV" ] || skip "no shared data at $DEV (set QUELL_SHARED to the shared folder)"
[ -x "$QP" ] && [ -x "$CMP" ] || fail "quell-process / quell-wavcmp not built"
command -v sox >/dev/null || fail "sox not installed (Debian package sox)"

files=$(ls "$DEV"/*.flac 2>/dev/null | head -n 4)
[ -n "$files" ] || skip "no .flac files in $DEV"

LSB=0.0000306 # one 16-bit step (1/32768 = 0.0000305); the float path may round to either side
for f in $files; do
  base=$(basename "$f" .flac)
  note "$base: atten_limit=0 -> identical to one 16-bit step"
  "$QP" --set atten_limit=0 "$f" "$T/$base.pass.flac" || fail "quell-process exit $?"
  r=$("$CMP" "$f" "$T/$base.pass.flac") || fail "quell-wavcmp failed"
  echo "   $r"
  [ "$(value frames_a "$r")" = "$(value frames_b "$r")" ] || fail "$base: length differs"
  le "$(value maxdiff "$r")" $LSB || fail "$base: differs by $(value maxdiff "$r") with atten_limit=0"

  note "$base: default settings -> same length, aligned at lag 0"
  "$QP" "$f" "$T/$base.out.wav" || fail "quell-process exit $?"
  r=$("$CMP" "$f" "$T/$base.out.wav" 2000) || fail "quell-wavcmp failed"
  echo "   $r"
  [ "$(value frames_a "$r")" = "$(value frames_b "$r")" ] || fail "$base: length differs"
  [ "$(value bestlag "$r")" = 0 ] || fail "$base: best alignment at lag $(value bestlag "$r"), not 0"
  le 0.5 "$(value corr0 "$r")" || fail "$base: correlation at lag 0 only $(value corr0 "$r")"
done

set -- $files
note "stereo file from two recordings ($(basename "$1") + $(basename "$2"))"
sox -M "$1" "$2" "$T/st.wav" || fail "sox -M"
"$QP" --set atten_limit=0 "$T/st.wav" "$T/st.pass.wav" || fail "quell-process exit $?"
r=$("$CMP" "$T/st.wav" "$T/st.pass.wav") || fail "quell-wavcmp failed"
echo "   $r"
[ "$(value channels_b "$r")" = 2 ] || fail "stereo output has $(value channels_b "$r") channels"
[ "$(value frames_a "$r")" = "$(value frames_b "$r")" ] || fail "stereo: length differs"
le "$(value maxdiff "$r")" $LSB || fail "stereo: differs by $(value maxdiff "$r") with atten_limit=0"
"$QP" "$T/st.wav" "$T/st.out.wav" || fail "quell-process exit $?"
r=$("$CMP" "$T/st.wav" "$T/st.out.wav" 2000) || fail "quell-wavcmp failed"
echo "   $r"
[ "$(value bestlag "$r")" = 0 ] || fail "stereo: best alignment at lag $(value bestlag "$r")"
NOIZEUS="$SHARED/data/dev/noizeus/noisy"
for f in $(ls "$NOIZEUS"/*.flac 2>/dev/null | head -n 3); do
  base=$(basename "$f" .flac)
  note "$base (NOIZEUS, 8 kHz 16-bit FLAC): converted to 16 kHz and back, against native 16 kHz"
  "$QP" "$f" "$T/$base.out.flac" || fail "quell-process exit $?"
  [ "$(soxi -r "$T/$base.out.flac")" = 8000 ] && [ "$(soxi -b "$T/$base.out.flac")" = 16 ] ||
    fail "$base: output is not 8 kHz 16-bit like its input"
  sox "$f" -e floating-point -b 32 "$T/$base.16k.wav" rate -v 16000 2>/dev/null || fail "sox rate"
  "$QP" "$T/$base.16k.wav" "$T/$base.16k.out.wav" || fail "quell-process exit $?"
  sox "$T/$base.16k.out.wav" -e floating-point -b 32 "$T/$base.back.wav" rate -v 8000 2>/dev/null ||
    fail "sox rate"
  r=$("$CMP" "$T/$base.back.wav" "$T/$base.out.flac") || fail "quell-wavcmp failed"
  echo "   $r"
  [ "$(value frames_a "$r")" = "$(value frames_b "$r")" ] || fail "$base: length differs"
  [ "$(value frames_b "$r")" = "$(soxi -s "$f")" ] || fail "$base: output length is not the input's"
  [ "$(value bestlag "$r")" = 0 ] || fail "$base: not aligned (lag $(value bestlag "$r"))"
  le 40 "$(value snr "$r")" || fail "$base: only $(value snr "$r") dB from the native result"
done
echo "real files: all checks passed"
