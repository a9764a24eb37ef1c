/* test_engine_reconstruction — with the attenuation limit at 0 dB every gain is one, so the
 * engine must return the input delayed by exactly its reported latency (max error 1e-5 of full
 * scale) at every supported rate, channel count, block-size pattern, in place or not. */
#include <math.h>
#include <string.h>

#include "../dsp/quell.h"
#include "blob_fixture.h"
#include "quell_test.h"

static const uint32_t quell_test_blocks[] = {0, 1, 7, 64, 480, 1000, 4096};

/* Runs n samples through e with a block-size pattern; pattern < 0 means random sizes. */
static void quell_test_run(QuellEngine *e, int channels, float **in, float **out, uint32_t n,
                           int pattern, int in_place, unsigned *rng)
{
  uint32_t pos = 0;
  int zero_calls = 0;
  while (pos < n) {
    uint32_t bs;
    if (pattern < 0) bs = (uint32_t)((quell_test_noise(rng) + 1.0f) * 700.0f);
    else bs = quell_test_blocks[pattern];
    if (bs == 0) { /* a zero-length call must be harmless; then move on with 1 */
      const float *ci[QUELL_MAX_CHANNELS];
      float *co[QUELL_MAX_CHANNELS];
      for (int c = 0; c < channels; c++) { ci[c] = in[c] + pos; co[c] = out[c] + pos; }
      quell_engine_process(e, ci, co, 0);
      if (++zero_calls > 3) bs = 1; else continue;
    }
    if (bs > n - pos) bs = n - pos;
    const float *ci[QUELL_MAX_CHANNELS];
    float *co[QUELL_MAX_CHANNELS];
    for (int c = 0; c < channels; c++) {
      if (in_place) {
        memcpy(out[c] + pos, in[c] + pos, sizeof(float) * bs);
        ci[c] = out[c] + pos;
      } else {
        ci[c] = in[c] + pos;
      }
      co[c] = out[c] + pos;
    }
    quell_engine_process(e, ci, co, bs);
    pos += bs;
  }
}

int main(void)
{
  QuellModel *model = quell_fixture_model(3);
  char err[256];

  const double rates[] = {16000, 22050, 32000, 44100, 48000, 88200, 96000, 192000};
  unsigned rng = 12345;
  uint32_t latency0 = 0;
  for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
    const double rate = rates[r];
    const uint32_t n = (uint32_t)(rate * 0.25);
    for (int channels = 1; channels <= 2; channels++) {
      float *in[2], *out[2];
      for (int c = 0; c < channels; c++) {
        in[c] = malloc(sizeof(float) * n);
        out[c] = malloc(sizeof(float) * n);
        for (uint32_t i = 0; i < n; i++) in[c][i] = 0.5f * quell_test_noise(&rng);
        in[c][0] = 1.0f; /* an impulse at the start, full scale */
      }
      for (int pattern = -1; pattern < (int)(sizeof quell_test_blocks / sizeof quell_test_blocks[0]);
           pattern++) {
        for (int in_place = 0; in_place <= 1; in_place++) {
          QuellEngine *e = quell_engine_create(model, rate, channels, err, sizeof err);
          QUELL_REQUIRE(e, "create at %.0f: %s", rate, err);
          QuellParams p;
          quell_params_default(&p);
          p.atten_limit_db = 0.0f;
          quell_engine_set_params(e, &p);
          quell_engine_reset(e); /* start from the targets, no control glide */
          const uint32_t latency = quell_engine_latency(e);
          if (pattern == -1 && !in_place) latency0 = latency;
          QUELL_CHECK(latency == latency0, "latency changed: %u vs %u", latency, latency0);
          QUELL_CHECK(latency == 2 * (uint32_t)floor(rate * 0.005 + 0.5), "latency %u at %.0f",
                      latency, rate);
          quell_test_run(e, channels, in, out, n, pattern, in_place, &rng);
          float max_err = 0.0f;
          for (int c = 0; c < channels; c++)
            for (uint32_t i = 0; i < n; i++) {
              const float want = i >= latency ? in[c][i - latency] : 0.0f;
              const float d = fabsf(out[c][i] - want);
              if (d > max_err) max_err = d;
            }
          QUELL_CHECK(max_err <= 1e-5f, "rate %.0f ch %d pattern %d in_place %d: max error %g",
                      rate, channels, pattern, in_place, max_err);
          quell_engine_destroy(e);
        }
      }
      for (int c = 0; c < channels; c++) {
        free(in[c]);
        free(out[c]);
      }
    }
    printf("rate %.0f: latency %u samples (%.3f ms)\n", rate, latency0, 1e3 * latency0 / rate);
  }

  /* Channels swapped between input and output (in[0] == out[1]): still exact. */
  {
    QuellEngine *e = quell_engine_create(model, 48000, 2, err, sizeof err);
    QuellParams p;
    quell_params_default(&p);
    p.atten_limit_db = 0.0f;
    quell_engine_set_params(e, &p);
    quell_engine_reset(e);
    const uint32_t n = 9600, L = quell_engine_latency(e);
    float *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
    float *ra = malloc(sizeof(float) * n), *rb = malloc(sizeof(float) * n);
    for (uint32_t i = 0; i < n; i++) { ra[i] = a[i] = quell_test_noise(&rng); rb[i] = b[i] = quell_test_noise(&rng); }
    for (uint32_t pos = 0; pos < n; pos += 100) {
      const float *ci[2] = {a + pos, b + pos};
      float *co[2] = {b + pos, a + pos};
      quell_engine_process(e, ci, co, 100);
    }
    float max_err = 0.0f;
    for (uint32_t i = L; i < n; i++) {
      max_err = fmaxf(max_err, fabsf(b[i] - ra[i - L]));
      max_err = fmaxf(max_err, fabsf(a[i] - rb[i - L]));
    }
    QUELL_CHECK(max_err <= 1e-5f, "swapped aliasing: max error %g", max_err);
    free(a); free(b); free(ra); free(rb);
    quell_engine_destroy(e);
  }

  /* Rates outside 16..192 kHz and bad channel counts are refused with a message. */
  const double bad_rates[] = {8000, 11025, 15999, 192001, 384000, 0, -48000, NAN, INFINITY};
  for (size_t r = 0; r < sizeof bad_rates / sizeof bad_rates[0]; r++) {
    err[0] = 0;
    QUELL_CHECK(quell_engine_create(model, bad_rates[r], 1, err, sizeof err) == NULL && err[0],
                "rate %g accepted", bad_rates[r]);
  }
  QUELL_CHECK(quell_engine_create(model, 48000, 0, err, sizeof err) == NULL, "0 channels");
  QUELL_CHECK(quell_engine_create(model, 48000, QUELL_MAX_CHANNELS + 1, err, sizeof err) == NULL,
              "too many channels");

  quell_model_free(model);
  return quell_test_finish("test_engine_reconstruction");
}
