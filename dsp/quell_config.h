/* quell_config.h — the model/feature configuration a weights blob carries, and what it means
 * at a given sample rate. The blob is the source of truth: the engine derives frame sizes, bands
 * and layer shapes from this struct, never from scattered constants. */
#ifndef QUELL_CONFIG_H
#define QUELL_CONFIG_H

#include <stdint.h>

#include "quell.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Field order and types are mirrored by model/quell_dsp.py (ctypes) and by the blob header in
 * model/FORMAT.md: change all three together and bump QUELL_BLOB_VERSION. */
typedef struct {
  uint32_t hop_us;         /* hop in microseconds (5000 = 5 ms); latency is two hops */
  uint32_t window_hops;    /* analysis window length in hops (4 -> 20 ms of context) */
  uint32_t nb_bands;       /* number of triangular bands on an ERB-like scale */
  float band_fmax_hz;      /* centre of the top band; bins above it get the top band's gain */
  float band_min_hz;       /* minimum spacing of band centres (keeps low bands >= 2 bins wide) */
  float norm_tau_ms;       /* time constant of the running mean of log band energy */
  uint32_t nfeat;          /* features per frame: 2 * nb_bands, or 3 * nb_bands with pitch
                            * correlation (quell_pitch.h); checked */
  uint32_t input_hidden;   /* width of the dense tanh layer in front of the GRUs */
  uint32_t gru_layers;     /* number of stacked GRUs (1..4) */
  uint32_t gru_hidden;     /* hidden size of every GRU */
  uint32_t feature_flags;  /* QUELL_FEATURE_* bits: the blob header's word at offset 60 in
                            * format 2; format 1 blobs read 0 */
} QuellConfig;

/* The running mean behind the normalised features starts as the plain mean of the frames seen
 * so far (coefficient max(1/(n+1), alpha)) instead of the first frame followed by the slow
 * 1-second average: the network then sees steady-state features after a few hundred ms rather
 * than a transient of several seconds, which made it turn down the first words after a cold
 * start (NOIZEUS's 2-3 s files, model trained without it: SI-SDR 8.1 dB cold vs 10.5 dB with
 * the means already warm; model/MODEL.md, model/distortion.py --warm). */
#define QUELL_FEATURE_MEAN_WARMUP 1u
#define QUELL_FEATURE_KNOWN (QUELL_FEATURE_MEAN_WARMUP)

/* The configuration new models are trained with (tests and training start from it). */
QUELL_API void quell_config_default(QuellConfig *cfg);

/* Checks ranges and internal consistency. Returns 0 if usable, else writes one line to err. */
QUELL_API int quell_config_validate(const QuellConfig *cfg, char *err, unsigned long err_len);

/* Samples per hop at this rate: round(rate * hop_us / 1e6). */
QUELL_API uint32_t quell_config_hop_samples(const QuellConfig *cfg, double rate);

/* Width of the concatenated GRU outputs that feed the output layers. */
QUELL_API uint32_t quell_config_gru_concat(const QuellConfig *cfg);

#ifdef __cplusplus
}
#endif
#endif
