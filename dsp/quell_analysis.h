/* quell_analysis.h — one frame of analysis: STFT of each channel, linked band energies and
 * features. The engine and the training export (quell_train.c) both call exactly this. */
#ifndef QUELL_ANALYSIS_H
#define QUELL_ANALYSIS_H

#include "quell_bands.h"
#include "quell_config.h"
#include "quell_features.h"
#include "quell_pitch.h"
#include "quell_stft.h"

typedef struct {
  QuellStft *stft;
  QuellBands *bands;
  QuellFeatures *features;
  QuellPitch *pitch; /* NULL unless the model's features include pitch correlation */
  uint32_t hop, window, bins, nb;
  float *power;  /* bins: power averaged over channels */
  float *energy; /* nb_bands */
} QuellAnalysis;

/* NULL if the rate is unsupported or memory runs out. Instantiation class. */
QuellAnalysis *quell_analysis_create(const QuellConfig *cfg, double rate);
void quell_analysis_destroy(QuellAnalysis *a);

/* frames[c] point at the last `window` samples of channel c; specs[c] receive the spectra.
 * Fills a->power, a->energy and features[nfeat]. Channels share one estimate, so the gains
 * are linked. Audio class. */
void quell_analysis_frame(QuellAnalysis *a, const float *const *frames, int channels,
                          fftwf_complex *const *specs, float *features);

/* Forget the feature state (running means, pitch history), as after create. Audio class. */
void quell_analysis_reset(QuellAnalysis *a);

/* Band energies of a single frame without touching the feature state (training targets). */
void quell_analysis_energy(QuellAnalysis *a, const float *frame, fftwf_complex *spec,
                           float *energy);

#endif
