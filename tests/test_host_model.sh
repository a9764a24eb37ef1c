#!/bin/sh
# The `model` parameter in hosts, on the fixture bundle (random-weight blobs, never trained ones):
#  - quell-process --model FILE (the parameter through lilv and the plugin's worker): the output
#    changes with the model, repeats exactly, --model "" is the shipped model exactly; a corrupt
#    or wrong-configuration file exits 65 with the plugin's one log line and quell-process's;
#  - quell-jack --model FILE on a dummy JACK server (the same path, before activation), then a
#    bad file (exit 4);
#  - jalv restores a saved session (state.ttl naming a.qwb, as lilv and jalv write it) on the
#    dummy server and its plugin reports the restored model (a log:Note line); a session naming
#    a corrupt file keeps jalv running on the shipped model with one error line.
. "$(dirname "$0")/test_host_lib.sh"

command -v sox >/dev/null || fail "sox not installed (Debian package sox)"
FIX="$B/tests/quell-fixture-blob"
[ -x "$FIX" ] || fail "$FIX not built"
[ -x "$QP" ] || fail "$QP not built"
[ -x "$CMP" ] || fail "$CMP not built"

# crc FILE -> the blob's CRC-32 as 8 hex digits (its last 4 bytes, little-endian)
crc() { od -An -tx4 -j $(($(wc -c <"$1") - 4)) "$1" | tr -d ' \n'; }

"$FIX" "$T/a.qwb" 77 || fail "fixture blob"
"$FIX" "$T/b.qwb" 78 || fail "fixture blob"
head -c 5000 "$T/a.qwb" >"$T/truncated.qwb"
sox -R -n -r 48000 -c 1 -e floating-point -b 32 "$T/in.wav" synth 1.5 pinknoise gain -10 || fail "sox"
CRC_A=$(crc "$T/a.qwb")

note "quell-process --model"
"$QP" -q "$T/in.wav" "$T/shipped.wav" || fail "quell-process exit $?"
"$QP" -q -v --model "$T/a.qwb" "$T/in.wav" "$T/a.wav" 2>"$T/stderr" || fail "--model a.qwb: exit $?"
grep -q "model a.qwb, CRC $CRC_A" "$T/stderr" || fail "-v does not name the model: $(cat "$T/stderr")"
"$QP" -q --model "$T/a.qwb" "$T/in.wav" "$T/a2.wav" || fail "--model a.qwb (again): exit $?"
"$QP" -q --model "$T/b.qwb" "$T/in.wav" "$T/b.wav" || fail "--model b.qwb: exit $?"
"$QP" -q --model "" "$T/in.wav" "$T/empty.wav" || fail "--model '': exit $?"
# Samples compared (the files' PEAK chunks carry a time stamp).
same() { [ "$(value maxdiff "$("$CMP" "$1" "$2")")" = "0.000000000" ]; }
same "$T/a.wav" "$T/a2.wav" || fail "the same model twice gave different output"
same "$T/shipped.wav" "$T/empty.wav" || fail "--model '' differs from the shipped model"
same "$T/a.wav" "$T/b.wav" && fail "a.qwb and b.qwb gave the same output"
same "$T/a.wav" "$T/shipped.wav" && fail "--model a.qwb gave the shipped model's output"
echo "   a.qwb (CRC $CRC_A), b.qwb and the shipped model give three outputs; repeatable"
for bad in truncated.qwb missing.qwb; do
  "$QP" -q --model "$T/$bad" "$T/in.wav" "$T/bad.wav" 2>"$T/stderr"
  rc=$?
  [ $rc -eq 65 ] || fail "--model $bad: exit $rc, want 65"
  [ "$(wc -l <"$T/stderr")" -eq 2 ] || fail "--model $bad: want the plugin's line and ours: $(cat "$T/stderr")"
  grep -q "model not loaded" "$T/stderr" || fail "--model $bad: no plugin log line"
  [ -e "$T/bad.wav" ] && fail "--model $bad: an output file was written"
  echo "   $bad: exit 65, $(head -n 1 "$T/stderr" | cut -c1-110)..."
done

quell_jackd_start 48000 256

note "quell-jack --model"
"$QJ" --name "qjm$$" --model "$T/a.qwb" --load 0.5 >"$T/qj.txt" 2>&1 || { cat "$T/qj.txt"; fail "quell-jack --model: exit $?"; }
grep -q "model: a.qwb, CRC $CRC_A" "$T/qj.txt" || fail "quell-jack did not report a.qwb: $(cat "$T/qj.txt")"
"$QJ" --name "qjm$$" --model "$T/truncated.qwb" --load 0.5 >"$T/qj.txt" 2>&1
rc=$?
[ $rc -eq 4 ] || fail "quell-jack --model truncated.qwb: exit $rc, want 4"
echo "   a.qwb loaded before activation; truncated.qwb refused (exit 4)"

# A session folder as lilv/jalv save one: state.ttl naming the model relative to itself.
write_state() { # DIR URI MODEL-FILE-NAME
  mkdir -p "$1"
  cat >"$1/manifest.ttl" <<EOF
@prefix lv2: <http://lv2plug.in/ns/lv2core#> .
@prefix pset: <http://lv2plug.in/ns/ext/presets#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<state.ttl> a pset:Preset ; lv2:appliesTo <$2> ; rdfs:seeAlso <state.ttl> .
EOF
  cat >"$1/state.ttl" <<EOF
@prefix lv2: <http://lv2plug.in/ns/lv2core#> .
@prefix pset: <http://lv2plug.in/ns/ext/presets#> .
@prefix state: <http://lv2plug.in/ns/ext/state#> .
<> a pset:Preset ;
	lv2:appliesTo <$2> ;
	state:state [ <https://github.com/quell-audio/quell#model> <$3> ] .
EOF
}

if command -v jalv >/dev/null; then
  for variant in mono stereo; do
    uri="https://github.com/quell-audio/quell#$variant"
    note "jalv -l (session naming a.qwb), $variant"
    write_state "$T/session-$variant" "$uri" a.qwb
    cp "$T/a.qwb" "$T/session-$variant/a.qwb"
    { sleep 1.5; echo controls; sleep 0.5; } |
      timeout 30 env $HOST_ENV jalv -l "$T/session-$variant" -n "qjalvm$$$variant" -x "$uri" \
        >"$T/jalv.txt" 2>&1
    rc=$?
    grep -E "quell|model" "$T/jalv.txt" | sed 's/^/    | /'
    [ $rc -eq 0 ] || fail "jalv exited $rc"
    grep -q "quell: model restored: a.qwb, CRC $CRC_A" "$T/jalv.txt" ||
      fail "jalv's plugin did not restore a.qwb"
    grep -q "^model = " "$T/jalv.txt" || fail "jalv does not list the model parameter"
  done
  note "jalv -l (session naming a corrupt file): runs on, one error line"
  write_state "$T/session-bad" "https://github.com/quell-audio/quell#mono" truncated.qwb
  cp "$T/truncated.qwb" "$T/session-bad/"
  { sleep 1.5; echo controls; sleep 0.5; } |
    timeout 30 env $HOST_ENV jalv -l "$T/session-bad" -n "qjalvb$$" -x "https://github.com/quell-audio/quell#mono" \
      >"$T/jalv.txt" 2>&1 || fail "jalv exited $? on a session with a corrupt model"
  n=$(grep -c "model not loaded" "$T/jalv.txt")
  grep "model not loaded" "$T/jalv.txt" | sed 's/^/    | /'
  [ "$n" -eq 1 ] || fail "want one log line for the corrupt model, got $n"
  grep -q "^voice_prob\|latency = " "$T/jalv.txt" || grep -q "^gate = " "$T/jalv.txt" || fail "jalv did not run"
else
  echo "   (jalv not installed: the jalv part is skipped)"
fi
echo "PASS: the model parameter in quell-process, quell-jack and jalv"
