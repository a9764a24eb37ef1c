/* quell_train.h — the engine's own analysis, exposed for training and tests (one source of
 * truth: the features a model is trained on are computed by exactly the code that computes
 * them in the plugin). Built into build/libquell_dsp.so, loaded by model/quell_dsp.py (ctypes).
 * Everything here is instantiation class (allocates); none of it is used by the plugin's run(). */
#ifndef QUELL_TRAIN_H
#define QUELL_TRAIN_H

#include "quell.h"
#include "quell_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Number of frames quell_train_analyze produces for n samples: floor(n / hop). Frame t covers
 * input samples [(t+1)*hop - window, (t+1)*hop) (zeros before the start), exactly as the
 * streaming engine sees them. Its gains act on output samples delayed by quell latency. */
QUELL_API long quell_train_frame_count(const QuellConfig *cfg, double rate, long n);

/* Analyses a mono signal as the engine would, frame by frame.
 *   noisy[n]                      input signal (required)
 *   clean[n]                      optional reference (NULL: clean_energy not written)
 *   features[frames * nfeat]      engine features of `noisy` (NULL: skipped)
 *   noisy_energy[frames * nb]     band energies E_b of noisy (NULL: skipped)
 *   clean_energy[frames * nb]     band energies E_b of clean (NULL: skipped)
 * max_frames is the capacity of the arrays in frames. Returns frames written, or -1 on error
 * (bad config or rate, too small capacity, out of memory). */
QUELL_API long quell_train_analyze(const QuellConfig *cfg, double rate, const float *noisy,
                         const float *clean, long n, float *features, float *noisy_energy,
                         float *clean_energy, long max_frames);

/* Filters a mono signal with given band gains through the engine's own filterbank (analysis
 * window, band-to-bin interpolation, synthesis overlap-add), without the network: gains for
 * frame t (frames = quell_train_frame_count) act on the same frame quell_train_analyze reports
 * as t. out[n] is delayed by the engine's latency (2 hops), like the plugin's output; unity
 * gains reproduce in[] delayed. Used for the ideal-gain ("oracle") row of `make eval`, the upper
 * bound of what any band-gain estimator in this filterbank can do. Returns 0 or -1. */
QUELL_API int quell_train_apply_gains(const QuellConfig *cfg, double rate, const float *in, long n,
                                      const float *band_gains, float *out);

/* Band centres in Hz (nb entries) for this config; rate-independent. Returns 0 or -1. */
QUELL_API int quell_train_band_centres(const QuellConfig *cfg, float *centres_hz);

/* Runs the model's network alone on precomputed features (frames * nfeat), writing band gains
 * (frames * nb) and voice probability (frames). State starts from zero. For golden-vector tests.
 * Returns 0 or -1. */
QUELL_API int quell_train_run_net(const QuellModel *model, const float *features, long frames,
                        float *gains, float *voice_prob);

/* Convenience for ctypes: copies the model's configuration. */
QUELL_API void quell_train_model_config(const QuellModel *model, QuellConfig *cfg);

#ifdef __cplusplus
}
#endif
#endif
