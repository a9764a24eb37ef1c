/* quell_pitch.h — per-band pitch correlation: how much of each band's content repeats one pitch
 * period earlier (RNNoise's pitch-correlation feature, Valin 2018). Inside one band, voiced speech
 * and noise of the same energy look identical to the band-energy features; speech repeats after a
 * pitch period (correlation near 1) and noise does not (near 0), which lets the net keep voiced
 * bands and cut noisy ones instead of trading one for the other. Used when a model's nfeat is
 * 3 * nb_bands (model/FORMAT.md). */
#ifndef QUELL_PITCH_H
#define QUELL_PITCH_H

#include <stdint.h>

#include "quell_bands.h"
#include "quell_stft.h"

typedef struct QuellPitch QuellPitch;

/* hop: samples between frames. stft and bands are the analysis' own (borrowed: they must outlive
 * the tracker), so the delayed frame is windowed and transformed exactly like the current one.
 * NULL on bad input or no memory. Instantiation class. */
QuellPitch *quell_pitch_create(QuellStft *stft, const QuellBands *bands, uint32_t nb_bands,
                               uint32_t hop, double rate);
void quell_pitch_destroy(QuellPitch *pitch);

/* Forget the signal history (it restarts as zeros, like the start of a stream). Audio class. */
void quell_pitch_reset(QuellPitch *pitch);

/* One frame. frames[c] are the last `window` samples of each channel (the newest hop is appended
 * to the tracker's mono history), specs[c] their spectra from quell_stft_analyze. Writes
 * corr[nb_bands] in [-1, 1]: the normalised band cross-power of the channel-mean spectrum and the
 * spectrum of the same window one pitch period earlier (0 for bands without energy). Audio class. */
void quell_pitch_correlation(QuellPitch *pitch, const float *const *frames, int channels,
                             const fftwf_complex *const *specs, float *corr);

/* Pitch period (samples at the stream rate) chosen for the last frame; for tests. */
uint32_t quell_pitch_period(const QuellPitch *pitch);

#endif
