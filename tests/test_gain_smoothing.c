/* test_gain_smoothing — the band gains the engine applies (dsp/quell_gain_smoothing.c): a rise
 * is immediate in a speech frame and slow in a speech-free one, a fall is never faster than the
 * release, and both time constants are the ones the header states at every frame rate. */
#include <math.h>

#include "../dsp/quell_gain_smoothing.h"
#include "quell_test.h"

#define NB 4

static void fill(float *x, float v)
{
  for (int b = 0; b < NB; b++) x[b] = v;
}

int main(void)
{
  const double hop_s = 0.005;
  QuellGainSmoothing s;
  quell_gain_smoothing_init(&s, hop_s);
  float gain[NB], rise[NB], raw[NB];

  /* Speech frame: the network's rise passes at once (word onsets are not slowed). */
  fill(gain, 0.01f);
  fill(rise, 0.01f);
  fill(raw, 0.9f);
  quell_gain_smoothing_step(&s, raw, 0.9f, rise, gain, NB);
  for (int b = 0; b < NB; b++) QUELL_CHECK(gain[b] == 0.9f, "speech rise: %g, want 0.9", gain[b]);
  /* Exactly at the threshold counts as speech. */
  fill(gain, 0.01f);
  fill(rise, 0.01f);
  quell_gain_smoothing_step(&s, raw, QUELL_PAUSE_VOICE_PROB, rise, gain, NB);
  QUELL_CHECK(gain[0] == 0.9f, "rise at the threshold: %g", gain[0]);

  /* Speech-free frame: a one-frame spike moves the gain by only the pause-rise share, and the
   * next (quiet) frame releases from there: the spike never reaches the output. */
  fill(gain, 0.01f);
  fill(rise, 0.01f);
  quell_gain_smoothing_step(&s, raw, 0.1f, rise, gain, NB);
  const float want = 0.01f + (1.0f - expf(-(float)(hop_s / (QUELL_PAUSE_RISE_MS * 1e-3)))) * 0.89f;
  QUELL_CHECK(fabsf(gain[0] - want) < 1e-6f, "pause spike: %g, want %g", gain[0], want);
  QUELL_CHECK(gain[0] < 0.1f, "pause spike reached %g", gain[0]);
  /* NaN voice probability: speech-free, not a pass. */
  fill(gain, 0.01f);
  fill(rise, 0.01f);
  quell_gain_smoothing_step(&s, raw, NAN, rise, gain, NB);
  QUELL_CHECK(gain[0] < 0.1f, "NaN voice probability let the spike through: %g", gain[0]);

  /* A sustained rise in a pause gets to 63 % of the way in one time constant. */
  fill(gain, 0.0f);
  fill(rise, 0.0f);
  const int tc_frames = (int)lround(QUELL_PAUSE_RISE_MS * 1e-3 / hop_s);
  for (int i = 0; i < tc_frames; i++) quell_gain_smoothing_step(&s, raw, 0.0f, rise, gain, NB);
  QUELL_CHECK(fabsf(gain[0] - 0.9f * (1.0f - expf(-1.0f))) < 0.01f,
              "pause rise after one time constant: %g, want %g", gain[0],
              0.9f * (1.0f - expf(-1.0f)));

  /* Fall: never faster than the release (1/e per QUELL_RELEASE_MS), speech or not. */
  for (int v = 0; v < 2; v++) {
    fill(gain, 1.0f);
    fill(rise, 1.0f);
    fill(raw, 0.0f);
    const int rel_frames = (int)lround(QUELL_RELEASE_MS * 1e-3 / hop_s);
    for (int i = 0; i < rel_frames; i++)
      quell_gain_smoothing_step(&s, raw, v ? 0.9f : 0.1f, rise, gain, NB);
    QUELL_CHECK(fabsf(gain[0] - expf(-1.0f)) < 0.01f, "release after one time constant: %g",
                gain[0]);
  }

  /* A spike in a pause soon after a word: limited relative to the pause's own level (the rise
   * state followed the network down at once), so the output stays on the release curve. */
  fill(gain, 1.0f);
  fill(rise, 1.0f);
  fill(raw, 1.0f);
  quell_gain_smoothing_step(&s, raw, 0.9f, rise, gain, NB);
  fill(raw, 0.01f);
  for (int i = 0; i < 3; i++) quell_gain_smoothing_step(&s, raw, 0.1f, rise, gain, NB);
  const float before = gain[0];
  fill(raw, 0.9f);
  quell_gain_smoothing_step(&s, raw, 0.1f, rise, gain, NB);
  QUELL_CHECK(fabsf(gain[0] - s.release_coef * before) < 1e-6f,
              "spike after a word lifted the release curve: %g, want %g", gain[0],
              s.release_coef * before);
  QUELL_CHECK(rise[0] < 0.1f, "rise state after the spike: %g", rise[0]);

  /* Bands are independent: one band's spike does not lift the others. */
  fill(gain, 0.1f);
  fill(rise, 0.1f);
  fill(raw, 0.1f);
  raw[2] = 1.0f;
  quell_gain_smoothing_step(&s, raw, 1.0f, rise, gain, NB);
  QUELL_CHECK(gain[2] == 1.0f && gain[0] == 0.1f && gain[3] == 0.1f, "bands mixed: %g %g %g",
              gain[0], gain[2], gain[3]);

  /* The same time constants at another frame rate (hop 2.5 ms). */
  quell_gain_smoothing_init(&s, 0.0025);
  fill(gain, 1.0f);
  fill(rise, 1.0f);
  fill(raw, 0.0f);
  for (int i = 0; i < (int)lround(QUELL_RELEASE_MS * 1e-3 / 0.0025); i++)
    quell_gain_smoothing_step(&s, raw, 0.0f, rise, gain, NB);
  QUELL_CHECK(fabsf(gain[0] - expf(-1.0f)) < 0.01f, "release at 2.5 ms hops: %g", gain[0]);

  return quell_test_finish("test_gain_smoothing");
}
