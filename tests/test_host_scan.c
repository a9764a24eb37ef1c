/* test_host_scan.c — what Ardour (and other scanning hosts) do to a plugin, through lilv.
 *
 * For each variant and several rates: instantiate; connect every port to NULL (hosts do this to
 * "disconnect" before wiring); wire real buffers; run once BEFORE activate (Ardour's latency probe
 * and some scanners do); activate/deactivate several times; run with odd block sizes including 0.
 * Asserts no crash, finite output, and a latency port written on the very first run (pre-filled
 * with a sentinel) equal to 2 * round(rate * 0.005) and to the measured delay of an impulse with
 * atten_limit = 0 (pass-through), and written again on the first run after activate.
 *
 * Uses LV2_PATH if set, else $BUILD/test-lv2 (the fixture bundle, random weights). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quell_host.h"

static int quell_scan_failures;

#define QUELL_SCAN_CHECK(cond, ...)                                                              \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                       \
      fprintf(stderr, __VA_ARGS__);                                                              \
      fputc('\n', stderr);                                                                       \
      quell_scan_failures++;                                                                     \
    }                                                                                            \
  } while (0)

#define QUELL_SCAN_BLOCK 4096
#define QUELL_SCAN_SENTINEL -12345.0f

/* One scan of one variant at one rate. */
static void quell_scan_one(QuellHost *host, const char *uri, double rate) {
  const int failures_before = quell_scan_failures;
  char err[1024];
  QuellHostInstance *inst = quell_host_instance_new(host, uri, rate, QUELL_SCAN_BLOCK, err,
                                                    sizeof err);
  QUELL_SCAN_CHECK(inst, "instantiate %s at %.0f: %s", uri, rate, err);
  if (!inst) return;
  QUELL_SCAN_CHECK(inst->latency_port >= 0, "%s has no lv2:latency output", uri);
  QUELL_SCAN_CHECK(inst->n_audio_in == inst->n_audio_out && inst->n_audio_in >= 1,
                   "audio ports %u in / %u out", inst->n_audio_in, inst->n_audio_out);
  if (inst->latency_port < 0) {
    quell_host_instance_free(inst);
    return;
  }
  const uint32_t expected = 2u * (uint32_t)lround(rate * 0.005);

  /* 1. every port to NULL (lilv already connected controls; undo that, as hosts may) */
  for (uint32_t p = 0; p < inst->n_ports; p++) lilv_instance_connect_port(inst->instance, p, NULL);

  /* 2. real buffers */
  static float in[QUELL_HOST_MAX_AUDIO][QUELL_SCAN_BLOCK], out[QUELL_HOST_MAX_AUDIO][QUELL_SCAN_BLOCK];
  for (uint32_t p = 0; p < inst->n_ports; p++)
    if (inst->ports[p].kind == QUELL_HOST_PORT_CONTROL_IN ||
        inst->ports[p].kind == QUELL_HOST_PORT_CONTROL_OUT)
      lilv_instance_connect_port(inst->instance, p, &inst->values[p]);
  for (uint32_t k = 0; k < inst->n_audio_in; k++) {
    lilv_instance_connect_port(inst->instance, inst->audio_in[k], in[k]);
    lilv_instance_connect_port(inst->instance, inst->audio_out[k], out[k]);
  }
  QUELL_SCAN_CHECK(!quell_host_instance_set(inst, "atten_limit", 0.0f, err, sizeof err), "%s", err);

  /* 3. run once before activate: latency must be written by this very first run */
  inst->values[inst->latency_port] = QUELL_SCAN_SENTINEL;
  memset(in, 0, sizeof in);
  lilv_instance_run(inst->instance, 256);
  QUELL_SCAN_CHECK(inst->values[inst->latency_port] == (float)expected,
                   "%s @%.0f: latency after the first run (before activate) is %g, want %u", uri,
                   rate, inst->values[inst->latency_port], expected);

  /* 4. activate/deactivate cycles, as hosts do on transport and scan */
  for (int i = 0; i < 3; i++) {
    lilv_instance_activate(inst->instance);
    lilv_instance_deactivate(inst->instance);
  }
  lilv_instance_activate(inst->instance);

  /* 5. first run after activate writes latency again; 0 frames first, then odd sizes */
  inst->values[inst->latency_port] = QUELL_SCAN_SENTINEL;
  lilv_instance_run(inst->instance, 0);
  QUELL_SCAN_CHECK(inst->values[inst->latency_port] == (float)expected,
                   "%s @%.0f: latency after run(0) is %g, want %u", uri, rate,
                   inst->values[inst->latency_port], expected);

  /* An impulse through the pass-through path comes out exactly `expected` frames later. */
  const uint32_t sizes[] = {1, 7, 64, 333, 1000, 4096};
  const uint32_t total = 3 * expected + 4096;
  uint32_t pos = 0, peak_at = 0;
  float peak = 0.0f;
  int finite = 1, latency_moved = 0;
  for (size_t s = 0; pos < total; s++) {
    uint32_t n = sizes[s % (sizeof sizes / sizeof sizes[0])];
    if (n > total - pos) n = total - pos;
    for (uint32_t k = 0; k < inst->n_audio_in; k++)
      for (uint32_t i = 0; i < n; i++) in[k][i] = (pos + i == 100) ? 1.0f : 0.0f;
    lilv_instance_run(inst->instance, n);
    for (uint32_t k = 0; k < inst->n_audio_out; k++)
      for (uint32_t i = 0; i < n; i++) {
        if (!isfinite(out[k][i])) finite = 0;
        if (fabsf(out[k][i]) > peak) peak = fabsf(out[k][i]), peak_at = pos + i;
      }
    if (inst->values[inst->latency_port] != (float)expected && !latency_moved++)
      QUELL_SCAN_CHECK(0, "%s @%.0f: latency moved to %g", uri, rate,
                       inst->values[inst->latency_port]);
    pos += n;
  }
  QUELL_SCAN_CHECK(finite, "%s @%.0f: non-finite output", uri, rate);
  QUELL_SCAN_CHECK(peak_at == 100 + expected && fabsf(peak - 1.0f) < 1e-4f,
                   "%s @%.0f: impulse at 100 came out at %u (peak %g), want %u", uri, rate,
                   peak_at, peak, 100 + expected);
  lilv_instance_deactivate(inst->instance);
  quell_host_instance_free(inst);
  if (quell_scan_failures == failures_before)
    printf("ok %s @ %.0f Hz: latency %u written on the first run, impulse delay %u\n", uri, rate,
           expected, peak_at - 100);
}

int main(void) {
  if (!getenv("LV2_PATH")) {
    const char *build = getenv("BUILD");
    char path[1024];
    snprintf(path, sizeof path, "%s/test-lv2", build ? build : "build");
    setenv("LV2_PATH", path, 1);
  }
  char err[1024];
  QuellHost *host = quell_host_new(err, sizeof err);
  if (!host) {
    fprintf(stderr, "FAIL: %s\n", err);
    return 1;
  }
  const char *uris[] = {"https://github.com/quell-audio/quell#mono",
                        "https://github.com/quell-audio/quell#stereo"};
  const double rates[] = {16000, 44100, 48000, 96000, 192000};
  for (size_t u = 0; u < 2; u++) {
    if (!quell_host_plugin(host, uris[u], err, sizeof err)) {
      fprintf(stderr, "FAIL: %s (run `make fixture-bundle`)\n", err);
      quell_host_free(host);
      return 1;
    }
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) quell_scan_one(host, uris[u], rates[r]);
  }
  quell_host_free(host);
  if (quell_scan_failures) fprintf(stderr, "%d check(s) failed\n", quell_scan_failures);
  return quell_scan_failures ? 1 : 0;
}
