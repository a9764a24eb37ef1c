/* quell_analysis.c — the per-frame analysis shared by inference and training. */
#include "quell_analysis.h"

#include <stdlib.h>

QuellAnalysis *quell_analysis_create(const QuellConfig *cfg, double rate)
{
  if (!quell_rate_supported(rate) || quell_config_validate(cfg, NULL, 0) != 0) return NULL;
  QuellAnalysis *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  a->hop = quell_config_hop_samples(cfg, rate);
  a->stft = quell_stft_create(a->hop, cfg->window_hops);
  if (!a->stft) goto fail;
  a->window = quell_stft_window(a->stft);
  a->bins = quell_stft_bins(a->stft);
  a->bands = quell_bands_create(cfg, rate, a->window);
  a->features = quell_features_create(cfg, (double)a->hop / rate);
  a->nb = cfg->nb_bands;
  if (cfg->nfeat == 3 * cfg->nb_bands) {
    a->pitch = quell_pitch_create(a->stft, a->bands, cfg->nb_bands, a->hop, rate);
    if (!a->pitch) goto fail;
  }
  a->power = calloc(a->bins, sizeof(float));
  a->energy = calloc(cfg->nb_bands, sizeof(float));
  if (!a->bands || !a->features || !a->power || !a->energy) goto fail;
  return a;
fail:
  quell_analysis_destroy(a);
  return NULL;
}

void quell_analysis_destroy(QuellAnalysis *a)
{
  if (!a) return;
  quell_pitch_destroy(a->pitch); /* before the stft and bands it borrows */
  quell_stft_destroy(a->stft);
  quell_bands_destroy(a->bands);
  quell_features_destroy(a->features);
  free(a->power);
  free(a->energy);
  free(a);
}

void quell_analysis_frame(QuellAnalysis *a, const float *const *frames, int channels,
                          fftwf_complex *const *specs, float *features)
{
  /* Linked channels: one estimate from the mean power of all channels. */
  for (int c = 0; c < channels; c++) {
    quell_stft_analyze(a->stft, frames[c], specs[c]);
    quell_stft_power(a->stft, specs[c], a->power, c > 0);
  }
  if (channels > 1) {
    const float inv = 1.0f / (float)channels;
    for (uint32_t k = 0; k < a->bins; k++) a->power[k] *= inv;
  }
  quell_bands_energy(a->bands, a->power, a->energy);
  quell_features_compute(a->features, a->energy, features);
  if (a->pitch)
    quell_pitch_correlation(a->pitch, frames, channels, (const fftwf_complex *const *)specs,
                            features + 2 * a->nb);
}

void quell_analysis_reset(QuellAnalysis *a)
{
  quell_features_reset(a->features);
  if (a->pitch) quell_pitch_reset(a->pitch);
}

void quell_analysis_energy(QuellAnalysis *a, const float *frame, fftwf_complex *spec,
                           float *energy)
{
  quell_stft_analyze(a->stft, frame, spec);
  quell_stft_power(a->stft, spec, a->power, 0);
  quell_bands_energy(a->bands, a->power, energy);
}
