/* test_engine_params — controls do what they say: the attenuation limit bounds the reduction,
 * the bypass crossfade is click-free and lands on the latency-aligned dry signal, the voice
 * gate closes to its floor (never below) and stays open when voice is present, and out-of-range
 * values are clamped. */
#include <math.h>
#include <string.h>

#include "../dsp/quell.h"
#include "blob_fixture.h"
#include "quell_test.h"

#define RATE 48000.0

static double quell_test_energy(const float *x, uint32_t a, uint32_t b)
{
  double s = 0;
  for (uint32_t i = a; i < b; i++) s += (double)x[i] * x[i];
  return s;
}

static void quell_test_process(QuellEngine *e, const float *in, float *out, uint32_t n)
{
  for (uint32_t pos = 0; pos < n; pos += 128) {
    const uint32_t k = n - pos < 128 ? n - pos : 128;
    const float *ci[1] = {in + pos};
    float *co[1] = {out + pos};
    quell_engine_process(e, ci, co, k);
  }
}

int main(void)
{
  QuellModel *m = quell_fixture_model(11);
  char err[256];
  const uint32_t n = (uint32_t)RATE * 2;
  float *in = malloc(sizeof(float) * n), *out = malloc(sizeof(float) * n);
  unsigned rng = 7;
  for (uint32_t i = 0; i < n; i++) in[i] = 0.25f * quell_test_noise(&rng);
  const double e_in = quell_test_energy(in, n / 2, n);

  /* Attenuation limit: reduction never exceeds it (gains >= 10^(-limit/20)). */
  const float limits[] = {6.0f, 12.0f, 30.0f};
  for (int l = 0; l < 3; l++) {
    QuellEngine *e = quell_engine_create(m, RATE, 1, err, sizeof err);
    QuellParams p;
    quell_params_default(&p);
    p.atten_limit_db = limits[l];
    quell_engine_set_params(e, &p);
    quell_engine_reset(e);
    quell_test_process(e, in, out, n);
    const double e_out = quell_test_energy(out, n / 2, n);
    const double red = 10 * log10(e_in / e_out);
    printf("limit %.0f dB: measured reduction %.2f dB, meter %.2f dB\n", limits[l], red,
           quell_engine_reduction_db(e));
    QUELL_CHECK(red <= limits[l] + 0.5, "limit %g: reduction %g dB", limits[l], red);
    QUELL_CHECK(quell_engine_reduction_db(e) <= limits[l] + 0.01f, "meter above limit");
    quell_engine_destroy(e);
  }

  /* Bypass: switching off mid-stream glides to the dry signal delayed by the latency; no
   * step between consecutive samples exceeds the signal's own largest step (plus margin). */
  {
    QuellEngine *e = quell_engine_create(m, RATE, 1, err, sizeof err);
    const uint32_t L = quell_engine_latency(e);
    for (uint32_t i = 0; i < n; i++) in[i] = 0.5f * sinf(2 * (float)M_PI * 440.0f * i / (float)RATE);
    QuellParams p;
    quell_params_default(&p);
    quell_engine_set_params(e, &p);
    quell_test_process(e, in, out, n / 2);
    p.enabled = 0;
    quell_engine_set_params(e, &p);
    quell_test_process(e, in + n / 2, out + n / 2, n / 2);
    float max_in_step = 0, max_out_step = 0;
    for (uint32_t i = 1; i < n; i++) {
      max_in_step = fmaxf(max_in_step, fabsf(in[i] - in[i - 1]));
      if (i > n / 4) max_out_step = fmaxf(max_out_step, fabsf(out[i] - out[i - 1]));
    }
    QUELL_CHECK(max_out_step <= 1.5f * max_in_step, "bypass click: step %g vs signal %g",
                max_out_step, max_in_step);
    float max_err = 0;
    for (uint32_t i = n / 2 + (uint32_t)(0.05 * RATE); i < n; i++)
      max_err = fmaxf(max_err, fabsf(out[i] - in[i - L]));
    QUELL_CHECK(max_err < 1e-6f, "bypassed output differs from delayed dry: %g", max_err);
    quell_engine_destroy(e);
  }

  for (uint32_t i = 0; i < n; i++) in[i] = 0.25f * quell_test_noise(&rng);

  /* Gate with threshold 1 (nothing counts as voice) and no attenuation: closes to its floor
   * after the hold time, smoothly, and never below the floor. */
  {
    QuellEngine *e = quell_engine_create(m, RATE, 1, err, sizeof err);
    QuellParams p;
    quell_params_default(&p);
    p.atten_limit_db = 0.0f;
    p.gate_enabled = 1;
    p.gate_threshold = 1.0f;
    p.gate_hold_ms = 100.0f;
    p.gate_floor_db = -20.0f;
    quell_engine_set_params(e, &p);
    quell_engine_reset(e);
    quell_test_process(e, in, out, n);
    const double red = 10 * log10(e_in / quell_test_energy(out, n / 2, n));
    printf("gate closed: reduction %.2f dB (floor 20 dB)\n", red);
    QUELL_CHECK(fabs(red - 20.0) < 0.5, "closed gate reduction %g dB, want 20", red);
    quell_engine_destroy(e);
  }
  /* Gate with threshold 0 (always voice): output is the delayed input. */
  {
    QuellEngine *e = quell_engine_create(m, RATE, 1, err, sizeof err);
    const uint32_t L = quell_engine_latency(e);
    QuellParams p;
    quell_params_default(&p);
    p.atten_limit_db = 0.0f;
    p.gate_enabled = 1;
    p.gate_threshold = 0.0f;
    quell_engine_set_params(e, &p);
    quell_engine_reset(e);
    quell_test_process(e, in, out, n);
    float max_err = 0;
    for (uint32_t i = L; i < n; i++) max_err = fmaxf(max_err, fabsf(out[i] - in[i - L]));
    QUELL_CHECK(max_err < 1e-5f, "open gate changed the signal: %g", max_err);
    quell_engine_destroy(e);
  }

  /* Clamping: absurd control values behave like the range ends. */
  {
    QuellEngine *e = quell_engine_create(m, RATE, 1, err, sizeof err);
    QuellParams p;
    quell_params_default(&p);
    p.atten_limit_db = -50.0f; /* -> 0 dB: pass-through */
    p.gate_floor_db = NAN;
    p.gate_threshold = 7.0f;
    p.gate_hold_ms = -3.0f;
    quell_engine_set_params(e, &p);
    quell_engine_reset(e);
    const uint32_t L = quell_engine_latency(e);
    quell_test_process(e, in, out, n);
    float max_err = 0;
    for (uint32_t i = L; i < n; i++) max_err = fmaxf(max_err, fabsf(out[i] - in[i - L]));
    QUELL_CHECK(max_err < 1e-5f, "negative limit not clamped to pass-through: %g", max_err);
    quell_engine_destroy(e);
  }

  free(in);
  free(out);
  quell_model_free(m);
  return quell_test_finish("test_engine_params");
}
