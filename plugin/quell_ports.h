/* quell_ports.h — the one port table. The LV2 adapter, the LADSPA adapter, the preset generator
 * and the TTL generator (plugin/quell_ttlgen.c) all expand it; nothing else lists ports.
 *
 * QUELL_CONTROL_PORTS(X) expands
 *   X(ID, symbol, name, direction, default, min, max, unit, kind, group, comment)
 *   direction: IN or OUT
 *   unit: DB, MS, COEF, FRAME, NONE (mapped to LV2 units in the TTL)
 *   kind: PLAIN, LOG (plain, best shown on a logarithmic scale: needs min > 0), TOGGLE,
 *         ENABLED (lv2:enabled designation), LATENCY (lv2:latency designation)
 *   group: NONE or a group of QUELL_CONTROL_GROUPS (LV2 port groups: hosts show them together)
 *   comment: the port's rdfs:comment, the tooltip hosts show
 * Audio ports come first (variant dependent), then these controls in this order. */
#ifndef QUELL_PORTS_H
#define QUELL_PORTS_H

#include "../dsp/quell.h"

#define QUELL_URI_BASE "https://github.com/quell-audio/quell"
#define QUELL_URI_MONO QUELL_URI_BASE "#mono"
#define QUELL_URI_STEREO QUELL_URI_BASE "#stereo"
#define QUELL_LADSPA_ID_MONO 20961
#define QUELL_LADSPA_ID_STEREO 20962
#define QUELL_BLOB_NAME "quell.qwb"

/* The maintainer as LV2 hosts and lv2lint read it (doap:maintainer of the project). */
#define QUELL_MAINTAINER_NAME "Quell contributors"
#define QUELL_MAINTAINER_HOMEPAGE QUELL_URI_BASE
#define QUELL_MAINTAINER_MBOX "mailto:quell-audio@users.noreply.github.com"

/* gate_hold's range starts at 1 ms, not 0, because a logarithmic scale cannot hold 0; the engine
 * rounds the hold to whole 5 ms hops, so 1 ms is no hold at all, as 0 was. */
#define QUELL_CONTROL_PORTS(X)                                                                   \
  X(ENABLED, "enabled", "Enabled", IN, 1.0f, 0.0f, 1.0f, NONE, ENABLED, NONE,                    \
    "On: noise suppression. Off: bypass, crossfaded over 20 ms to the dry signal delayed by the " \
    "same latency, so switching never clicks or shifts the timing.")                             \
  X(ATTEN_LIMIT, "atten_limit", "Attenuation limit", IN, QUELL_DEFAULT_ATTEN_LIMIT_DB, 0.0f,     \
    100.0f, DB, PLAIN, NONE,                                                                     \
    "Most reduction applied to any band, in dB. 0 passes the signal through unchanged; 100 "     \
    "removes all the model finds to be noise (no limit); 30, the default, keeps a little room "  \
    "tone.")                                                                                     \
  X(GATE, "gate", "Voice gate", IN, 0.0f, 0.0f, 1.0f, NONE, TOGGLE, GATE,                        \
    "On: passages without voice are lowered to the gate floor. The gate threshold, hold and "    \
    "floor act only while this is on.")                                                          \
  X(GATE_THRESHOLD, "gate_threshold", "Gate threshold", IN, QUELL_DEFAULT_GATE_THRESHOLD, 0.0f,  \
    1.0f, COEF, PLAIN, GATE,                                                                     \
    "Voice probability (0 to 1, the model's estimate) under which the gate may close. Acts "     \
    "only with the voice gate on.")                                                              \
  X(GATE_HOLD, "gate_hold", "Gate hold", IN, QUELL_DEFAULT_GATE_HOLD_MS, 1.0f, 2000.0f, MS, LOG, \
    GATE,                                                                                        \
    "How long the gate stays open after the last voice, in ms (most useful: 50 to 500). Acts "   \
    "only with the voice gate on.")                                                              \
  X(GATE_FLOOR, "gate_floor", "Gate floor", IN, QUELL_DEFAULT_GATE_FLOOR_DB, -80.0f, 0.0f, DB,   \
    PLAIN, GATE,                                                                                 \
    "Level of passages without voice once the gate has closed, in dB; never silence. Acts only " \
    "with the voice gate on.")                                                                   \
  X(LATENCY, "latency", "Latency", OUT, 0.0f, 0.0f, 8192.0f, FRAME, LATENCY, NONE,               \
    "Delay the plugin adds, in samples: 2 x round(rate x 5 ms), 480 at 48 kHz.")                 \
  X(VOICE_PROB, "voice_prob", "Voice probability", OUT, 0.0f, 0.0f, 1.0f, COEF, PLAIN, NONE,     \
    "The model's probability that the last 5 ms frame holds voice.")                             \
  X(REDUCTION, "reduction", "Reduction", OUT, 0.0f, 0.0f, 100.0f, DB, PLAIN, NONE,               \
    "Energy removed from the last 5 ms frame, in dB.")

/* Control groups: the group column names one as QUELL_GROUP_<ID>'s suffix (NONE: no group).
 * QUELL_CONTROL_GROUPS(X) expands X(symbol, label); a group's URI is QUELL_URI_BASE "#" symbol. */
#define QUELL_GROUP_NONE ((const char *)0)
#define QUELL_GROUP_GATE "voice_gate"
#define QUELL_CONTROL_GROUPS(X) X(QUELL_GROUP_GATE, "Voice gate")

enum QuellControl {
#define QUELL_CONTROL_ENUM(id, ...) QUELL_CONTROL_##id,
  QUELL_CONTROL_PORTS(QUELL_CONTROL_ENUM)
#undef QUELL_CONTROL_ENUM
      QUELL_CONTROL_COUNT
};

/* Audio ports per variant, inputs then outputs: X(symbol, name, direction, channel), channel
 * being the port's place in its LV2 port group (center for mono, left/right for stereo). The
 * groups are QUELL_URI_BASE "#<variant>_in" and "#<variant>_out", the variant's main input and
 * output. */
#define QUELL_MONO_AUDIO(X) X("in", "In", IN, center) X("out", "Out", OUT, center)
#define QUELL_STEREO_AUDIO(X)                                                                    \
  X("in_l", "In L", IN, left) X("in_r", "In R", IN, right) X("out_l", "Out L", OUT, left)        \
      X("out_r", "Out R", OUT, right)

#endif
