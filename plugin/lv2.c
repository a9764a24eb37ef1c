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
#include "quell_model_param.h"
#include "quell_ports.h"

typedef struct {
  QuellGlue *glue;
  QuellInlineDisplay *display; /* NULL unless the host offers the inline display's queue_draw */
  QuellModelParam *model_param; /* the `model` parameter: atom ports, worker, state */
  uint32_t channels;
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
  LV2_Worker_Schedule *schedule = NULL;
  const uint32_t channels = strcmp(descriptor->URI, QUELL_URI_STEREO) == 0 ? 2u : 1u;
  char path[4096];
  char err[512];
  QuellLv2 *self = NULL;

  lv2_features_query(features, LV2_LOG__log, &log, false, LV2_URID__map, &map, false,
                     QUELL_LV2_INLINEDISPLAY__queue_draw, &queue_draw, false,
                     LV2_WORKER__schedule, &schedule, false, NULL);
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
  self->channels = channels;
  /* The glue owns the engine; the model parameter swaps its model (hence not const). */
  self->model_param = quell_model_param_create((QuellEngine *)quell_glue_engine(self->glue), path,
                                               map, schedule, log, err, sizeof err);
  if (!self->model_param) {
    quell_lv2_log_error(log, map, "%s: %s", descriptor->URI, err);
    quell_glue_destroy(self->glue);
    free(self);
    return NULL;
  }
  /* Optional: without it (or memory for it) the plugin simply draws nothing. */
  self->display = quell_inline_display_create(queue_draw, quell_glue_engine(self->glue), rate);
  return self;
}

/* connect_port (audio class): remembers the buffer; NULL is allowed. */
static void quell_lv2_connect_port(LV2_Handle instance, uint32_t port, void *data) {
  QuellLv2 *self = instance;
  const uint32_t first_atom = quell_glue_port_count(self->channels); /* atom ports come last */
  if (port >= first_atom)
    quell_model_param_connect(self->model_param, port - first_atom, data);
  else
    quell_glue_connect(self->glue, port, data);
}

/* activate (instantiation class): start from a clean signal state. */
static void quell_lv2_activate(LV2_Handle instance) {
  quell_glue_activate(((QuellLv2 *)instance)->glue);
}

/* run (audio thread): any n, in place or not; writes latency on every call. */
static void quell_lv2_run(LV2_Handle instance, uint32_t n) {
  QuellLv2 *self = instance;
  quell_model_param_run(self->model_param); /* may swap the model: before any processing */
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
  quell_model_param_destroy(self->model_param);
  quell_glue_destroy(self->glue);
  free(self);
}

/* Inline display render (host's GUI thread, never concurrently with itself): NULL when the host
 * did not offer queue_draw. */
static QuellLv2InlineDisplayImageSurface *quell_lv2_render(LV2_Handle instance, uint32_t w,
                                                           uint32_t h) {
  return quell_inline_display_render(((QuellLv2 *)instance)->display, w, h);
}

/* Worker and state callbacks: threads as plugin/quell_model_param.h says. */
static LV2_Worker_Status quell_lv2_work(LV2_Handle instance, LV2_Worker_Respond_Function respond,
                                        LV2_Worker_Respond_Handle handle, uint32_t size,
                                        const void *data) {
  return quell_model_param_work(((QuellLv2 *)instance)->model_param, respond, handle, size, data);
}
static LV2_Worker_Status quell_lv2_work_response(LV2_Handle instance, uint32_t size,
                                                 const void *body) {
  return quell_model_param_work_response(((QuellLv2 *)instance)->model_param, size, body);
}
static LV2_State_Status quell_lv2_save(LV2_Handle instance, LV2_State_Store_Function store,
                                       LV2_State_Handle handle, uint32_t flags,
                                       const LV2_Feature *const *features) {
  return quell_model_param_save(((QuellLv2 *)instance)->model_param, store, handle, flags,
                                features);
}
static LV2_State_Status quell_lv2_restore(LV2_Handle instance,
                                          LV2_State_Retrieve_Function retrieve,
                                          LV2_State_Handle handle, uint32_t flags,
                                          const LV2_Feature *const *features) {
  return quell_model_param_restore(((QuellLv2 *)instance)->model_param, retrieve, handle, flags,
                                   features);
}

/* extension_data (any thread): the inline display's, worker and state interfaces. */
static const void *quell_lv2_extension_data(const char *uri) {
  static const QuellLv2InlineDisplayInterface display = {quell_lv2_render};
  static const LV2_Worker_Interface worker = {quell_lv2_work, quell_lv2_work_response, NULL};
  static const LV2_State_Interface state = {quell_lv2_save, quell_lv2_restore};
  if (strcmp(uri, LV2_WORKER__interface) == 0) return &worker;
  if (strcmp(uri, LV2_STATE__interface) == 0) return &state;
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
