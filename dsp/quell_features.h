/* quell_features.h — per-frame model features from band energies (see model/FORMAT.md):
 * log10 band energy, and the same minus its running mean (level-independent). */
#ifndef QUELL_FEATURES_H
#define QUELL_FEATURES_H

#include <stdint.h>

#include "quell_config.h"

typedef struct QuellFeatures QuellFeatures;

/* hop_seconds sets the running-mean coefficient alpha = 1 - exp(-hop / norm_tau). */
QuellFeatures *quell_features_create(const QuellConfig *cfg, double hop_seconds);
void quell_features_destroy(QuellFeatures *features);
/* Forget the running means (they restart from the next frame's values). Audio class. */
void quell_features_reset(QuellFeatures *features);
/* energy[nb_bands] -> out[2 * nb_bands]. Audio class. */
void quell_features_compute(QuellFeatures *features, const float *energy, float *out);

#endif
