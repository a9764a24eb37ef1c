/* test_features — the normalised features' running mean (dsp/quell_features.c, model/FORMAT.md):
 * with MEAN_WARMUP it is the plain mean of the frames so far until 1/(n+1) falls to alpha, then
 * the exponential average, and a reset starts the warm-up again; without the flag (format 1
 * blobs) it leaves the first frame's value at alpha per frame. Blob format 2 carries the flags,
 * format 1 still loads and reads them as 0, unknown flags are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../dsp/quell_features.h"
#include "../dsp/quell_model.h"
#include "blob_fixture.h"
#include "quell_test.h"

#define NB 8

/* Band b's energy at frame t: 1e-4 for the first 20 frames ("noise"), then 1e-2 ("speech"). */
static float energy_at(long t) { return t < 20 ? 1e-4f : 1e-2f; }

/* Runs `frames` frames and returns the normalised feature of band 0 at the last one. */
static float run(QuellFeatures *f, long from, long frames)
{
  float e[NB], out[2 * NB];
  for (long t = from; t < from + frames; t++) {
    for (int b = 0; b < NB; b++) e[b] = energy_at(t);
    quell_features_compute(f, e, out);
  }
  return out[NB];
}

/* The running mean after `frames` frames of the signal above, in double precision. */
static double reference_mean(long frames, int warmup, double alpha)
{
  double m = 0.0;
  for (long t = 0; t < frames; t++) {
    const double l = log10((double)energy_at(t) + 1e-10);
    double a = alpha;
    if (warmup && 1.0 / (double)(t + 1) > a) a = 1.0 / (double)(t + 1);
    m = t == 0 ? l : m + a * (l - m);
  }
  return m;
}

int main(void)
{
  QuellConfig cfg;
  quell_config_default(&cfg);
  cfg.nb_bands = NB;
  cfg.nfeat = 2 * NB;
  QUELL_CHECK(cfg.feature_flags == QUELL_FEATURE_MEAN_WARMUP, "new models train with the warm-up");
  const double hop = cfg.hop_us * 1e-6, alpha = 1.0 - exp(-hop / (cfg.norm_tau_ms * 1e-3));

  for (int warmup = 0; warmup <= 1; warmup++) {
    cfg.feature_flags = warmup ? QUELL_FEATURE_MEAN_WARMUP : 0u;
    QuellFeatures *f = quell_features_create(&cfg, hop);
    QUELL_REQUIRE(f, "create");
    const long checkpoints[] = {1, 2, 20, 40, 150, 199, 200, 201, 400, 1000};
    long done = 0;
    for (size_t i = 0; i < sizeof checkpoints / sizeof checkpoints[0]; i++) {
      const float got = run(f, done, checkpoints[i] - done);
      done = checkpoints[i];
      const double l = log10((double)energy_at(done - 1) + 1e-10);
      const double want = l - reference_mean(done, warmup, alpha);
      QUELL_CHECK(fabs(got - want) < 1e-4, "warmup %d, frame %ld: %g, expected %g", warmup, done,
                  (double)got, want);
    }
    /* 20 frames into the louder part: the warm-up mean has moved half way (20 of 40 frames),
     * the slow one by about 10 % of the 2-decade step; this is the point of the flag. */
    quell_features_reset(f);
    const float after = run(f, 0, 40);
    if (warmup)
      QUELL_CHECK(fabs(after - 1.0f) < 1e-3, "warm-up: the mean of 20 + 20 frames, feature 1: %g",
                  (double)after);
    else
      QUELL_CHECK(after > 1.7f, "no warm-up: feature still near the full 2-decade step: %g",
                  (double)after);
    /* A reset restarts the warm-up: the same values as a fresh object. */
    quell_features_reset(f);
    QuellFeatures *g = quell_features_create(&cfg, hop);
    QUELL_REQUIRE(g, "create");
    QUELL_CHECK(run(f, 0, 300) == run(g, 0, 300), "warmup %d: reset differs from fresh", warmup);
    quell_features_destroy(g);
    quell_features_destroy(f);
  }

  /* Blob formats: 2 carries the flags at offset 60; 1 is read with flags 0; unknown bits refused. */
  quell_config_default(&cfg);
  size_t size = 0;
  unsigned char *blob = quell_fixture_blob(&cfg, 7, &size);
  QUELL_REQUIRE(blob, "fixture");
  char err[256] = "";
  QuellModel *m = quell_model_load_memory(blob, size, err, sizeof err);
  QUELL_CHECK(m && m->cfg.feature_flags == QUELL_FEATURE_MEAN_WARMUP, "format 2 flags: %s", err);
  quell_model_free(m);
  blob[8] = 1; /* format 1: the word at 60 must be 0 */
  quell_fixture_blob_fix_crc(blob, size);
  m = quell_model_load_memory(blob, size, err, sizeof err);
  QUELL_CHECK(!m && strstr(err, "header"), "format 1 with a non-zero word 60 refused: %s", err);
  quell_model_free(m);
  memset(blob + 60, 0, 4);
  quell_fixture_blob_fix_crc(blob, size);
  m = quell_model_load_memory(blob, size, err, sizeof err);
  QUELL_CHECK(m && m->cfg.feature_flags == 0u, "format 1 loads with flags 0: %s", err);
  quell_model_free(m);
  blob[8] = 2;
  blob[60] = 0x03; /* bit 1 is not defined */
  quell_fixture_blob_fix_crc(blob, size);
  m = quell_model_load_memory(blob, size, err, sizeof err);
  QUELL_CHECK(!m && strstr(err, "unknown feature flags"), "unknown flag refused: %s", err);
  quell_model_free(m);
  free(blob);
  return quell_test_finish("test_features");
}
