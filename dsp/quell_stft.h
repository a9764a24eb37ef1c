/* quell_stft.h — low-latency STFT with an asymmetric analysis/synthesis window pair
 * (Mauler & Martin 2007; Wang et al. 2022): a window of `window_hops` hops gives the model
 * long context while the synthesis window spans only the last two hops, so the algorithmic
 * latency is two hops whatever the analysis length. */
#ifndef QUELL_STFT_H
#define QUELL_STFT_H

#include <stdint.h>

#include <fftw3.h>

typedef struct QuellStft QuellStft;

/* FFT size = window = hop * window_hops. Plans are made here (FFTW_ESTIMATE, thread-safe
 * planner). NULL on failure. Instantiation class. */
QuellStft *quell_stft_create(uint32_t hop, uint32_t window_hops);
void quell_stft_destroy(QuellStft *stft);

uint32_t quell_stft_window(const QuellStft *stft);
uint32_t quell_stft_bins(const QuellStft *stft);

/* Allocates / frees a spectrum of stft bins with FFTW's alignment. */
fftwf_complex *quell_stft_spectrum_alloc(const QuellStft *stft);
void quell_stft_spectrum_free(fftwf_complex *spectrum);

/* Windows the last `window` input samples and transforms them into spec. Audio class. */
void quell_stft_analyze(QuellStft *stft, const float *frame, fftwf_complex *spec);

/* Bin power |X_k|^2 / N^2 (scaled so a tone reads the same at every rate and FFT size), written
 * into power, or added to it (accumulate != 0) to sum channels. */
void quell_stft_power(const QuellStft *stft, const fftwf_complex *spec, float *power,
                      int accumulate);

/* Inverse transform of spec (left unchanged), synthesis-windowed and added into ola[0..2*hop):
 * only the last two hops of the synthesis window are non-zero. Audio class. */
void quell_stft_synthesize_add(QuellStft *stft, const fftwf_complex *spec, float *ola);

/* Scales every bin of spec by the real gain bin_gain[k] (the phase is kept). Audio class. */
void quell_stft_apply_gain(const QuellStft *stft, fftwf_complex *spec, const float *bin_gain);

/* After synthesize_add, the first hop of ola is finished: copies it to out_hop, shifts the
 * second hop down and zeroes the tail, ready for the next frame. Audio class. */
void quell_stft_ola_advance(const QuellStft *stft, float *ola, float *out_hop);

#endif
