/* quell_bands.c — band layout and the band <-> bin mappings. */
#include "quell_bands.h"

#include <math.h>
#include <stdlib.h>

struct QuellBands {
  uint32_t nb, nbins;
  uint32_t *lower;  /* per bin: band whose centre is at or below the bin (nb-1 at the top) */
  float *weight;    /* per bin: weight of `lower`; band lower+1 gets 1 - weight */
  float *top_fall;  /* per bin: energy weight of the top band above its centre (falling edge) */
};

/* ERB-rate scale (Glasberg & Moore 1990): number of ERBs below f. */
static double quell_bands_erb(double f) { return 21.4 * log10(1.0 + 0.00437 * f); }
static double quell_bands_erb_inv(double e) { return (pow(10.0, e / 21.4) - 1.0) / 0.00437; }

/* Centres for a given ERB step: each next centre is one step up the ERB scale, but never
 * closer than min_hz, so the low bands stay at least that wide. */
static void quell_bands_layout(const QuellConfig *cfg, double step, double *c)
{
  c[0] = 0.0;
  for (uint32_t b = 1; b < cfg->nb_bands; b++) {
    const double erb_next = quell_bands_erb_inv(quell_bands_erb(c[b - 1]) + step);
    const double min_next = c[b - 1] + cfg->band_min_hz;
    c[b] = erb_next > min_next ? erb_next : min_next;
  }
}

int quell_bands_centres(const QuellConfig *cfg, double *centres_hz)
{
  if (quell_config_validate(cfg, NULL, 0) != 0) return -1;
  /* The top centre grows monotonically with the step: bisect for the step that puts it on
   * band_fmax_hz. 200 halvings reach double precision; the result is deterministic. */
  double lo = 0.0, hi = quell_bands_erb(cfg->band_fmax_hz);
  for (int i = 0; i < 200; i++) {
    const double mid = 0.5 * (lo + hi);
    quell_bands_layout(cfg, mid, centres_hz);
    if (centres_hz[cfg->nb_bands - 1] > cfg->band_fmax_hz)
      hi = mid;
    else
      lo = mid;
  }
  quell_bands_layout(cfg, lo, centres_hz);
  centres_hz[cfg->nb_bands - 1] = cfg->band_fmax_hz;
  return 0;
}

QuellBands *quell_bands_create(const QuellConfig *cfg, double rate, uint32_t nfft)
{
  const uint32_t nb = cfg->nb_bands;
  double *c = malloc(sizeof(double) * (nb ? nb : 1));
  QuellBands *b = calloc(1, sizeof *b);
  if (!c || !b || quell_bands_centres(cfg, c) != 0) goto fail;
  b->nb = nb;
  b->nbins = nfft / 2 + 1;
  b->lower = calloc(b->nbins, sizeof *b->lower);
  b->weight = calloc(b->nbins, sizeof *b->weight);
  b->top_fall = calloc(b->nbins, sizeof *b->top_fall);
  if (!b->lower || !b->weight || !b->top_fall) goto fail;
  const double top_width = c[nb - 1] - c[nb - 2];
  uint32_t lo = 0;
  for (uint32_t k = 0; k < b->nbins; k++) {
    const double f = (double)k * rate / nfft;
    while (lo + 1 < nb && c[lo + 1] <= f) lo++;
    b->lower[k] = lo;
    if (lo + 1 < nb) {
      b->weight[k] = (float)((c[lo + 1] - f) / (c[lo + 1] - c[lo]));
    } else {
      /* Above the top centre: the gain is the top band's; its energy takes a falling edge as
       * wide as its rising one, so features do not depend on how far Nyquist lies above. */
      b->weight[k] = 1.0f;
      const double fall = 1.0 - (f - c[nb - 1]) / top_width;
      b->top_fall[k] = fall > 0.0 ? (float)fall : 0.0f;
    }
  }
  free(c);
  return b;
fail:
  free(c);
  quell_bands_destroy(b);
  return NULL;
}

void quell_bands_destroy(QuellBands *bands)
{
  if (!bands) return;
  free(bands->lower);
  free(bands->weight);
  free(bands->top_fall);
  free(bands);
}

void quell_bands_energy(const QuellBands *bands, const float *power, float *energy)
{
  for (uint32_t i = 0; i < bands->nb; i++) energy[i] = 0.0f;
  for (uint32_t k = 0; k < bands->nbins; k++) {
    const uint32_t lo = bands->lower[k];
    if (lo + 1 < bands->nb) {
      energy[lo] += bands->weight[k] * power[k];
      energy[lo + 1] += (1.0f - bands->weight[k]) * power[k];
    } else {
      energy[lo] += bands->top_fall[k] * power[k];
    }
  }
}

void quell_bands_interpolate(const QuellBands *bands, const float *band_gain, float *bin_gain)
{
  for (uint32_t k = 0; k < bands->nbins; k++) {
    const uint32_t lo = bands->lower[k];
    const float w = bands->weight[k];
    bin_gain[k] = lo + 1 < bands->nb ? w * band_gain[lo] + (1.0f - w) * band_gain[lo + 1]
                                     : band_gain[lo];
  }
}
