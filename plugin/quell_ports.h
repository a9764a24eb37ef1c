/* quell_ports.h — the one port table. The LV2 adapter, the LADSPA adapter and the TTL generator
 * (plugin/quell_ttlgen.c) all expand it; nothing else lists ports.
 *
 * QUELL_CONTROL_PORTS(X) expands X(ID, symbol, name, direction, default, min, max, unit, kind)
 *   direction: IN or OUT
 *   unit: DB, MS, COEF, FRAME, NONE (mapped to LV2 units in the TTL)
 *   kind: PLAIN, TOGGLE, ENABLED (lv2:enabled designation), LATENCY (lv2:latency designation)
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

#define QUELL_CONTROL_PORTS(X)                                                                   \
  X(ENABLED, "enabled", "Enabled", IN, 1.0f, 0.0f, 1.0f, NONE, ENABLED)                          \
  X(ATTEN_LIMIT, "atten_limit", "Attenuation limit", IN, QUELL_DEFAULT_ATTEN_LIMIT_DB, 0.0f,     \
    100.0f, DB, PLAIN)                                                                           \
  X(GATE, "gate", "Voice gate", IN, 0.0f, 0.0f, 1.0f, NONE, TOGGLE)                              \
  X(GATE_THRESHOLD, "gate_threshold", "Gate threshold", IN, QUELL_DEFAULT_GATE_THRESHOLD, 0.0f,  \
    1.0f, COEF, PLAIN)                                                                           \
  X(GATE_HOLD, "gate_hold", "Gate hold", IN, QUELL_DEFAULT_GATE_HOLD_MS, 0.0f, 2000.0f, MS,      \
    PLAIN)                                                                                       \
  X(GATE_FLOOR, "gate_floor", "Gate floor", IN, QUELL_DEFAULT_GATE_FLOOR_DB, -80.0f, 0.0f, DB,   \
    PLAIN)                                                                                       \
  X(LATENCY, "latency", "Latency", OUT, 0.0f, 0.0f, 8192.0f, FRAME, LATENCY)                     \
  X(VOICE_PROB, "voice_prob", "Voice probability", OUT, 0.0f, 0.0f, 1.0f, COEF, PLAIN)           \
  X(REDUCTION, "reduction", "Reduction", OUT, 0.0f, 0.0f, 100.0f, DB, PLAIN)

enum QuellControl {
#define QUELL_CONTROL_ENUM(id, ...) QUELL_CONTROL_##id,
  QUELL_CONTROL_PORTS(QUELL_CONTROL_ENUM)
#undef QUELL_CONTROL_ENUM
      QUELL_CONTROL_COUNT
};

/* Audio port symbols per variant: inputs then outputs. */
#define QUELL_MONO_AUDIO(X) X("in", "In", IN) X("out", "Out", OUT)
#define QUELL_STEREO_AUDIO(X)                                                                    \
  X("in_l", "In L", IN) X("in_r", "In R", IN) X("out_l", "Out L", OUT) X("out_r", "Out R", OUT)

#endif
