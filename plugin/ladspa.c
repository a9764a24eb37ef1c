/* ladspa.c — the LADSPA adapter: translates LADSPA callbacks to quell_glue (quell_glue.h).
 * Mono and stereo descriptors are built once from the port table in plugin/quell_ports.h.
 * The weights are read from quell.qwb beside this .so (found with dladdr) or from $QUELL_MODEL.
 * LADSPA has no log facility: failures are one line on stderr. */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ladspa.h>

#include "quell_glue.h"
#include "quell_ports.h"

#define QUELL_LADSPA_MAX_PORTS (2 * QUELL_GLUE_MAX_CHANNELS + QUELL_CONTROL_COUNT)

/* Port names: the table's name with its unit, except the latency port. It stays lower case where
 * the others are capitalised because LADSPA has no latency hint: hosts find the port by its name,
 * compared case-sensitively (Ardour's LadspaPlugin and Carla's LADSPA host both strcmp it with
 * "latency"), so "Latency" would silently lose their latency compensation. */
#define QUELL_LADSPA_UNIT_DB " (dB)"
#define QUELL_LADSPA_UNIT_MS " (ms)"
#define QUELL_LADSPA_UNIT_COEF ""
#define QUELL_LADSPA_UNIT_FRAME ""
#define QUELL_LADSPA_UNIT_NONE ""
#define QUELL_LADSPA_NAME_PLAIN(sym, name, unit) name unit
#define QUELL_LADSPA_NAME_LOG(sym, name, unit) name unit
#define QUELL_LADSPA_NAME_TOGGLE(sym, name, unit) name unit
#define QUELL_LADSPA_NAME_ENABLED(sym, name, unit) name unit
#define QUELL_LADSPA_NAME_LATENCY(sym, name, unit) sym

typedef struct {
  const char *name;
  int output;
  int toggle;
  int integer;
  int logarithmic;
  float def, min, max;
} QuellLadspaControl;

static const QuellLadspaControl quell_ladspa_controls[QUELL_CONTROL_COUNT] = {
#define QUELL_LADSPA_CONTROL(id, sym, name, dir, def, lo, hi, unit, kind, ...)                    \
  {QUELL_LADSPA_NAME_##kind(sym, name, QUELL_LADSPA_UNIT_##unit),                                 \
   QUELL_LADSPA_DIR_##dir,                                                                        \
   QUELL_LADSPA_TOGGLE_##kind,                                                                    \
   QUELL_LADSPA_INTEGER_##kind,                                                                   \
   QUELL_LADSPA_LOG_##kind,                                                                       \
   def,                                                                                           \
   lo,                                                                                            \
   hi},
#define QUELL_LADSPA_DIR_IN 0
#define QUELL_LADSPA_DIR_OUT 1
#define QUELL_LADSPA_TOGGLE_PLAIN 0
#define QUELL_LADSPA_TOGGLE_LOG 0
#define QUELL_LADSPA_TOGGLE_TOGGLE 1
#define QUELL_LADSPA_TOGGLE_ENABLED 1
#define QUELL_LADSPA_TOGGLE_LATENCY 0
#define QUELL_LADSPA_INTEGER_PLAIN 0
#define QUELL_LADSPA_INTEGER_LOG 0
#define QUELL_LADSPA_INTEGER_TOGGLE 0
#define QUELL_LADSPA_INTEGER_ENABLED 0
#define QUELL_LADSPA_INTEGER_LATENCY 1
#define QUELL_LADSPA_LOG_PLAIN 0
#define QUELL_LADSPA_LOG_LOG 1
#define QUELL_LADSPA_LOG_TOGGLE 0
#define QUELL_LADSPA_LOG_ENABLED 0
#define QUELL_LADSPA_LOG_LATENCY 0
    QUELL_CONTROL_PORTS(QUELL_LADSPA_CONTROL)
#undef QUELL_LADSPA_CONTROL
};

typedef struct {
  LADSPA_Descriptor descriptor;
  LADSPA_PortDescriptor port_descriptors[QUELL_LADSPA_MAX_PORTS];
  const char *port_names[QUELL_LADSPA_MAX_PORTS];
  LADSPA_PortRangeHint port_hints[QUELL_LADSPA_MAX_PORTS];
} QuellLadspaVariant;

static QuellLadspaVariant quell_ladspa_variants[2];
static pthread_once_t quell_ladspa_once = PTHREAD_ONCE_INIT;

static const char *const quell_ladspa_mono_audio[] = {
#define QUELL_LADSPA_AUDIO_NAME(sym, name, dir, channel) name,
    QUELL_MONO_AUDIO(QUELL_LADSPA_AUDIO_NAME)};
static const char *const quell_ladspa_stereo_audio[] = {
    QUELL_STEREO_AUDIO(QUELL_LADSPA_AUDIO_NAME)
#undef QUELL_LADSPA_AUDIO_NAME
};

/* LADSPA can only express a default as one of a few hints; pick the one nearest the table's
 * default. LOW/MIDDLE/HIGH are the 1/4, 1/2, 3/4 points of the range, on a linear scale or, for
 * a logarithmic port, on a log scale (ladspa.h); distances are measured on the same scale. So
 * the LADSPA defaults differ from LV2's (README.md's controls table lists both). */
static LADSPA_PortRangeHintDescriptor quell_ladspa_default_hint(float def, float lo, float hi,
                                                                int logarithmic) {
  static const LADSPA_PortRangeHintDescriptor hints[] = {
      LADSPA_HINT_DEFAULT_MINIMUM, LADSPA_HINT_DEFAULT_LOW, LADSPA_HINT_DEFAULT_MIDDLE,
      LADSPA_HINT_DEFAULT_HIGH, LADSPA_HINT_DEFAULT_MAXIMUM};
  static const float fractions[] = {0.0f, 0.25f, 0.5f, 0.75f, 1.0f};
  const float a = logarithmic ? logf(lo) : lo, b = logarithmic ? logf(hi) : hi;
  const float d = logarithmic ? logf(def) : def;
  size_t best = 0, i;
  if (def == 0.0f) return LADSPA_HINT_DEFAULT_0;
  if (def == 1.0f) return LADSPA_HINT_DEFAULT_1;
  if (def == 100.0f) return LADSPA_HINT_DEFAULT_100;
  for (i = 1; i < sizeof fractions / sizeof fractions[0]; ++i) {
    const float vi = a + fractions[i] * (b - a), vb = a + fractions[best] * (b - a);
    if (fabsf(vi - d) < fabsf(vb - d)) best = i;
  }
  return hints[best];
}

static LADSPA_Handle quell_ladspa_instantiate(const LADSPA_Descriptor *descriptor,
                                              unsigned long rate);
static void quell_ladspa_connect_port(LADSPA_Handle instance, unsigned long port,
                                      LADSPA_Data *data);
static void quell_ladspa_activate(LADSPA_Handle instance);
static void quell_ladspa_run(LADSPA_Handle instance, unsigned long n);
static void quell_ladspa_cleanup(LADSPA_Handle instance);

static void quell_ladspa_fill(QuellLadspaVariant *v, unsigned long id, const char *label,
                              const char *name, uint32_t channels,
                              const char *const *audio_names) {
  LADSPA_Descriptor *d = &v->descriptor;
  uint32_t p = 0, i;

  for (i = 0; i < 2 * channels; ++i, ++p) {
    v->port_descriptors[p] = LADSPA_PORT_AUDIO | (i < channels ? LADSPA_PORT_INPUT : LADSPA_PORT_OUTPUT);
    v->port_names[p] = audio_names[i];
    v->port_hints[p].HintDescriptor = 0;
  }
  for (i = 0; i < QUELL_CONTROL_COUNT; ++i, ++p) {
    const QuellLadspaControl *c = &quell_ladspa_controls[i];
    LADSPA_PortRangeHint *h = &v->port_hints[p];
    v->port_descriptors[p] = LADSPA_PORT_CONTROL | (c->output ? LADSPA_PORT_OUTPUT : LADSPA_PORT_INPUT);
    v->port_names[p] = c->name;
    h->LowerBound = c->min;
    h->UpperBound = c->max;
    if (c->toggle) {
      /* ladspa.h: TOGGLED goes with no bounds and only DEFAULT_0 / DEFAULT_1. */
      h->HintDescriptor = LADSPA_HINT_TOGGLED |
                          (c->def > 0.0f ? LADSPA_HINT_DEFAULT_1 : LADSPA_HINT_DEFAULT_0);
    } else {
      h->HintDescriptor =
          LADSPA_HINT_BOUNDED_BELOW | LADSPA_HINT_BOUNDED_ABOVE |
          (c->integer ? LADSPA_HINT_INTEGER : 0) | (c->logarithmic ? LADSPA_HINT_LOGARITHMIC : 0) |
          (c->output ? 0 : quell_ladspa_default_hint(c->def, c->min, c->max, c->logarithmic));
    }
  }
  d->UniqueID = id;
  d->Label = label;
  d->Properties = LADSPA_PROPERTY_HARD_RT_CAPABLE;
  d->Name = name;
  d->Maker = "Quell contributors";
  d->Copyright = "GPL";
  d->PortCount = p;
  d->PortDescriptors = v->port_descriptors;
  d->PortNames = v->port_names;
  d->PortRangeHints = v->port_hints;
  d->ImplementationData = (void *)(uintptr_t)channels;
  d->instantiate = quell_ladspa_instantiate;
  d->connect_port = quell_ladspa_connect_port;
  d->activate = quell_ladspa_activate;
  d->run = quell_ladspa_run;
  d->run_adding = NULL;
  d->set_run_adding_gain = NULL;
  d->deactivate = NULL;
  d->cleanup = quell_ladspa_cleanup;
}

/* Folder of this shared object, made absolute when the descriptors are first asked for (right
 * after the host's dlopen, before it could change its working folder). Empty if unknown. */
static char quell_ladspa_so_dir[4096];

static void quell_ladspa_find_dir(void) {
  Dl_info info;
  char abs[4096];
  const char *path, *slash;
  size_t n;
  if (!dladdr((void *)&quell_ladspa_find_dir, &info) || !info.dli_fname) return;
  path = realpath(info.dli_fname, abs) ? abs : info.dli_fname;
  slash = strrchr(path, '/');
  if (!slash) {
    snprintf(quell_ladspa_so_dir, sizeof quell_ladspa_so_dir, ".");
    return;
  }
  n = (size_t)(slash - path);
  if (n == 0) n = 1; /* the .so sits in "/" */
  if (n >= sizeof quell_ladspa_so_dir) return;
  memcpy(quell_ladspa_so_dir, path, n);
  quell_ladspa_so_dir[n] = '\0';
}

static void quell_ladspa_init(void) {
  quell_ladspa_fill(&quell_ladspa_variants[0], QUELL_LADSPA_ID_MONO, "quell_mono",
                    "Quell noise suppressor (mono)", 1, quell_ladspa_mono_audio);
  quell_ladspa_fill(&quell_ladspa_variants[1], QUELL_LADSPA_ID_STEREO, "quell_stereo",
                    "Quell noise suppressor (stereo)", 2, quell_ladspa_stereo_audio);
  quell_ladspa_find_dir();
}

/* instantiate (host's instantiation thread): rate, weights, engine; one stderr line on failure. */
static LADSPA_Handle quell_ladspa_instantiate(const LADSPA_Descriptor *descriptor,
                                              unsigned long rate) {
  const uint32_t channels = (uint32_t)(uintptr_t)descriptor->ImplementationData;
  const char *dir = quell_ladspa_so_dir[0] ? quell_ladspa_so_dir : ".";
  char path[4096];
  char err[512];
  QuellGlue *glue;

  if (quell_glue_blob_path(dir, path, sizeof path, err, sizeof err)) {
    fprintf(stderr, "quell: %s: %s\n", descriptor->Label, err);
    return NULL;
  }
  glue = quell_glue_create(path, (double)rate, channels, err, sizeof err);
  if (!glue) {
    fprintf(stderr, "quell: %s: %s\n", descriptor->Label, err);
    return NULL;
  }
  return glue;
}

/* connect_port: remembers the buffer; NULL is allowed. */
static void quell_ladspa_connect_port(LADSPA_Handle instance, unsigned long port,
                                      LADSPA_Data *data) {
  quell_glue_connect(instance, port > UINT32_MAX ? UINT32_MAX : (uint32_t)port, data);
}

/* activate: start from a clean signal state. */
static void quell_ladspa_activate(LADSPA_Handle instance) {
  quell_glue_activate(instance);
}

/* run (audio thread): any n, in place or not, also before activate; latency every call.
 * LADSPA's unsigned long count is wider than any real host block (and than the engine's
 * uint32_t); hosts never pass 2^32 frames. */
static void quell_ladspa_run(LADSPA_Handle instance, unsigned long n) {
  quell_glue_run(instance, (uint32_t)n);
}

static void quell_ladspa_cleanup(LADSPA_Handle instance) {
  quell_glue_destroy(instance);
}

__attribute__((visibility("default"))) const LADSPA_Descriptor *
ladspa_descriptor(unsigned long index) {
  pthread_once(&quell_ladspa_once, quell_ladspa_init);
  return index < 2 ? &quell_ladspa_variants[index].descriptor : NULL;
}
