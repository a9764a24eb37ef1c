/* lv2.c — the LV2 adapter: translates LV2 callbacks to quell_glue (plugin/quell_glue.h).
 * Two plugins, mono and stereo, one binary; ports and URIs come from plugin/quell_ports.h, the
 * same table the TTL is generated from. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/core/lv2.h>
#include <lv2/core/lv2_util.h>
#include <lv2/log/log.h>
#include <lv2/urid/urid.h>

#include "quell_glue.h"
#include "quell_inline_display.h"
#include "quell_ports.h"

typedef struct {
  QuellGlue *glue;
  QuellInlineDisplay *display; /* NULL unless the host offers the inline display's queue_draw */
} QuellLv2;

/* Writes one error line through the host's log when it offers log:log with urid:map (a log entry
 * needs a mapped type), else to stderr. Instantiate thread only. */
static void quell_lv2_log_error(const LV2_Log_Log *log, LV2_URID_Map *map, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  if (log && map) {
    const LV2_URID type = map->map(map->handle, LV2_LOG__Error);
    char line[512];
    vsnprintf(line, sizeof line, fmt, args);
    log->printf(log->handle, type, "%s\n", line);
  } else {
    fputs("quell: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
  }
  va_end(args);
}

/* Instantiate (host's instantiation thread): check features, then rate and weights, then make
 * the engine; each failure is one log line and NULL. No feature is required; log:log and
 * urid:map are used when present. */
static LV2_Handle quell_lv2_instantiate(const LV2_Descriptor *descriptor, double rate,
                                        const char *bundle_path,
                                        const LV2_Feature *const *features) {
  const LV2_Log_Log *log = NULL;
  LV2_URID_Map *map = NULL;
  const QuellLv2InlineDisplay *queue_draw = NULL;
  const uint32_t channels = strcmp(descriptor->URI, QUELL_URI_STEREO) == 0 ? 2u : 1u;
  char path[4096];
  char err[512];
  QuellLv2 *self = NULL;

  lv2_features_query(features, LV2_LOG__log, &log, false, LV2_URID__map, &map, false,
                     QUELL_LV2_INLINEDISPLAY__queue_draw, &queue_draw, false, NULL);
  if (quell_glue_blob_path(bundle_path ? bundle_path : ".", path, sizeof path, err, sizeof err)) {
    quell_lv2_log_error(log, map, "%s: %s", descriptor->URI, err);
    return NULL;
  }
  self = calloc(1, sizeof *self);
  if (!self) {
    quell_lv2_log_error(log, map, "%s: out of memory", descriptor->URI);
    return NULL;
  }
  self->glue = quell_glue_create(path, rate, channels, err, sizeof err);
  if (!self->glue) {
    quell_lv2_log_error(log, map, "%s: %s", descriptor->URI, err);
    free(self);
    return NULL;
  }
  /* Optional: without it (or memory for it) the plugin simply draws nothing. */
  self->display = quell_inline_display_create(queue_draw, quell_glue_engine(self->glue), rate);
  return self;
}

/* connect_port (audio class): remembers the buffer; NULL is allowed. */
static void quell_lv2_connect_port(LV2_Handle instance, uint32_t port, void *data) {
  quell_glue_connect(((QuellLv2 *)instance)->glue, port, data);
}

/* activate (instantiation class): start from a clean signal state. */
static void quell_lv2_activate(LV2_Handle instance) {
  quell_glue_activate(((QuellLv2 *)instance)->glue);
}

/* run (audio thread): any n, in place or not; writes latency on every call. */
static void quell_lv2_run(LV2_Handle instance, uint32_t n) {
  QuellLv2 *self = instance;
  quell_glue_run(self->glue, n);
  if (self->display) {
    QuellParams params;
    quell_glue_current_params(self->glue, &params);
    quell_inline_display_run(self->display, quell_glue_engine(self->glue), &params, n);
  }
}

/* cleanup (instantiation class): frees the instance. */
static void quell_lv2_cleanup(LV2_Handle instance) {
  QuellLv2 *self = instance;
  quell_inline_display_destroy(self->display);
  quell_glue_destroy(self->glue);
  free(self);
}

/* Inline display render (host's GUI thread, never concurrently with itself): NULL when the host
 * did not offer queue_draw. */
static QuellLv2InlineDisplayImageSurface *quell_lv2_render(LV2_Handle instance, uint32_t w,
                                                           uint32_t h) {
  return quell_inline_display_render(((QuellLv2 *)instance)->display, w, h);
}

/* extension_data (any thread): the inline display's interface. */
static const void *quell_lv2_extension_data(const char *uri) {
  static const QuellLv2InlineDisplayInterface display = {quell_lv2_render};
  if (strcmp(uri, QUELL_LV2_INLINEDISPLAY__interface) == 0) return &display;
  return NULL;
}

static const LV2_Descriptor quell_lv2_descriptors[] = {
    {QUELL_URI_MONO, quell_lv2_instantiate, quell_lv2_connect_port, quell_lv2_activate,
     quell_lv2_run, NULL, quell_lv2_cleanup, quell_lv2_extension_data},
    {QUELL_URI_STEREO, quell_lv2_instantiate, quell_lv2_connect_port, quell_lv2_activate,
     quell_lv2_run, NULL, quell_lv2_cleanup, quell_lv2_extension_data},
};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index) {
  return index < sizeof quell_lv2_descriptors / sizeof quell_lv2_descriptors[0]
             ? &quell_lv2_descriptors[index]
             : NULL;
}
