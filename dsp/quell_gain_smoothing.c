/* quell_gain_smoothing.c — see quell_gain_smoothing.h. */
#include "quell_gain_smoothing.h"

#include <math.h>

void quell_gain_smoothing_init(QuellGainSmoothing *s, double hop_s)
{
  s->release_coef = (float)exp(-hop_s / (QUELL_RELEASE_MS * 1e-3));
  s->pause_rise_coef = (float)(1.0 - exp(-hop_s / (QUELL_PAUSE_RISE_MS * 1e-3)));
  s->voice_threshold = QUELL_PAUSE_VOICE_PROB;
}

void quell_gain_smoothing_step(const QuellGainSmoothing *s, const float *raw, float voice_prob,
                               float *rise, float *gain, uint32_t nb)
{
  const int speech = voice_prob >= s->voice_threshold;
  for (uint32_t b = 0; b < nb; b++) {
    float r = raw[b];
    if (!speech && r > rise[b]) r = rise[b] + s->pause_rise_coef * (r - rise[b]);
    rise[b] = r;
    const float released = s->release_coef * gain[b];
    gain[b] = r > released ? r : released;
  }
}
