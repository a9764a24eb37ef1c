/* test_abuse_lifecycle [short] — the whole life of engines, many times over: load a model from a
 * file and from memory, create engines at every rate class and channel count, change every
 * control mid-stream (including out-of-range and non-finite values), process in random block
 * sizes in place and out of place, reset, process again, destroy in a different order than
 * created, free the model last.
 *
 * Checks: outputs finite and bounded; in-place processing gives exactly the out-of-place result;
 * after reset an engine gives exactly what a fresh engine gives. It is also the driver that
 * tests/test_memcheck.sh runs under valgrind ("short": fewer rates and less audio), where every
 * allocation made here must be freed and no byte read uninitialised. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../dsp/quell.h"
#include "blob_fixture.h"
#include "quell_test.h"

#define LIFE_MAX_N 40000

static void life_process(QuellEngine *e, int channels, float *const *in, float *const *out,
                         uint32_t n, unsigned *rng)
{
  for (uint32_t pos = 0; pos < n;) {
    uint32_t k = (uint32_t)((quell_test_noise(rng) + 1.0f) * 700.0f);
    if (k > n - pos) k = n - pos;
    const float *ci[2] = {in[0] + pos, in[channels > 1] + pos};
    float *co[2] = {out[0] + pos, out[channels > 1] + pos};
    quell_engine_process(e, ci, co, k);
    pos += k;
  }
}

static int life_finite(const float *x, uint32_t n)
{
  for (uint32_t i = 0; i < n; i++)
    if (!isfinite(x[i]) || fabsf(x[i]) > 16.0f) return 0;
  return 1;
}

int main(int argc, char **argv)
{
  const int quick = argc > 1 && !strcmp(argv[1], "short");
  QuellConfig cfg;
  quell_config_default(&cfg);
  size_t size;
  unsigned char *blob = quell_fixture_blob(&cfg, 21, &size);
  QUELL_REQUIRE(blob, "fixture");
  char path[] = "/tmp/quell-lifecycle-XXXXXX";
  const int fd = mkstemp(path);
  QUELL_REQUIRE(fd >= 0, "mkstemp");
  close(fd);
  QUELL_REQUIRE(quell_fixture_write(path, blob, size) == 0, "write %s", path);
  char err[256];
  QuellModel *from_file = quell_model_load_file(path, err, sizeof err);
  unlink(path);
  QUELL_REQUIRE(from_file, "load_file: %s", err);
  QuellModel *from_mem = quell_model_load_memory(blob, size, err, sizeof err);
  QUELL_REQUIRE(from_mem, "load_memory: %s", err);
  free(blob); /* the models must not depend on the caller's buffer */

  const double rates_all[] = {16000, 22050, 44100, 48000, 96000, 192000};
  const double rates_short[] = {16000, 48000};
  const double *rates = quick ? rates_short : rates_all;
  const int n_rates = quick ? 2 : 6;
  float *buf[6];
  for (int i = 0; i < 6; i++) buf[i] = malloc(sizeof(float) * LIFE_MAX_N);
  unsigned rng = 31;

  for (int r = 0; r < n_rates; r++) {
    const uint32_t n = (uint32_t)(rates[r] * (quick ? 0.1 : 0.2));
    QuellEngine *engines[4];
    int made = 0;
    for (int ch = 1; ch <= 2; ch++)
      for (int m = 0; m < 2; m++) {
        engines[made] = quell_engine_create(m ? from_mem : from_file, rates[r], ch, err, sizeof err);
        QUELL_REQUIRE(engines[made], "create %g x%d: %s", rates[r], ch, err);
        made++;
      }
    for (int k = 0; k < made; k++) {
      const int channels = k < 2 ? 1 : 2;
      QuellEngine *e = engines[k];
      float *in[2] = {buf[0], buf[1]}, *out[2] = {buf[2], buf[3]}, *inplace[2] = {buf[4], buf[5]};
      for (uint32_t i = 0; i < n; i++) {
        in[0][i] = 0.3f * quell_test_noise(&rng);
        in[1][i] = 0.3f * quell_test_noise(&rng);
      }
      QuellParams p;
      quell_params_default(&p);
      p.gate_enabled = 1;
      p.atten_limit_db = 250.0f; /* out of range: clamped */
      p.gate_hold_ms = NAN;      /* non-finite: clamped */
      quell_engine_set_params(e, &p);
      quell_engine_reset(e); /* start both passes from the same (already smoothed) controls */
      unsigned rng_a = rng, rng_b = rng;
      life_process(e, channels, in, out, n, &rng_a);
      /* Same input, in place, from a reset engine: must match the first pass exactly. */
      quell_engine_reset(e);
      memcpy(inplace[0], in[0], sizeof(float) * n);
      memcpy(inplace[1], in[1], sizeof(float) * n);
      life_process(e, channels, inplace, inplace, n, &rng_b);
      for (int c = 0; c < channels; c++) {
        QUELL_CHECK(life_finite(out[c], n), "%g Hz engine %d ch %d: output not finite", rates[r], k, c);
        QUELL_CHECK(memcmp(out[c], inplace[c], sizeof(float) * n) == 0,
                    "%g Hz engine %d ch %d: reset + in-place differs from the first pass", rates[r],
                    k, c);
      }
      /* Bypass toggled mid-stream and a zero-length call. */
      p.enabled = 0;
      quell_engine_set_params(e, &p);
      life_process(e, channels, in, out, n / 2, &rng);
      quell_engine_process(e, (const float *const *)in, out, 0);
      QUELL_CHECK(isfinite(quell_engine_voice_probability(e)) && isfinite(quell_engine_reduction_db(e)),
                  "meters not finite");
    }
    /* Destroyed in another order than created. */
    for (int k = made - 1; k >= 0; k -= 2) quell_engine_destroy(engines[k]);
    for (int k = made - 2; k >= 0; k -= 2) quell_engine_destroy(engines[k]);
  }
  for (int i = 0; i < 6; i++) free(buf[i]);
  quell_model_free(from_mem);
  quell_model_free(from_file);
  quell_model_free(NULL);
  quell_engine_destroy(NULL);
  return quell_test_finish("test_abuse_lifecycle");
}
