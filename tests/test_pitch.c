/* test_pitch — the pitch-correlation features (dsp/quell_pitch.c): a harmonic tone finds its
 * period (or a multiple of it) and reads close to 1 in every band it covers, at 16..96 kHz; white
 * noise reads close to 0; digital silence reads exactly 0; linked channels with the same signal
 * read as mono; a reset makes the next frames identical to a fresh analysis'. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../dsp/quell_analysis.h"
#include "quell_test.h"

/* Streams x[0..n) through the analysis hop by hop, as the engine does (zeros before the start),
 * for `channels` identical channels. Writes the features of every frame (frames * nfeat) and the
 * period chosen for the last one. Returns the frame count. */
static long quell_test_pitch_stream(QuellAnalysis *a, const QuellConfig *cfg, const float *x,
                                    long n, int channels, float *feats, uint32_t *period)
{
  float *win = calloc(a->window, sizeof(float));
  fftwf_complex *spec[2] = {quell_stft_spectrum_alloc(a->stft), quell_stft_spectrum_alloc(a->stft)};
  const float *frames[2] = {win, win};
  long t = 0;
  for (long end = a->hop; end <= n; end += a->hop, t++) {
    memmove(win, win + a->hop, sizeof(float) * (a->window - a->hop));
    memcpy(win + a->window - a->hop, x + end - a->hop, sizeof(float) * a->hop);
    quell_analysis_frame(a, frames, channels, spec, feats + (size_t)t * cfg->nfeat);
  }
  *period = quell_pitch_period(a->pitch);
  quell_stft_spectrum_free(spec[0]);
  quell_stft_spectrum_free(spec[1]);
  free(win);
  return t;
}

/* Mean of the correlation features of frames [from, frames) in bands centred in [lo_hz, hi_hz). */
static double quell_test_mean_corr(const QuellConfig *cfg, const float *feats, long from,
                                   long frames, double lo_hz, double hi_hz)
{
  double c[128], sum = 0.0;
  long count = 0;
  quell_bands_centres(cfg, c);
  for (long t = from; t < frames; t++)
    for (uint32_t b = 0; b < cfg->nb_bands; b++)
      if (c[b] >= lo_hz && c[b] < hi_hz) {
        sum += feats[(size_t)t * cfg->nfeat + 2 * cfg->nb_bands + b];
        count++;
      }
  return count ? sum / count : NAN;
}

int main(void)
{
  QuellConfig cfg;
  quell_config_default(&cfg);
  QUELL_REQUIRE(cfg.nfeat == 3 * cfg.nb_bands, "default config has no pitch features");
  const double rates[] = {16000, 44100, 48000, 96000};
  const double f0s[] = {90, 140, 220, 330};
  unsigned seed = 1;
  for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
    const double rate = rates[r];
    const long n = (long)(rate * 0.6);
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
    float *f1 = malloc(sizeof(float) * (n / 16 + 1) * cfg.nfeat);
    float *f2 = malloc(sizeof(float) * (n / 16 + 1) * cfg.nfeat);
    QuellAnalysis *a = quell_analysis_create(&cfg, rate);
    QUELL_REQUIRE(a && a->pitch, "analysis at %g Hz", rate);
    uint32_t period;

    for (size_t i = 0; i < sizeof f0s / sizeof f0s[0]; i++) {
      const double f0 = f0s[i];
      for (long k = 0; k < n; k++) {
        double s = 0.0;
        for (int h = 1; h * f0 < 3400.0; h++) s += sin(2 * M_PI * f0 * h * k / rate + h) / h;
        x[k] = (float)(0.2 * s);
      }
      quell_analysis_reset(a);
      const long frames = quell_test_pitch_stream(a, &cfg, x, n, 1, f1, &period);
      const double periods = period * f0 / rate; /* 1 (or a multiple: an octave error) */
      QUELL_CHECK(fabs(periods - floor(periods + 0.5)) < 0.02 && periods > 0.5,
                  "%g Hz, f0 %g: period %u samples = %.3f pitch periods", rate, f0, period,
                  periods);
      const double voiced = quell_test_mean_corr(&cfg, f1, frames / 2, frames, f0, 3000.0);
      QUELL_CHECK(voiced > 0.95, "%g Hz, f0 %g: harmonic bands correlate only %.3f", rate, f0,
                  voiced);
    }

    /* White noise: no repetition to find (the best of ~a hundred lags still biases it up). */
    for (long k = 0; k < n; k++) x[k] = 0.3f * quell_test_noise(&seed);
    quell_analysis_reset(a);
    long frames = quell_test_pitch_stream(a, &cfg, x, n, 1, f1, &period);
    const double noise = quell_test_mean_corr(&cfg, f1, 10, frames, 0.0, rate / 2);
    QUELL_CHECK(noise > -0.1 && noise < 0.25, "%g Hz: white noise correlates %.3f", rate, noise);

    /* Two identical linked channels read as one (their mean is the same signal). */
    quell_analysis_reset(a);
    quell_test_pitch_stream(a, &cfg, x, n, 2, f2, &period);
    double worst = 0.0;
    for (long t = 0; t < frames; t++)
      for (uint32_t b = 0; b < cfg.nb_bands; b++) {
        const size_t j = (size_t)t * cfg.nfeat + 2 * cfg.nb_bands + b;
        worst = fmax(worst, fabs(f1[j] - f2[j]));
      }
    QUELL_CHECK(worst < 1e-4, "%g Hz: stereo of one signal differs from mono by %g", rate, worst);

    /* Reset: after other audio, the same frames as a fresh analysis, bit for bit. */
    for (long k = 0; k < n; k++) y[k] = 0.5f * sinf((float)(2 * M_PI * 150.0 * k / rate));
    QuellAnalysis *fresh = quell_analysis_create(&cfg, rate);
    quell_test_pitch_stream(fresh, &cfg, y, n, 1, f2, &period);
    quell_analysis_reset(a);
    quell_test_pitch_stream(a, &cfg, y, n, 1, f1, &period);
    QUELL_CHECK(memcmp(f1, f2, sizeof(float) * frames * cfg.nfeat) == 0,
                "%g Hz: reset analysis differs from a fresh one", rate);
    quell_analysis_destroy(fresh);

    /* Digital silence: exactly 0, never NaN. */
    memset(x, 0, sizeof(float) * n);
    quell_analysis_reset(a);
    frames = quell_test_pitch_stream(a, &cfg, x, n, 1, f1, &period);
    int zero = 1;
    for (long t = 0; t < frames; t++)
      for (uint32_t b = 0; b < cfg.nb_bands; b++)
        zero &= f1[(size_t)t * cfg.nfeat + 2 * cfg.nb_bands + b] == 0.0f;
    QUELL_CHECK(zero, "%g Hz: silence has non-zero pitch correlation", rate);

    quell_analysis_destroy(a);
    free(x); free(y); free(f1); free(f2);
  }

  /* A model without pitch features (nfeat = 2 * nb, older blobs) gets no tracker. */
  cfg.nfeat = 2 * cfg.nb_bands;
  QuellAnalysis *plain = quell_analysis_create(&cfg, 48000);
  QUELL_CHECK(plain && !plain->pitch, "2*nb analysis has a pitch tracker");
  quell_analysis_destroy(plain);
  return quell_test_finish("test_pitch");
}
