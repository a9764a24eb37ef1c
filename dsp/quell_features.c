/* quell_features.c — feature computation shared by the plugin and training (quell_train.c). */
#include "quell_features.h"

#include <math.h>
#include <stdlib.h>

/* Energy floor: -100 dB re full-scale power; bands above Nyquist read exactly this. */
#define QUELL_FEATURES_FLOOR 1e-10f

struct QuellFeatures {
  uint32_t nb;
  float alpha;
  int warmup;      /* QUELL_FEATURE_MEAN_WARMUP */
  uint32_t frames; /* frames since reset, counted up to the end of the warm-up only */
  int primed;
  float *mean;
};

QuellFeatures *quell_features_create(const QuellConfig *cfg, double hop_seconds)
{
  QuellFeatures *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->nb = cfg->nb_bands;
  f->alpha = (float)(1.0 - exp(-hop_seconds / (cfg->norm_tau_ms * 1e-3)));
  f->warmup = (cfg->feature_flags & QUELL_FEATURE_MEAN_WARMUP) != 0;
  f->mean = calloc(f->nb, sizeof *f->mean);
  if (!f->mean) {
    free(f);
    return NULL;
  }
  return f;
}

void quell_features_destroy(QuellFeatures *f)
{
  if (!f) return;
  free(f->mean);
  free(f);
}

void quell_features_reset(QuellFeatures *f)
{
  f->primed = 0;
  f->frames = 0;
}

void quell_features_compute(QuellFeatures *f, const float *energy, float *out)
{
  /* Warm-up: the mean of the frames so far (1/(n+1)) until that weight falls to alpha. */
  float a = f->alpha;
  if (f->warmup) {
    const float w = 1.0f / (float)(f->frames + 1u);
    if (w > a) {
      a = w;
      f->frames++;
    }
  }
  for (uint32_t b = 0; b < f->nb; b++) {
    const float e = energy[b] > 0.0f ? energy[b] : 0.0f;
    const float l = log10f(e + QUELL_FEATURES_FLOOR);
    if (!f->primed) f->mean[b] = l;
    f->mean[b] += a * (l - f->mean[b]);
    out[b] = l;
    out[f->nb + b] = l - f->mean[b];
  }
  f->primed = 1;
}
