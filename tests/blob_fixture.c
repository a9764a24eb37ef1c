/* blob_fixture.c — the test-side writer of weights blobs (the training side is model/export.py). */
#include "blob_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dsp/quell_crc32.h"

typedef struct {
  unsigned char *p;
  size_t len, cap;
  int failed;
} QuellFixtureBuf;

static void quell_fixture_put(QuellFixtureBuf *b, const void *src, size_t n)
{
  if (b->failed) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p) {
      b->failed = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, src, n);
  b->len += n;
}

static void quell_fixture_u32(QuellFixtureBuf *b, uint32_t v)
{
  const unsigned char le[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
  quell_fixture_put(b, le, 4);
}

static void quell_fixture_f32(QuellFixtureBuf *b, float f)
{
  uint32_t u;
  memcpy(&u, &f, 4);
  quell_fixture_u32(b, u);
}

/* xorshift32: deterministic across platforms, unlike rand(). */
static float quell_fixture_uniform(uint32_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return (float)(*s >> 8) / 16777216.0f * 2.0f - 1.0f;
}

/* kind: 0 = random with the given scale, 1 = constant value `scale`. */
static void quell_fixture_tensor(QuellFixtureBuf *b, const char *name, uint32_t rows,
                                 uint32_t cols, uint32_t ndim, int kind, float scale,
                                 uint32_t *rng)
{
  char nm[32] = {0};
  snprintf(nm, sizeof nm, "%s", name);
  quell_fixture_put(b, nm, 32);
  quell_fixture_u32(b, ndim);
  quell_fixture_u32(b, rows);
  quell_fixture_u32(b, cols);
  quell_fixture_u32(b, 0);
  for (size_t i = 0; i < (size_t)rows * cols; i++)
    quell_fixture_f32(b, kind == 0 ? scale * quell_fixture_uniform(rng) : scale);
}

unsigned char *quell_fixture_blob(const QuellConfig *cfg, uint32_t seed, size_t *size)
{
  return quell_fixture_blob_lags(cfg, seed, 0, 0.0f, size);
}

unsigned char *quell_fixture_blob_lags(const QuellConfig *cfg, uint32_t seed, uint32_t lag_mask,
                                       float lag_scale, size_t *size)
{
  QuellFixtureBuf b = {0};
  uint32_t nlags = 0;
  for (uint32_t n = 1; n <= 16; n++) nlags += (lag_mask >> n) & 1u;
  uint32_t rng = seed ? seed : 0x9e3779b9u;
  const uint32_t F = cfg->nfeat, I = cfg->input_hidden, H = cfg->gru_hidden, B = cfg->nb_bands;
  const uint32_t C = cfg->gru_layers * H;
  quell_fixture_put(&b, "QUELLWB", 8);
  quell_fixture_u32(&b, 2);
  quell_fixture_u32(&b, 64);
  quell_fixture_u32(&b, cfg->hop_us);
  quell_fixture_u32(&b, cfg->window_hops);
  quell_fixture_u32(&b, cfg->nb_bands);
  quell_fixture_f32(&b, cfg->band_fmax_hz);
  quell_fixture_f32(&b, cfg->band_min_hz);
  quell_fixture_f32(&b, cfg->norm_tau_ms);
  quell_fixture_u32(&b, cfg->nfeat);
  quell_fixture_u32(&b, cfg->input_hidden);
  quell_fixture_u32(&b, cfg->gru_layers);
  quell_fixture_u32(&b, cfg->gru_hidden);
  quell_fixture_u32(&b, 8 + nlags + 4 * cfg->gru_layers);
  quell_fixture_u32(&b, cfg->feature_flags);
  /* Features are log10 energies around -5: centre and scale them like a trained model would. */
  quell_fixture_tensor(&b, "norm.mean", F, 1, 1, 1, -5.0f, &rng);
  quell_fixture_tensor(&b, "norm.scale", F, 1, 1, 1, 0.3f, &rng);
  quell_fixture_tensor(&b, "input.weight", I, F, 2, 0, 1.0f / sqrtf((float)F), &rng);
  quell_fixture_tensor(&b, "input.bias", I, 1, 1, 0, 0.1f, &rng);
  /* Drawn after every other tensor's generator use would change the weights of blobs without
   * taps; a second generator keeps mask 0 byte-identical to the fixture before lag taps. */
  uint32_t lag_rng = rng ^ 0x5bd1e995u;
  for (uint32_t n = 1; n <= 16; n++)
    if ((lag_mask >> n) & 1u) {
      char nm[32];
      snprintf(nm, sizeof nm, "input.weight_lag%u", n);
      quell_fixture_tensor(&b, nm, I, F, 2, 0, lag_scale / sqrtf((float)F), &lag_rng);
    }
  for (uint32_t l = 0; l < cfg->gru_layers; l++) {
    char nm[32];
    const uint32_t in = l == 0 ? I : H;
    snprintf(nm, sizeof nm, "gru%u.weight_ih", l);
    quell_fixture_tensor(&b, nm, 3 * H, in, 2, 0, 1.0f / sqrtf((float)in), &rng);
    snprintf(nm, sizeof nm, "gru%u.weight_hh", l);
    quell_fixture_tensor(&b, nm, 3 * H, H, 2, 0, 1.0f / sqrtf((float)H), &rng);
    snprintf(nm, sizeof nm, "gru%u.bias_ih", l);
    quell_fixture_tensor(&b, nm, 3 * H, 1, 1, 0, 0.1f, &rng);
    snprintf(nm, sizeof nm, "gru%u.bias_hh", l);
    quell_fixture_tensor(&b, nm, 3 * H, 1, 1, 0, 0.1f, &rng);
  }
  quell_fixture_tensor(&b, "gain.weight", B, C, 2, 0, 2.0f / sqrtf((float)C), &rng);
  quell_fixture_tensor(&b, "gain.bias", B, 1, 1, 1, 0.5f, &rng);
  quell_fixture_tensor(&b, "vad.weight", 1, C, 2, 0, 2.0f / sqrtf((float)C), &rng);
  quell_fixture_tensor(&b, "vad.bias", 1, 1, 1, 1, 0.0f, &rng);
  quell_fixture_u32(&b, 0); /* checksum placeholder, filled below */
  if (b.failed) {
    free(b.p);
    return NULL;
  }
  quell_fixture_blob_fix_crc(b.p, b.len);
  *size = b.len;
  return b.p;
}

QuellModel *quell_fixture_model(uint32_t seed)
{
  QuellConfig cfg;
  quell_config_default(&cfg);
  size_t size;
  unsigned char *blob = quell_fixture_blob(&cfg, seed, &size);
  char err[256] = "out of memory";
  QuellModel *m = blob ? quell_model_load_memory(blob, size, err, sizeof err) : NULL;
  free(blob); /* the model keeps its own copy */
  if (!m) {
    fprintf(stderr, "fixture model (seed %u): %s\n", seed, err);
    exit(1);
  }
  return m;
}

void quell_fixture_blob_fix_crc(unsigned char *blob, size_t size)
{
  if (size < 4) return;
  const uint32_t crc = quell_crc32_update(0, blob, size - 4);
  for (int i = 0; i < 4; i++) blob[size - 4 + i] = (unsigned char)(crc >> (8 * i));
}

int quell_fixture_write(const char *path, const unsigned char *data, size_t size)
{
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  const int ok = fwrite(data, 1, size, f) == size;
  return (fclose(f) == 0 && ok) ? 0 : -1;
}
