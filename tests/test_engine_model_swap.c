/* test_engine_model_swap — a live model change (the plugin's `model` parameter) at engine level:
 * a model that computes the same features is accepted, even with another network size; one that
 * computes other features (other bands, hop, a 16 kHz-only band layout) is refused with one line
 * and left to the caller; output before the swap is untouched and, after it, carries on without a
 * click (the sample-to-sample step at the swap stays within what the signal itself makes, while
 * splicing two engines' outputs at the same place would step far more); swapping back and forth
 * frees what it should (ASan/valgrind see the rest). */
#include <math.h>
#include <string.h>

#include "../dsp/quell.h"
#include "blob_fixture.h"
#include "quell_test.h"

#define RATE 48000.0
#define BLOCK 100 /* not a divisor of the 240-sample hop: swaps land mid-hop too */

/* Sets every value of the tensor `name` in a fixture blob (then fixes the CRC). */
static void quell_test_fill(unsigned char *blob, size_t size, const char *name, float v)
{
  for (size_t pos = 64; pos + 48 <= size - 4;) {
    uint32_t dims[3];
    memcpy(dims, blob + pos + 32, sizeof dims); /* ndim, rows, cols (little-endian host) */
    const size_t count = (size_t)dims[1] * dims[2];
    if (strcmp((const char *)blob + pos, name) == 0)
      for (size_t i = 0; i < count; i++) memcpy(blob + pos + 48 + 4 * i, &v, 4);
    pos += 48 + 4 * count;
  }
  quell_fixture_blob_fix_crc(blob, size);
}

/* A fixture model; mute != 0 makes its gains all but 0 (gain.bias -8), so a swap to it changes
 * the gain as much as a model change can. */
static QuellModel *quell_test_model_ex(const QuellConfig *cfg, uint32_t seed, int mute)
{
  size_t size;
  char err[256];
  unsigned char *blob = quell_fixture_blob(cfg, seed, &size);
  QUELL_REQUIRE(blob, "fixture blob");
  if (mute) quell_test_fill(blob, size, "gain.bias", -8.0f);
  QuellModel *m = quell_model_load_memory(blob, size, err, sizeof err);
  QUELL_REQUIRE(m, "fixture load: %s", err);
  const uint32_t crc = (uint32_t)blob[size - 4] | (uint32_t)blob[size - 3] << 8 |
                       (uint32_t)blob[size - 2] << 16 | (uint32_t)blob[size - 1] << 24;
  QUELL_CHECK(quell_model_crc(m) == crc, "crc %08x, blob ends with %08x", quell_model_crc(m), crc);
  free(blob);
  return m;
}

static QuellModel *quell_test_model(const QuellConfig *cfg, uint32_t seed)
{
  return quell_test_model_ex(cfg, seed, 0);
}

static void quell_test_run(QuellEngine *e, const float *in, float *out, uint32_t a, uint32_t b)
{
  for (uint32_t pos = a; pos < b; pos += BLOCK) {
    const uint32_t k = b - pos < BLOCK ? b - pos : BLOCK;
    const float *ci[1] = {in + pos};
    float *co[1] = {out + pos};
    quell_engine_process(e, ci, co, k);
  }
}

static float quell_test_max_step(const float *y, uint32_t a, uint32_t b)
{
  float m = 0.0f;
  for (uint32_t i = a + 1; i < b; i++) m = fmaxf(m, fabsf(y[i] - y[i - 1]));
  return m;
}

int main(void)
{
  QuellConfig cfg;
  char err[256];
  quell_config_default(&cfg);
  QuellModel *a = quell_test_model(&cfg, 1);
  QuellModel *b = quell_test_model_ex(&cfg, 2, 1);

  /* Refused: other features. Each keeps the caller's model and names the field. */
  QuellEngine *e = quell_engine_create(a, RATE, 1, err, sizeof err);
  QUELL_REQUIRE(e, "create: %s", err);
  QuellConfig c16 = cfg, cbands = cfg, chop = cfg;
  c16.band_fmax_hz = 7000.0f;   /* a model made for 16 kHz audio */
  cbands.nb_bands = 24;
  cbands.nfeat = 3 * 24;
  chop.hop_us = 10000;
  const QuellConfig *cfgs[3] = {&c16, &cbands, &chop};
  const char *fields[3] = {"band_fmax_hz", "nb_bands", "hop_us"};
  for (int i = 0; i < 3; i++) {
    QuellModel *x = quell_test_model(cfgs[i], 5);
    err[0] = 0;
    QuellEngineModel *p = quell_engine_model_prepare(e, x, err, sizeof err);
    QUELL_CHECK(p == NULL, "model %d with other features accepted", i);
    QUELL_CHECK(strstr(err, fields[i]) != NULL && !strchr(err, '\n'), "message '%s' lacks %s",
                err, fields[i]);
    printf("refused: %s\n", err);
    quell_model_free(x); /* still ours */
  }
  /* Accepted: another network size on the same features. */
  {
    QuellConfig small = cfg;
    small.gru_hidden = 48;
    small.input_hidden = 64;
    QuellModel *x = quell_test_model(&small, 6);
    QuellEngineModel *p = quell_engine_model_prepare(e, x, err, sizeof err);
    QUELL_CHECK(p != NULL, "smaller network refused: %s", err);
    QuellEngineModel *old = quell_engine_model_swap(e, p);
    QUELL_CHECK(old && quell_engine_model_get(old) == a, "swap did not return the first model");
    QUELL_CHECK(quell_engine_model(e) == x, "engine does not run the new model");
    float in[4800], out[4800];
    unsigned rng = 3;
    for (int i = 0; i < 4800; i++) in[i] = 0.2f * quell_test_noise(&rng);
    quell_test_run(e, in, out, 0, 4800);
    int finite = 1;
    for (int i = 0; i < 4800; i++) finite &= isfinite(out[i]) != 0;
    QUELL_CHECK(finite, "non-finite output after the swap");
    quell_engine_model_free(old); /* the create-time model stays: a is freed below */
  }
  quell_engine_destroy(e); /* frees x with its slot */

  /* Continuity: a 440 Hz tone in noise, model a, then the muting model b from the middle on. */
  const uint32_t n = (uint32_t)RATE, at = n / 2 + 37;
  float *in = malloc(sizeof(float) * n), *ya = malloc(sizeof(float) * n),
        *yb = malloc(sizeof(float) * n), *ys = malloc(sizeof(float) * n);
  unsigned rng = 9;
  for (uint32_t i = 0; i < n; i++)
    in[i] = 0.5f * sinf(2.0f * (float)M_PI * 440.0f * (float)i / (float)RATE) +
            0.02f * quell_test_noise(&rng);
  QuellEngine *ea = quell_engine_create(a, RATE, 1, err, sizeof err);
  QuellEngine *eb = quell_engine_create(b, RATE, 1, err, sizeof err);
  QuellEngine *es = quell_engine_create(a, RATE, 1, err, sizeof err);
  QUELL_REQUIRE(ea && eb && es, "create: %s", err);
  quell_test_run(ea, in, ya, 0, n);
  quell_test_run(eb, in, yb, 0, n);
  quell_test_run(es, in, ys, 0, at);
  QuellModel *b2 = quell_test_model_ex(&cfg, 2, 1);
  QuellEngineModel *p = quell_engine_model_prepare(es, b2, err, sizeof err);
  QUELL_REQUIRE(p, "prepare: %s", err);
  QuellEngineModel *old = quell_engine_model_swap(es, p);
  quell_test_run(es, in, ys, at, n);
  QUELL_CHECK(memcmp(ys, ya, sizeof(float) * at) == 0, "output before the swap changed");

  /* The tone's own largest step is 0.5 * 2 pi 440 / 48000 = 0.029 (plus the noise's). */
  const float natural = fmaxf(quell_test_max_step(ya, n / 4, n), quell_test_max_step(yb, n / 4, n));
  const uint32_t lo = at - 480, hi = at + 4800; /* from the swap through the next 100 ms */
  const float at_swap = quell_test_max_step(ys, lo, hi);
  float *splice = malloc(sizeof(float) * n);
  memcpy(splice, ya, sizeof(float) * at);
  memcpy(splice + at, yb + at, sizeof(float) * (n - at));
  const float spliced = quell_test_max_step(splice, lo, hi);
  printf("largest sample step: %.4f around the swap, %.4f elsewhere (either model), %.4f if the "
         "two outputs were spliced there\n",
         at_swap, natural, spliced);
  QUELL_CHECK(at_swap <= 1.1f * natural, "click at the swap: step %.4f vs %.4f", at_swap, natural);
  quell_engine_model_free(old);

  /* Back and forth many times: every prepared model is freed exactly once. */
  for (int i = 0; i < 100; i++) {
    QuellModel *x = quell_test_model(&cfg, 10 + (uint32_t)(i % 3));
    QuellEngineModel *q = quell_engine_model_prepare(es, x, err, sizeof err);
    QUELL_REQUIRE(q, "prepare: %s", err);
    quell_engine_model_free(quell_engine_model_swap(es, q));
    quell_test_run(es, in, ys, (uint32_t)i * 400, (uint32_t)i * 400 + 400);
  }
  QUELL_CHECK(quell_engine_model_swap(es, NULL) == NULL, "swap with NULL must do nothing");

  quell_engine_destroy(ea);
  quell_engine_destroy(eb);
  quell_engine_destroy(es);
  quell_model_free(a);
  quell_model_free(b);
  free(in);
  free(ya);
  free(yb);
  free(ys);
  free(splice);
  return quell_test_finish("test_engine_model_swap");
}
