/* test_net_lags — input lag taps (`input.weight_lag{n}`, model/FORMAT.md): the loader takes any
 * subset of lags 1..16 and refuses malformed ones; the network adds W_n x_{t-n} to the dense
 * layer, reading exactly frame t - n, with the history primed by the first frame (as training's
 * model/train.py does), and zero taps change nothing. */
#include <math.h>
#include <string.h>

#include "../dsp/quell.h"
#include "../dsp/quell_train.h"
#include "blob_fixture.h"
#include "quell_test.h"

#define T 40

static QuellModel *quell_test_load(const unsigned char *blob, size_t size)
{
  char err[256] = "";
  QuellModel *m = quell_model_load_memory(blob, size, err, sizeof err);
  QUELL_REQUIRE(m, "fixture refused: %s", err);
  return m;
}

static int quell_test_refused(const unsigned char *blob, size_t size, const char *expect)
{
  char err[256] = "";
  QuellModel *m = quell_model_load_memory(blob, size, err, sizeof err);
  if (m) {
    quell_model_free(m);
    return 0;
  }
  if (!strstr(err, expect)) fprintf(stderr, "  message '%s' lacks '%s'\n", err, expect);
  return strstr(err, expect) != NULL && strchr(err, '\n') == NULL;
}

/* A copy of blob (in c) with the record at rec renamed: refused with `expect`? */
static int quell_test_renamed_refused(unsigned char *c, const unsigned char *blob, size_t size,
                                      size_t rec, const char *name, const char *expect)
{
  memcpy(c, blob, size);
  memset(c + rec, 0, 32);
  snprintf((char *)c + rec, 32, "%s", name);
  quell_fixture_blob_fix_crc(c, size);
  return quell_test_refused(c, size, expect);
}

static void quell_test_run(const QuellModel *m, const float *feat, uint32_t F, float *gains,
                           float *vad)
{
  (void)F;
  QUELL_REQUIRE(quell_train_run_net(m, feat, T, gains, vad) == 0, "run_net");
}

/* Byte offset of tensor record `name` in a blob written by the fixture (records back to back). */
static size_t quell_test_record(const unsigned char *blob, size_t size, const char *name)
{
  size_t pos = 64;
  while (pos + 48 <= size - 4) {
    uint32_t rows, cols;
    memcpy(&rows, blob + pos + 36, 4); /* little-endian hosts only, like the fixture's users */
    memcpy(&cols, blob + pos + 40, 4);
    if (strcmp((const char *)blob + pos, name) == 0) return pos;
    pos += 48 + 4 * (size_t)rows * cols;
  }
  QUELL_REQUIRE(0, "no record %s", name);
  return 0;
}

static float quell_test_maxdiff(const float *a, const float *b, size_t n)
{
  float d = 0.0f;
  for (size_t i = 0; i < n; i++) d = fmaxf(d, fabsf(a[i] - b[i]));
  return d;
}

int main(void)
{
  QuellConfig cfg;
  quell_config_default(&cfg);
  cfg.input_hidden = 32;
  cfg.gru_hidden = 24;
  const uint32_t F = cfg.nfeat, B = cfg.nb_bands, I = cfg.input_hidden;
  const uint32_t lags124 = (1u << 1) | (1u << 2) | (1u << 4);
  size_t s0, sz, sl, s4;
  unsigned char *plain = quell_fixture_blob(&cfg, 11, &s0);
  unsigned char *zero = quell_fixture_blob_lags(&cfg, 11, lags124, 0.0f, &sz);
  unsigned char *lag = quell_fixture_blob_lags(&cfg, 11, lags124, 1.0f, &sl);
  unsigned char *only4 = quell_fixture_blob_lags(&cfg, 11, 1u << 4, 1.0f, &s4);
  QUELL_REQUIRE(plain && zero && lag && only4, "fixtures");

  /* Features like the engine's: log energies around -5, then their deviations and correlations. */
  float feat[T * 120], feat2[T * 120];
  QUELL_REQUIRE(F <= 120, "nfeat %u", F);
  unsigned rng = 5;
  for (size_t i = 0; i < (size_t)T * F; i++) feat[i] = -5.0f + 2.0f * quell_test_noise(&rng);
  float g0[T * 64], g1[T * 64], v0[T], v1[T];
  QUELL_REQUIRE(B <= 64, "bands %u", B);

  /* Zero taps: bit-identical to no taps. */
  QuellModel *m0 = quell_test_load(plain, s0), *mz = quell_test_load(zero, sz);
  quell_test_run(m0, feat, F, g0, v0);
  quell_test_run(mz, feat, F, g1, v1);
  QUELL_CHECK(memcmp(g0, g1, sizeof(float) * T * B) == 0 && memcmp(v0, v1, sizeof v0) == 0,
              "zero lag taps changed the output (max %g)", quell_test_maxdiff(g0, g1, (size_t)T * B));

  /* The parameter count (what bench and cards quote) counts every tap: three of I x F more,
   * and every float of the plain blob's records (the blob minus header, CRC and 48-byte record
   * heads: 16 records with the default two GRU layers). */
  QUELL_CHECK(quell_model_parameter_count(mz) == quell_model_parameter_count(m0) + 3u * I * F,
              "parameter count %zu with 3 taps vs %zu without", quell_model_parameter_count(mz),
              quell_model_parameter_count(m0));
  QUELL_CHECK(quell_model_parameter_count(m0) * 4 == s0 - 64 - 4 - 16 * 48,
              "parameter count %zu vs a %zu-byte blob", quell_model_parameter_count(m0), s0);
  QUELL_CHECK(quell_model_parameter_count(NULL) == 0, "parameter count of NULL");

  /* Non-zero taps: a different network, still bounded. */
  QuellModel *ml = quell_test_load(lag, sl);
  quell_test_run(ml, feat, F, g1, v1);
  QUELL_CHECK(quell_test_maxdiff(g0, g1, (size_t)T * B) > 1e-3f, "lag taps changed nothing");
  int ok = 1;
  for (size_t i = 0; i < (size_t)T * B; i++) ok &= g1[i] > 0.0f && g1[i] < 1.0f;
  QUELL_CHECK(ok, "gains outside (0, 1) with lag taps");

  /* Frame t - 4 exactly: with input.weight zeroed, only the lag-4 tap sees the features. A
   * change in frame 10 alone must leave frames 0..13 bit-identical and change frame 14. */
  size_t rec = quell_test_record(only4, s4, "input.weight");
  memset(only4 + rec + 48, 0, sizeof(float) * I * F);
  quell_fixture_blob_fix_crc(only4, s4);
  QuellModel *m4 = quell_test_load(only4, s4);
  memcpy(feat2, feat, sizeof feat);
  for (uint32_t k = 0; k < F; k++) feat2[10 * F + k] += 1.5f;
  quell_test_run(m4, feat, F, g0, v0);
  quell_test_run(m4, feat2, F, g1, v1);
  QUELL_CHECK(memcmp(g0, g1, sizeof(float) * 14 * B) == 0,
              "a change in frame 10 reached the output before frame 14 through the lag-4 tap");
  QUELL_CHECK(quell_test_maxdiff(g0 + 14 * B, g1 + 14 * B, B) > 1e-4f,
              "a change in frame 10 did not reach frame 14 through the lag-4 tap");

  /* Priming: before frame 4 the lag-4 tap reads frame 0 itself (no history yet, "no change"),
   * so frames 0..3 depend on frame 0 only, not on what the history held before. A change in
   * frame 0 must move frame 0's output; one in frame 1 must leave frames 0..4 as they were. */
  memcpy(feat2, feat, sizeof feat);
  for (uint32_t k = 0; k < F; k++) feat2[0 * F + k] += 1.5f;
  quell_test_run(m4, feat2, F, g1, v1);
  QUELL_CHECK(quell_test_maxdiff(g0, g1, B) > 1e-4f, "frame 0 did not prime the lag history");
  memcpy(feat2, feat, sizeof feat);
  for (uint32_t k = 0; k < F; k++) feat2[1 * F + k] += 1.5f;
  quell_test_run(m4, feat2, F, g1, v1);
  QUELL_CHECK(memcmp(g0, g1, sizeof(float) * 5 * B) == 0,
              "frame 1 reached the output before frame 5 through the lag-4 tap");

  /* The loader: taps with the wrong shape, an unknown lag, a tap twice, too many records. */
  unsigned char *c = malloc(sl);
  QUELL_REQUIRE(c, "oom");
  rec = quell_test_record(lag, sl, "input.weight_lag2");
  memcpy(c, lag, sl);
  c[rec + 40] ^= 1; /* columns F -> F ^ 1 */
  quell_fixture_blob_fix_crc(c, sl);
  QUELL_CHECK(quell_test_refused(c, sl, "input.weight_lag2' has shape"), "misshapen lag tap");
  QUELL_CHECK(quell_test_renamed_refused(c, lag, sl, rec, "input.weight_lag17",
                                         "unknown tensor 'input.weight_lag17'"), "lag 17");
  QUELL_CHECK(quell_test_renamed_refused(c, lag, sl, rec, "input.weight_lag1", "appears twice"),
              "lag tap twice");
  QUELL_CHECK(quell_test_renamed_refused(c, lag, sl, rec, "input.weight_lag0", "unknown tensor"),
              "lag 0");
  memcpy(c, lag, sl);
  c[56] = (unsigned char)(8 + 16 + 4 * cfg.gru_layers + 1);
  quell_fixture_blob_fix_crc(c, sl);
  QUELL_CHECK(quell_test_refused(c, sl, "tensors, configuration needs"), "too many records");
  /* A required tensor renamed into a tap: the count fits, the required one is missing. */
  QUELL_CHECK(quell_test_renamed_refused(c, lag, sl, quell_test_record(lag, sl, "input.weight"),
                                         "input.weight_lag3", "lacks tensor 'input.weight'"),
              "required tensor missing");
  free(c);

  quell_model_free(m0);
  quell_model_free(mz);
  quell_model_free(ml);
  quell_model_free(m4);
  free(plain);
  free(zero);
  free(lag);
  free(only4);
  return quell_test_finish("test_net_lags");
}
