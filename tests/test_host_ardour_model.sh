#!/bin/sh
# Ardour (Debian's ardour 7, headless through ardour7-lua) on a private dummy JACK server keeps an
# adapted model with the session: a track gets Quell with an LV2 preset that sets the `model`
# parameter to my-room.qwb (as loading a user preset or choosing the file does), the session is
# saved and closed; reopened, the plugin restores the model from Ardour's saved LV2 state before
# running, and saving again writes my-room.qwb back (the plugin saves the model it has active, so
# a model that failed to load would be saved as the shipped one). Negative control: with
# my-room.qwb corrupted before reopening, the plugin logs one error and the session saves the
# shipped model. Skips (77) without Ardour, and under ASan like test_host_ardour.sh.
. "$(dirname "$0")/test_host_lib.sh"

LUA=$(command -v ardour7-lua || command -v ardour8-lua || command -v ardour6-lua)
[ -n "$LUA" ] || skip "Ardour not installed (apt-get install --no-install-recommends ardour); Ardour model check skipped"
[ -z "$HOST_ENV" ] || skip "Ardour check skipped under ASan (ardour7-lua hangs with the ASan runtime preloaded)"
FIX="$B/tests/quell-fixture-blob"
[ -x "$FIX" ] || fail "$FIX not built"

URI="https://github.com/quell-audio/quell#mono"
"$FIX" "$T/my-room.qwb" 77 || fail "fixture blob"
P="$T/lv2/quell-my-room.lv2"
mkdir -p "$P"
cat >"$P/manifest.ttl" <<EOF
@prefix lv2: <http://lv2plug.in/ns/lv2core#> .
@prefix pset: <http://lv2plug.in/ns/ext/presets#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<urn:quell:test:my-room> a pset:Preset ; lv2:appliesTo <$URI> ; rdfs:seeAlso <my-room.ttl> .
EOF
cat >"$P/my-room.ttl" <<EOF
@prefix lv2: <http://lv2plug.in/ns/lv2core#> .
@prefix pset: <http://lv2plug.in/ns/ext/presets#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix state: <http://lv2plug.in/ns/ext/state#> .
<urn:quell:test:my-room> a pset:Preset ;
	lv2:appliesTo <$URI> ;
	rdfs:label "My room" ;
	state:state [ <https://github.com/quell-audio/quell#model> <file://$T/my-room.qwb> ] .
EOF

quell_jackd_start 48000 256

# saved_model SESSION -> the model path in the plugin state Ardour saved last ("" = shipped)
saved_model() {
  f=$(ls -t $(find "$1/plugins" -name state.ttl) | head -n 1)
  [ -n "$f" ] || fail "no saved plugin state in $1/plugins"
  sed -n 's/.*quell#model> *\(.*\)$/\1/p' "$f" | tr -d ' ;'
}

run_lua() { # NAME: runs $T/NAME.lua, output in $T/NAME.txt
  LV2_PATH="$LV2:/usr/lib/lv2" timeout 90 "$LUA" "$T/$1.lua" >"$T/$1.txt" 2>&1
  rc=$?
  grep -v '^\[INFO\]' "$T/$1.txt" | grep -v '^\[WARNING\]: Falling back' | sed 's/^/    | /'
  [ $rc -eq 0 ] && grep -q '^done' "$T/$1.txt" || fail "$LUA $1.lua failed ($rc)"
}

cat >"$T/create.lua" <<EOF
assert(AudioEngine:set_backend("JACK", "", ""), "no JACK backend")
assert(create_session("$T/session", "quell", 48000), "cannot create a session")
local tl = Session:new_audio_track(1, 1, nil, 1, "voice", ARDOUR.PresentationInfo.max_order,
                                   ARDOUR.TrackMode.Normal, true)
local proc = ARDOUR.LuaAPI.new_plugin(Session, "$URI", ARDOUR.PluginType.LV2, "My room")
assert(not proc:isnil(), "new_plugin failed")
assert(tl:front():add_processor_by_index(proc, 0, nil, true), "cannot insert")
ARDOUR.LuaAPI.usleep(500000)
print("preset", proc:to_insert():plugin(0):last_preset().label)
Session:save_state("", false, false, false, false, false)
close_session()
print("done")
EOF
cat >"$T/reopen.lua" <<EOF
assert(AudioEngine:set_backend("JACK", "", ""), "no JACK backend")
assert(load_session("$T/session", "quell"), "cannot load the session")
ARDOUR.LuaAPI.usleep(500000)
Session:save_state("", false, false, false, false, false)
close_session()
print("done")
EOF

note "Ardour ($LUA): a track with Quell and the preset naming my-room.qwb; save"
run_lua create
grep -q "^preset My room" "$T/create.txt" || fail "the preset was not loaded"
first=$(saved_model "$T/session")
echo "    saved model: $first"
case "$first" in *my-room.qwb*) ;; *) fail "the session saved model '$first', not my-room.qwb" ;; esac

note "reopen, run, save again"
sleep 1
run_lua reopen
again=$(saved_model "$T/session")
echo "    saved model after reopening: $again"
case "$again" in *my-room.qwb*) ;; *) fail "after reopening the plugin has '$again', not my-room.qwb" ;; esac
grep -q "model not loaded" "$T/reopen.txt" && fail "the plugin refused the model on reopening"

note "negative control: my-room.qwb corrupted, reopen, save"
printf 'corrupt' | dd of="$T/my-room.qwb" bs=1 seek=100000 conv=notrunc 2>/dev/null
sleep 1
run_lua reopen
bad=$(saved_model "$T/session")
echo "    saved model with the file corrupted: '$bad'"
[ "$(grep -c 'model not loaded' "$T/reopen.txt")" -eq 1 ] || fail "want one error line for the corrupt model"
[ "$bad" = '""' ] || fail "with the model refused the session should save the shipped model, saved '$bad'"
echo "PASS: Ardour saves the session's model and reopens it with that model active"
