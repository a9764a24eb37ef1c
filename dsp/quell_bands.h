/* quell_bands.h — triangular bands on an ERB-like scale defined in Hz, mapped onto the bins of
 * one FFT size and rate. Band energies feed the features; band gains are interpolated back to
 * bins with the same triangles, so gains vary smoothly across frequency. */
#ifndef QUELL_BANDS_H
#define QUELL_BANDS_H

#include <stdint.h>

#include "quell_config.h"

typedef struct QuellBands QuellBands;

/* Band centres in Hz (cfg->nb_bands values), independent of the rate. 0 or -1 (bad config). */
int quell_bands_centres(const QuellConfig *cfg, double *centres_hz);

/* Builds the bin mapping for an FFT of nfft points at rate. NULL on bad config / no memory. */
QuellBands *quell_bands_create(const QuellConfig *cfg, double rate, uint32_t nfft);
void quell_bands_destroy(QuellBands *bands);

/* E_b = sum_k T_b(k) power[k] over the nfft/2+1 bins. Bands beyond Nyquist get 0. */
void quell_bands_energy(const QuellBands *bands, const float *power, float *energy);

/* Per-bin gains from band gains; bins above the top centre take the top band's gain. */
void quell_bands_interpolate(const QuellBands *bands, const float *band_gain, float *bin_gain);

#endif
