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

/* Atom ports, LV2 only: X(ID, symbol, name, direction, comment). They come after the control
 * ports, so every control keeps its index and LADSPA (which has no atom ports) its numbering.
 * Both carry patch messages for the `model` parameter (plugin/quell_model_param.h). */
#define QUELL_ATOM_PORTS(X)                                                                      \
  X(CONTROL, "control", "Control", IN,                                                           \
    "Parameter messages from the host: patch:Set of the model file, patch:Get.")                 \
  X(NOTIFY, "notify", "Notify", OUT,                                                             \
    "The active model, as patch:Set of model (its file; empty for the shipped one) and "         \
    "model_info (name and CRC).")

enum QuellAtomPort {
#define QUELL_ATOM_ENUM(id, ...) QUELL_ATOM_##id,
  QUELL_ATOM_PORTS(QUELL_ATOM_ENUM)
#undef QUELL_ATOM_ENUM
      QUELL_ATOM_COUNT
};

/* Smallest atom buffer the ports need (rsz:minimumSize): a notify message holds two patch:Set
 * objects, one with a path of up to QUELL_MODEL_PATH_MAX bytes. */
#define QUELL_MODEL_PATH_MAX 1024
#define QUELL_ATOM_BUFFER_MIN 4096

/* LV2 parameters (patch properties). `model` is writable, with an atom:Path range so hosts offer
 * a file chooser; `model_info` is readable: the active model's name and CRC. */
#define QUELL_URI_MODEL QUELL_URI_BASE "#model"
#define QUELL_URI_MODEL_INFO QUELL_URI_BASE "#model_info"
#define QUELL_MODEL_LABEL "Model"
#define QUELL_MODEL_COMMENT                                                                      \
  "Weights file (.qwb, e.g. made by quell-adapt for your room) loaded while the plugin runs; "   \
  "empty returns to the shipped model. A file that is not a usable Quell model is refused and " \
  "the current model kept. Saved with the session."
#define QUELL_MODEL_INFO_LABEL "Active model"
#define QUELL_MODEL_INFO_COMMENT "Name and CRC-32 of the model in use."

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
