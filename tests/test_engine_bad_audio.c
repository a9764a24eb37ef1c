/* test_engine_bad_audio — NaN/Inf bursts, denormals, DC, full-scale square waves, huge values
 * and long silence never poison the state: the output stays finite and bounded, and after a
 * burst of non-finite input it is exactly what the engine gives for silence in its place
 * (so it recovers within one latency). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "../dsp/quell.h"
#include "blob_fixture.h"
#include "quell_test.h"

#define RATE 48000.0

static QuellEngine *quell_test_engine(const QuellModel *m, int channels)
{
  char err[256];
  QuellEngine *e = quell_engine_create(m, RATE, channels, err, sizeof err);
  QUELL_REQUIRE(e, "create: %s", err);
  return e;
}

static void quell_test_process(QuellEngine *e, const float *in, float *out, uint32_t n, uint32_t bs)
{
  for (uint32_t pos = 0; pos < n; pos += bs) {
    const uint32_t k = n - pos < bs ? n - pos : bs;
    const float *ci[1] = {in + pos};
    float *co[1] = {out + pos};
    quell_engine_process(e, ci, co, k);
  }
}

static int quell_test_all_finite(const float *x, uint32_t n, float bound)
{
  for (uint32_t i = 0; i < n; i++)
    if (!isfinite(x[i]) || fabsf(x[i]) > bound) return 0;
  return 1;
}

int main(void)
{
  QuellModel *m = quell_fixture_model(5);
  const uint32_t n = (uint32_t)RATE * 2;
  float *in = malloc(sizeof(float) * n), *ref_in = malloc(sizeof(float) * n);
  float *out = malloc(sizeof(float) * n), *ref = malloc(sizeof(float) * n);
  unsigned rng = 99;

  /* 1. Non-finite bursts: output == output for zeros in their place, sample for sample. */
  const float bad[] = {NAN, INFINITY, -INFINITY};
  for (int k = 0; k < 3; k++) {
    for (uint32_t i = 0; i < n; i++) ref_in[i] = in[i] = 0.3f * quell_test_noise(&rng);
    for (uint32_t i = 20000; i < 20500; i++) { in[i] = bad[k]; ref_in[i] = 0.0f; }
    in[40000] = bad[k];
    ref_in[40000] = 0.0f;
    QuellEngine *e = quell_test_engine(m, 1), *r = quell_test_engine(m, 1);
    quell_test_process(e, in, out, n, 333);
    quell_test_process(r, ref_in, ref, n, 333);
    QUELL_CHECK(quell_test_all_finite(out, n, 64.0f), "non-finite output after burst %d", k);
    QUELL_CHECK(memcmp(out, ref, sizeof(float) * n) == 0, "burst %d changed later output", k);
    quell_engine_destroy(e);
    quell_engine_destroy(r);
  }

  /* 2. Hostile but finite inputs: outputs finite and bounded, and normal audio afterwards is
   * processed as by a fresh engine once the state has decayed (checked loosely: finite). */
  for (int kind = 0; kind < 6; kind++) {
    for (uint32_t i = 0; i < n; i++) {
      switch (kind) {
      case 0: in[i] = FLT_MIN * 0.5f * quell_test_noise(&rng); break; /* denormals */
      case 1: in[i] = 0.9f; break;                                    /* DC */
      case 2: in[i] = (i / 24) % 2 ? 1.0f : -1.0f; break;             /* full-scale 1 kHz square */
      case 3: in[i] = 0.0f; break;                                    /* silence */
      case 4: in[i] = (i % 2 ? 1.0f : -1.0f) * FLT_MAX; break;        /* absurd values */
      case 5: in[i] = i % 4800 == 0 ? 1.0f : 0.0f; break;             /* clicks in silence */
      }
    }
    QuellEngine *e = quell_test_engine(m, 1);
    quell_test_process(e, in, out, n, 256);
    QUELL_CHECK(quell_test_all_finite(out, n, 2 * 64.0f), "kind %d: output not finite/bounded", kind);
    /* Afterwards: a normal signal produces a finite, non-silent output. */
    for (uint32_t i = 0; i < n; i++) in[i] = 0.3f * quell_test_noise(&rng);
    quell_test_process(e, in, out, n, 256);
    double energy = 0;
    for (uint32_t i = n / 2; i < n; i++) energy += (double)out[i] * out[i];
    QUELL_CHECK(quell_test_all_finite(out, n, 64.0f) && energy > 0.0, "kind %d poisoned the state", kind);
    const float vp = quell_engine_voice_probability(e), red = quell_engine_reduction_db(e);
    QUELL_CHECK(isfinite(vp) && vp >= 0.0f && vp <= 1.0f, "voice prob %g", vp);
    QUELL_CHECK(isfinite(red) && red >= 0.0f, "reduction %g", red);
    quell_engine_destroy(e);
  }

  /* 3. A long stretch of digital silence (10 minutes simulated) then signal: no denormals
   * left in the output, state still works. */
  {
    QuellEngine *e = quell_test_engine(m, 1);
    memset(in, 0, sizeof(float) * n);
    for (int s = 0; s < 300; s++) quell_test_process(e, in, out, n, 4096);
    int denormals = 0;
    for (uint32_t i = 0; i < n; i++) denormals += fpclassify(out[i]) == FP_SUBNORMAL;
    QUELL_CHECK(denormals == 0, "%d denormal output samples after silence", denormals);
    for (uint32_t i = 0; i < n; i++) in[i] = 0.3f * quell_test_noise(&rng);
    quell_test_process(e, in, out, n, 4096);
    QUELL_CHECK(quell_test_all_finite(out, n, 64.0f), "after silence");
    quell_engine_destroy(e);
  }

  free(in); free(ref_in); free(out); free(ref);
  quell_model_free(m);
  return quell_test_finish("test_engine_bad_audio");
}
