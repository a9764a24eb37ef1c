#!/bin/sh
# host-test/pipewire/quell-filter-chain.conf, checked three ways:
#  1. always: its structure (balanced braces/brackets/quotes) and that the plugin URI and every
#     control it sets exist in plugin/quell_ports.h;
#  2. if pipewire is installed: a private headless pipewire daemon (own XDG_RUNTIME_DIR and core
#     name, no hardware) loads the file verbatim as a pipewire.conf.d drop-in; the filter-chain
#     module must find and load the plugin from the fixture bundle (a wrong URI makes the daemon
#     refuse to start, so this is a real check) and create its nodes;
#  3. if wireplumber and dbus-run-session are installed too: audio is played into a null sink,
#     captured by the filter (the file with a test target added), run through Quell and recorded
#     from the virtual source: the recording must carry the signal.
. "$(dirname "$0")/test_host_lib.sh"

CONF="$ROOT/host-test/pipewire/quell-filter-chain.conf"
PORTS="$ROOT/plugin/quell_ports.h"
[ -f "$CONF" ] || fail "$CONF missing"

note "structure and names"
awk '
  { n = split($0, ch, "")
    for (i = 1; i <= n; i++) {
      c = ch[i]
      if (!q && c == "#") break # a comment runs to the end of the line
      if (c == "\"") q = !q
      else if (!q && (c == "{" || c == "[")) st[++d] = c
      else if (!q && (c == "}" || c == "]")) {
        if (d == 0 || (c == "}" && st[d] != "{") || (c == "]" && st[d] != "[")) {
          print "unbalanced " c " at line " NR; bad = 1; exit 1 }
        d--
      }
    }
    if (q) { print "unterminated string at line " NR; bad = 1; exit 1 } }
  END { if (!bad && d != 0) { print "unclosed brackets: " d; exit 1 } }' "$CONF" ||
  fail "$CONF: malformed"
uri=$(sed -n 's/^ *plugin *= *"\([^"]*\)".*/\1/p' "$CONF")
base=$(sed -n 's/^#define QUELL_URI_BASE "\(.*\)"/\1/p' "$PORTS")
[ "$uri" = "$base#mono" ] || [ "$uri" = "$base#stereo" ] || fail "plugin URI '$uri' is not a Quell variant"
for sym in $(sed -n 's/^ *"\([a-z_]*\)" *= *[-0-9.]*.*/\1/p' "$CONF"); do
  grep -q "\"$sym\"" "$PORTS" || fail "control '$sym' is not in quell_ports.h"
  echo "   control $sym ok"
done
grep -q '"quell:in"' "$CONF" && grep -q '"quell:out"' "$CONF" || fail "inputs/outputs must name quell:in/quell:out"

command -v pipewire >/dev/null ||
  skip "structure ok; pipewire not installed (apt-get install pipewire wireplumber dbus), daemon check skipped"

# A minimal daemon: native protocol, adapters, a driver, a null sink to play into.
PW_PID= WP_PID=
pw_stop() {
  [ -n "$WP_PID" ] && kill -- "-$WP_PID" 2>/dev/null && wait "$WP_PID" 2>/dev/null
  [ -n "$PW_PID" ] && kill "$PW_PID" 2>/dev/null
  [ -n "$PW_PID" ] && wait "$PW_PID" 2>/dev/null
  PW_PID= WP_PID=
}
trap 'pw_stop; quell_cleanup' EXIT
CORE="quell-test-$$"
export XDG_RUNTIME_DIR="$T/run" PIPEWIRE_REMOTE="$CORE"
mkdir -p "$T/run" && chmod 700 "$T/run"
pw_config() { # DIR: writes DIR/quell-test.conf
  mkdir -p "$1/quell-test.conf.d"
  cat >"$1/quell-test.conf" <<EOF
context.properties = { core.daemon = true  core.name = $CORE  support.dbus = false }
context.spa-libs = {
    audio.convert.* = audioconvert/libspa-audioconvert
    support.*       = support/libspa-support
}
context.modules = [
    { name = libpipewire-module-protocol-native }
    { name = libpipewire-module-metadata }
    { name = libpipewire-module-spa-node-factory }
    { name = libpipewire-module-client-node }
    { name = libpipewire-module-access args = { } }
    { name = libpipewire-module-adapter }
    { name = libpipewire-module-link-factory }
]
context.objects = [
    { factory = metadata args = { metadata.name = default } }
    { factory = spa-node-factory
      args = { factory.name = support.node.driver  node.name = Dummy-Driver  priority.driver = 20000 } }
    { factory = adapter
      args = { factory.name = support.null-audio-sink  node.name = "quell-test-sink"
               media.class = Audio/Sink  audio.position = [ MONO ]  audio.rate = 48000
               node.driver = true  priority.driver = 30000 } }
]
EOF
}
pw_start() { # DIR
  env PIPEWIRE_CONFIG_DIR="$1" $HOST_ENV pipewire -c quell-test.conf >"$T/pipewire.log" 2>&1 &
  PW_PID=$!
  i=0
  while [ $i -lt 50 ]; do
    kill -0 "$PW_PID" 2>/dev/null || { cat "$T/pipewire.log" >&2; fail "pipewire exited while loading the config (log above)"; }
    [ -S "$T/run/$CORE" ] && timeout 5 pw-dump >"$T/dump.json" 2>/dev/null && return 0
    sleep 0.1
    i=$((i + 1))
  done
  cat "$T/pipewire.log" >&2
  fail "pipewire did not come up"
}

note "headless pipewire loads the drop-in verbatim"
pw_config "$T/pw1"
cp "$CONF" "$T/pw1/quell-test.conf.d/"
pw_start "$T/pw1"
sleep 0.5
timeout 5 pw-dump >"$T/dump.json" 2>/dev/null || fail "pw-dump failed"
grep -q '"node.name": "quell_source"' "$T/dump.json" || fail "no quell_source node"
grep -q '"node.name": "capture.quell_source"' "$T/dump.json" || fail "no capture.quell_source node"
grep -q '"node.description": "Quell noise-suppressed microphone"' "$T/dump.json" || fail "no description"
echo "   nodes quell_source and capture.quell_source created; plugin <$uri> loaded"
pw_stop

note "negative control: the same file with a wrong plugin URI must be refused"
pw_config "$T/pw0"
sed 's|quell#mono|quell#no-such-variant|; s|quell#stereo|quell#no-such-variant|' "$CONF" \
  >"$T/pw0/quell-test.conf.d/quell-filter-chain.conf"
timeout 10 env PIPEWIRE_CONFIG_DIR="$T/pw0" $HOST_ENV pipewire -c quell-test.conf >"$T/pw0.log" 2>&1 &&
  fail "pipewire accepted a config naming a plugin that does not exist"
grep -q "filter-chain" "$T/pw0.log" || fail "no filter-chain error for the wrong URI: $(cat "$T/pw0.log")"

if ! command -v wireplumber >/dev/null || ! command -v dbus-run-session >/dev/null ||
  ! command -v setsid >/dev/null || ! command -v pw-cat >/dev/null; then
  skip "pipewire loads the config; audio run skipped: needs wireplumber, dbus (dbus-run-session), pw-cat"
fi

note "audio through the filter: null sink -> capture.quell_source -> Quell -> quell_source"
pw_config "$T/pw2"
# Without a microphone the capture side is pointed at the null sink's monitor (test only).
sed 's|^\( *\)node.passive *= *true|&\n\1target.object = "quell-test-sink"\n\1stream.capture.sink = true|' \
  "$CONF" >"$T/pw2/quell-test.conf.d/quell-filter-chain.conf"
pw_start "$T/pw2"
setsid dbus-run-session -- wireplumber >"$T/wireplumber.log" 2>&1 &
WP_PID=$!
i=0
until timeout 3 pw-link -o 2>/dev/null | grep -q '^quell_source:'; do
  i=$((i + 1))
  [ $i -lt 50 ] || { tail -n 20 "$T/wireplumber.log" >&2; fail "quell_source never got ports (wireplumber log above)"; }
  sleep 0.2
done
sox -R -n -r 48000 -c 1 -b 16 "$T/sweep.wav" synth 2 sine 200-3000 gain -6 || fail "sox"
timeout -s INT 6 pw-cat -r --target quell_source --rate 48000 --channels 1 --format f32 \
  "$T/rec.wav" >"$T/rec.log" 2>&1 &
REC=$!
sleep 0.5
timeout 10 pw-cat -p --target quell-test-sink "$T/sweep.wav" >"$T/play.log" 2>&1 ||
  fail "pw-cat playback failed: $(cat "$T/play.log")"
wait $REC
timeout 3 pw-link -l >"$T/links.txt" 2>&1
pw_stop
[ -s "$T/rec.wav" ] || fail "nothing recorded from quell_source: $(cat "$T/rec.log")"
r=$("$CMP" "$T/rec.wav" "$T/rec.wav")
echo "   recorded: $r"
le 1 "$(awk -v f="$(value frames_a "$r")" 'BEGIN { print f / 48000 }')" || fail "recording too short"
le 0.01 "$(value rms_a "$r")" || fail "the recording is silent: no audio came through Quell"
echo "PipeWire: config loads, plugin found, audio flowed through Quell"
