#!/bin/sh
# The preset bundle: it validates (lv2_validate, together with the plugin bundle and the LV2
# specs), lilv and lv2info see every preset of presets/presets.def for each variant, and
# quell-process --preset NAME sets exactly the table's values (and audibly changes the output).
. "$(dirname "$0")/test_host_lib.sh"

GEN="$B/presets/quell-presetgen"
P="$B/quell-presets.lv2"
[ -x "$GEN" ] || fail "$GEN not built"
[ -f "$P/manifest.ttl" ] && [ -f "$P/presets.ttl" ] || fail "preset bundle $P not built"
[ -x "$QP" ] || fail "$QP not built"

"$GEN" --table >"$T/table.txt" || fail "quell-presetgen --table failed"
ids=$(awk '{ print $2 }' "$T/table.txt" | sort -u)
for id in gentle broadcast meeting music-safe; do
  echo "$ids" | grep -qx "$id" || fail "preset '$id' missing from presets.def"
done

note "lv2_validate on the plugin and preset bundles"
if command -v lv2_validate >/dev/null; then
  lv2_validate "$B/test-lv2/quell.lv2/manifest.ttl" "$B/test-lv2/quell.lv2/quell.ttl" \
    "$P/manifest.ttl" "$P/presets.ttl" >"$T/validate.txt" 2>&1
  rc=$?
  cat "$T/validate.txt"
  [ $rc -eq 0 ] || fail "lv2_validate exited $rc"
  grep -q "Found 0 errors" "$T/validate.txt" || fail "lv2_validate reported errors"
  grep -qi "warning" "$T/validate.txt" && fail "lv2_validate reported warnings"
else
  fail "lv2_validate missing (Debian package lv2-dev)"
fi

for variant in mono stereo; do
  uri="https://github.com/quell-audio/quell#$variant"
  note "$variant: lv2info and quell-process --list-presets"
  lv2info "$uri" >"$T/info.txt" 2>&1 || fail "lv2info $uri failed"
  for id in $ids; do
    label=$(sed -n "s/.*X(\"$id\", \"\([^\"]*\)\".*/\1/p" "$ROOT/presets/presets.def")
    [ -n "$label" ] || fail "no label for $id in presets.def"
    grep -qF "$label" "$T/info.txt" || fail "lv2info does not list '$label' for $variant"
  done
  "$QP" --"$variant" --list-presets >"$T/list.txt" || fail "--list-presets failed"
  cat "$T/list.txt"
  [ "$(awk '{ print $1 }' "$T/list.txt" | sort -u)" = "$ids" ] ||
    fail "quell-process lists other presets than presets.def for $variant"
  grep -v "presets/$variant#" "$T/list.txt" && fail "presets of another variant leak into $variant"

  note "$variant: --preset NAME sets the table's values"
  for id in $ids; do
    "$QP" --"$variant" --preset "$id" --print-controls >"$T/controls.txt" ||
      fail "--preset $id failed"
    awk -v v=$variant -v id="$id" '$1 == v && $2 == id { print $3, $4 }' "$T/table.txt" |
      while read -r sym val; do
        got=$(sed -n "s/^$sym=\([^	]*\).*/\1/p" "$T/controls.txt")
        awk -v a="$got" -v b="$val" 'BEGIN { exit !(a - b < 1e-4 && b - a < 1e-4) }' ||
          { echo "FAIL: --preset $id: $sym=$got, want $val" >&2; exit 1; }
      done || exit 1
  done
done

note "the presets change the processing: music-safe (6 dB) keeps more than broadcast (no limit)"
sox -R -n -r 48000 -c 1 -e floating-point -b 32 "$T/noise.wav" synth 2 whitenoise gain -20 ||
  fail "sox"
"$QP" --preset music-safe "$T/noise.wav" "$T/light.wav" || fail "music-safe run failed"
"$QP" --preset broadcast "$T/noise.wav" "$T/strong.wav" || fail "broadcast run failed"
light=$(value rms_b "$("$CMP" "$T/noise.wav" "$T/light.wav")")
strong=$(value rms_b "$("$CMP" "$T/noise.wav" "$T/strong.wav")")
echo "   rms in $(value rms_a "$("$CMP" "$T/noise.wav" "$T/light.wav")"), music-safe $light, broadcast $strong"
le "$strong" "$light" || fail "broadcast left more ($strong) than music-safe ($light)"
[ "$strong" != "$light" ] || fail "the two presets produced the same level"
echo "presets: all checks passed"
