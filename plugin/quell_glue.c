/* quell_glue.c — the instance object shared by the LV2 and LADSPA adapters (see quell_glue.h). */
#include "quell_glue.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct QuellGlue {
  QuellModel *model;
  QuellEngine *engine;
  uint32_t channels;
  float latency; /* constant per instance, cached so run() only stores it */
  const float *in[QUELL_GLUE_MAX_CHANNELS];
  float *out[QUELL_GLUE_MAX_CHANNELS];
  float *control[QUELL_CONTROL_COUNT]; /* host buffers, one float each; NULL = unconnected */
};

/* Ranges and defaults straight from the port table, so clamping matches the TTL exactly. */
#define QUELL_GLUE_DEFAULT(id, sym, name, dir, def, lo, hi, ...) def,
#define QUELL_GLUE_MIN(id, sym, name, dir, def, lo, hi, ...) lo,
#define QUELL_GLUE_MAX(id, sym, name, dir, def, lo, hi, ...) hi,
static const float quell_glue_default[QUELL_CONTROL_COUNT] = {
    QUELL_CONTROL_PORTS(QUELL_GLUE_DEFAULT)};
static const float quell_glue_min[QUELL_CONTROL_COUNT] = {QUELL_CONTROL_PORTS(QUELL_GLUE_MIN)};
static const float quell_glue_max[QUELL_CONTROL_COUNT] = {QUELL_CONTROL_PORTS(QUELL_GLUE_MAX)};
#undef QUELL_GLUE_DEFAULT
#undef QUELL_GLUE_MIN
#undef QUELL_GLUE_MAX

uint32_t quell_glue_port_count(uint32_t channels) {
  return 2u * channels + QUELL_CONTROL_COUNT;
}

int quell_glue_blob_path(const char *dir, char *path, size_t path_len, char *err,
                         size_t err_len) {
  const char *env = getenv("QUELL_MODEL");
  int len;
  if (env && env[0]) {
    len = snprintf(path, path_len, "%s", env);
  } else {
    /* Hosts hand LV2 bundle paths with a trailing slash; dladdr-derived dirs come without. */
    const size_t dl = strlen(dir);
    const char *sep = (dl > 0 && dir[dl - 1] == '/') ? "" : "/";
    len = snprintf(path, path_len, "%s%s%s", dir, sep, QUELL_BLOB_NAME);
  }
  if (len < 0 || (size_t)len >= path_len) {
    snprintf(err, err_len, "weights path too long (%d bytes)", len);
    return -1;
  }
  return 0;
}

QuellGlue *quell_glue_create(const char *blob_path, double rate, uint32_t channels, char *err,
                             size_t err_len) {
  char why[256] = "";
  QuellGlue *glue = NULL;

  if (channels < 1 || channels > QUELL_GLUE_MAX_CHANNELS) {
    snprintf(err, err_len, "unsupported channel count %u", (unsigned)channels);
    return NULL;
  }
  /* Checked before the (slow) blob load so a host probing rates gets a fast, specific answer. */
  if (!(rate > 0.0) || !quell_rate_supported(rate)) {
    snprintf(err, err_len, "sample rate %.0f Hz not supported (%.0f..%.0f Hz)", rate,
             QUELL_MIN_RATE, QUELL_MAX_RATE);
    return NULL;
  }
  glue = calloc(1, sizeof *glue);
  if (!glue) {
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  glue->channels = channels;
  glue->model = quell_model_load_file(blob_path, why, sizeof why);
  if (!glue->model) {
    /* The loader's message names the file and the fault. */
    snprintf(err, err_len, "%s", why);
    goto fail;
  }
  glue->engine = quell_engine_create(glue->model, rate, (int)channels, why, sizeof why);
  if (!glue->engine) {
    snprintf(err, err_len, "cannot create engine at %.0f Hz: %s", rate, why);
    goto fail;
  }
  glue->latency = (float)quell_engine_latency(glue->engine);
  return glue;

fail:
  quell_glue_destroy(glue);
  return NULL;
}

void quell_glue_destroy(QuellGlue *glue) {
  if (!glue) return;
  quell_engine_destroy(glue->engine); /* engine first: the model must outlive it */
  quell_model_free(glue->model);
  free(glue);
}

void quell_glue_connect(QuellGlue *glue, uint32_t port, void *data) {
  const uint32_t c = glue->channels;
  if (port < c) {
    glue->in[port] = data;
  } else if (port < 2 * c) {
    glue->out[port - c] = data;
  } else if (port < 2 * c + QUELL_CONTROL_COUNT) {
    glue->control[port - 2 * c] = data;
  }
}


/* Host value of control input i, or its default when unconnected or not finite, clamped to the
 * TTL range (hosts and users can send anything; LADSPA hosts often ignore ranges). */
static float quell_glue_control(const QuellGlue *glue, int i) {
  const float *p = glue->control[i];
  float v = p ? *p : quell_glue_default[i];
  if (!isfinite(v)) v = quell_glue_default[i];
  if (v < quell_glue_min[i]) v = quell_glue_min[i];
  if (v > quell_glue_max[i]) v = quell_glue_max[i];
  return v;
}

static void quell_glue_write(QuellGlue *glue, int i, float v) {
  if (glue->control[i]) *glue->control[i] = v;
}

/* The host's current controls as engine parameters. */
static void quell_glue_params(const QuellGlue *glue, QuellParams *params) {
  /* Toggles follow lv2:toggled: a value above zero is on, zero or less is off. */
  params->enabled = quell_glue_control(glue, QUELL_CONTROL_ENABLED) > 0.0f;
  params->atten_limit_db = quell_glue_control(glue, QUELL_CONTROL_ATTEN_LIMIT);
  params->gate_enabled = quell_glue_control(glue, QUELL_CONTROL_GATE) > 0.0f;
  params->gate_threshold = quell_glue_control(glue, QUELL_CONTROL_GATE_THRESHOLD);
  params->gate_hold_ms = quell_glue_control(glue, QUELL_CONTROL_GATE_HOLD);
  params->gate_floor_db = quell_glue_control(glue, QUELL_CONTROL_GATE_FLOOR);
}

const QuellEngine *quell_glue_engine(const QuellGlue *glue) { return glue->engine; }

void quell_glue_current_params(const QuellGlue *glue, QuellParams *params) {
  quell_glue_params(glue, params);
}

void quell_glue_activate(QuellGlue *glue) {
  QuellParams params;
  /* Reset starts the smoothed controls at their targets, so hand the engine the host's current
   * values first: processing then starts at those settings instead of gliding from the last
   * ones (or the defaults) for the first tens of milliseconds. */
  quell_glue_params(glue, &params);
  quell_engine_set_params(glue->engine, &params);
  quell_engine_reset(glue->engine);
}

void quell_glue_run(QuellGlue *glue, uint32_t n) {
  QuellParams params;
  uint32_t c;

  /* Latency first and on every call: hosts read it after the first run() (even with n = 0,
   * even before activate) to set up delay compensation. */
  quell_glue_write(glue, QUELL_CONTROL_LATENCY, glue->latency);

  for (c = 0; c < glue->channels; ++c) {
    if (!glue->in[c] || !glue->out[c]) return;
  }
  quell_glue_params(glue, &params);
  quell_engine_set_params(glue->engine, &params);

  if (n > 0) {
    quell_engine_process(glue->engine, glue->in, glue->out, n);
  }
  quell_glue_write(glue, QUELL_CONTROL_VOICE_PROB, quell_engine_voice_probability(glue->engine));
  quell_glue_write(glue, QUELL_CONTROL_REDUCTION, quell_engine_reduction_db(glue->engine));
}
