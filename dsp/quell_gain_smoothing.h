/* quell_gain_smoothing.h — how the network's band gains become the gains the engine applies,
 * one frame at a time: instant rise while voice is present, a slow rise in speech-free frames,
 * and a slow fall always. */
#ifndef QUELL_GAIN_SMOOTHING_H
#define QUELL_GAIN_SMOOTHING_H

#include <stdint.h>

#include "quell.h"

/* Gains fall no faster than this time constant (a release), which keeps musical noise and
 * pumping down. 15, 30 and 60 ms are measured in model/MODEL.md: longer keeps more of a word at a
 * cold start, 60 ms at some cost in DNSMOS and SI-SDR. */
#define QUELL_RELEASE_MS 30.0
/* In a frame the network calls speech-free (voice probability under the threshold below) a band
 * gain rises towards the network's value with this time constant instead of at once: an isolated
 * one-frame gain spike in a pause is what a listener hears as musical noise ("birdies"), and it
 * is what DNSMOS marked down most once the attenuation floor no longer masked it. Word onsets are
 * barely slowed (0.15 dB less speech in their first 15 ms on dev/mix48): the voice probability
 * crosses the threshold in an onset's first frames and from then on every rise is immediate
 * (model/MODEL.md measures the onsets). */
#define QUELL_PAUSE_RISE_MS 50.0
#define QUELL_PAUSE_VOICE_PROB 0.5f

typedef struct {
  float release_coef;    /* a gain falls to no less than this times its last value per frame */
  float pause_rise_coef; /* share of a rise taken per speech-free frame */
  float voice_threshold; /* voice probability at or above which a frame counts as speech */
} QuellGainSmoothing;

/* Coefficients for frames hop_s seconds apart. */
QUELL_API void quell_gain_smoothing_init(QuellGainSmoothing *s, double hop_s);

/* One frame: gain[nb] (the gains applied last frame, updated in place) from the network's
 * raw[nb] and its voice probability. rise[nb] is the rise-limited network gain, state of its own:
 * it follows a fall of the network's gain at once, so a spike in a pause is limited relative to
 * the pause's own level, not to a gain still releasing from the last word. The engine starts
 * both at 1 (see quell_engine_reset_estimator).
 * Allocation-free; a NaN voice probability counts as speech-free. */
QUELL_API void quell_gain_smoothing_step(const QuellGainSmoothing *s, const float *raw,
                                         float voice_prob, float *rise, float *gain,
                                         uint32_t nb);

#endif
