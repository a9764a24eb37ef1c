/* quell_pitch.c — pitch period search and per-band pitch correlation (see quell_pitch.h).
 *
 * The period is searched on a ~8 kHz decimated copy of the mono history (normalised
 * cross-correlation of the newest window with the window L samples earlier), then refined at the
 * full rate around the coarse result. An octave error (2T instead of T) costs little here: the
 * signal also repeats after 2T, so the correlation feature stays high for voiced bands. */
#include "quell_pitch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Search range: 62.5..500 Hz covers adult and most children's voices. */
#define QUELL_PITCH_MIN_S 0.002
#define QUELL_PITCH_MAX_S 0.016
/* Rate of the coarse search: enough for voice fundamentals and low harmonics. */
#define QUELL_PITCH_COARSE_HZ 8000.0

struct QuellPitch {
  QuellStft *stft;
  const QuellBands *bands;
  uint32_t nb, hop, window, bins;
  uint32_t min_lag, max_lag; /* full rate, samples */
  uint32_t decim;            /* full-rate samples per coarse sample */
  uint32_t hist_len;         /* window + max_lag */
  uint32_t period;           /* last chosen period */
  float *hist;               /* mono history, newest sample last */
  float *coarse;             /* decimated history */
  fftwf_complex *mix, *delayed;
  float *cross, *px, *pp;    /* per bin: Re(X P*), |X|^2, |P|^2 */
  float *bx, *bp;            /* per band sums of px, pp (cross goes into corr) */
};

QuellPitch *quell_pitch_create(QuellStft *stft, const QuellBands *bands, uint32_t nb_bands,
                               uint32_t hop, double rate)
{
  if (!stft || !bands || nb_bands == 0 || hop == 0 || !(rate > 0.0)) return NULL;
  QuellPitch *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->stft = stft;
  p->bands = bands;
  p->nb = nb_bands;
  p->hop = hop;
  p->window = quell_stft_window(stft);
  p->bins = quell_stft_bins(stft);
  p->min_lag = (uint32_t)ceil(QUELL_PITCH_MIN_S * rate);
  p->max_lag = (uint32_t)floor(QUELL_PITCH_MAX_S * rate);
  const double d = floor(rate / QUELL_PITCH_COARSE_HZ + 0.5);
  p->decim = d < 1.0 ? 1u : (uint32_t)d;
  p->hist_len = p->window + p->max_lag;
  p->hist = calloc(p->hist_len, sizeof(float));
  p->coarse = calloc(p->hist_len / p->decim + 1, sizeof(float));
  p->mix = quell_stft_spectrum_alloc(stft);
  p->delayed = quell_stft_spectrum_alloc(stft);
  p->cross = calloc(p->bins, sizeof(float));
  p->px = calloc(p->bins, sizeof(float));
  p->pp = calloc(p->bins, sizeof(float));
  p->bx = calloc(nb_bands, sizeof(float));
  p->bp = calloc(nb_bands, sizeof(float));
  if (!p->hist || !p->coarse || !p->mix || !p->delayed || !p->cross || !p->px || !p->pp ||
      !p->bx || !p->bp) {
    quell_pitch_destroy(p);
    return NULL;
  }
  quell_pitch_reset(p);
  return p;
}

void quell_pitch_destroy(QuellPitch *p)
{
  if (!p) return;
  free(p->hist);
  free(p->coarse);
  quell_stft_spectrum_free(p->mix);
  quell_stft_spectrum_free(p->delayed);
  free(p->cross);
  free(p->px);
  free(p->pp);
  free(p->bx);
  free(p->bp);
  free(p);
}

void quell_pitch_reset(QuellPitch *p)
{
  memset(p->hist, 0, sizeof(float) * p->hist_len);
  p->period = p->min_lag;
}

uint32_t quell_pitch_period(const QuellPitch *p) { return p->period; }

/* Dot product in 4-wide vectors (GCC/Clang vector extensions; plain C would keep one running
 * sum, whose fixed order of additions the compiler may not vectorise). The pitch search is most
 * of the tracker's cost. */
typedef float quell_pitch_v4 __attribute__((vector_size(16)));

static float quell_pitch_dot(const float *a, const float *b, uint32_t n)
{
  quell_pitch_v4 s0 = {0.0f, 0.0f, 0.0f, 0.0f}, s1 = s0;
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    quell_pitch_v4 a0, a1, b0, b1; /* memcpy: unaligned loads */
    memcpy(&a0, a + i, sizeof a0);
    memcpy(&a1, a + i + 4, sizeof a1);
    memcpy(&b0, b + i, sizeof b0);
    memcpy(&b1, b + i + 4, sizeof b1);
    s0 += a0 * b0;
    s1 += a1 * b1;
  }
  float r = 0.0f;
  for (; i < n; i++) r += a[i] * b[i];
  const quell_pitch_v4 s = s0 + s1;
  return r + ((s[0] + s[1]) + (s[2] + s[3]));
}

/* Best lag in [lo, hi] (hi >= lo) for x's newest n samples: the largest normalised
 * cross-correlation of x[0..n) with x[-lag..n-lag) (lags whose part is silent score 0); the
 * first of equal scores. The lagged energy slides by one sample per lag instead of being
 * summed again. */
static uint32_t quell_pitch_search(const float *x, uint32_t n, uint32_t lo, uint32_t hi)
{
  const float xx = quell_pitch_dot(x, x, n);
  float yy = quell_pitch_dot(x - lo, x - lo, n);
  uint32_t best = lo;
  float best_score = -2.0f;
  for (uint32_t lag = lo; lag <= hi; lag++) {
    const float *y = x - lag;
    if (lag > lo) {
      yy += y[0] * y[0] - y[n] * y[n];
      if (yy < 0.0f) yy = 0.0f;
    }
    const float den = xx * yy;
    const float s = den > 1e-30f ? quell_pitch_dot(x, y, n) / sqrtf(den) : 0.0f;
    if (s > best_score) {
      best_score = s;
      best = lag;
    }
  }
  return best;
}

static uint32_t quell_pitch_estimate(QuellPitch *p)
{
  /* Coarse: sum every `decim` samples of the history (a boxcar low-pass; the scale cancels in
   * the normalised score). The newest sample ends the last block. */
  const uint32_t D = p->decim, nc = p->hist_len / D, off = p->hist_len - nc * D;
  for (uint32_t i = 0; i < nc; i++) {
    const float *h = p->hist + off + (size_t)i * D;
    float s = 0.0f;
    for (uint32_t j = 0; j < D; j++) s += h[j];
    p->coarse[i] = s;
  }
  const uint32_t wc = p->window / D;
  uint32_t lo = (p->min_lag + D - 1) / D, hi = p->max_lag / D;
  if (hi + wc > nc) hi = nc - wc;
  if (lo < 1) lo = 1;
  if (hi < lo) hi = lo;
  const uint32_t coarse = quell_pitch_search(p->coarse + (nc - wc), wc, lo, hi);
  /* Fine: the full-rate lags the coarse one stands for. */
  uint32_t flo = coarse * D > D ? coarse * D - (D - 1) : 1, fhi = coarse * D + (D - 1);
  if (flo < p->min_lag) flo = p->min_lag;
  if (fhi > p->max_lag) fhi = p->max_lag;
  if (fhi < flo) fhi = flo;
  return quell_pitch_search(p->hist + p->max_lag, p->window, flo, fhi);
}

void quell_pitch_correlation(QuellPitch *p, const float *const *frames, int channels,
                             const fftwf_complex *const *specs, float *corr)
{
  /* History: shift by one hop, append the newest hop of the channel mean. */
  const uint32_t W = p->window, hop = p->hop, H = p->hist_len;
  memmove(p->hist, p->hist + hop, sizeof(float) * (H - hop));
  const float inv = 1.0f / (float)channels;
  for (uint32_t i = 0; i < hop; i++) {
    float s = 0.0f;
    for (int c = 0; c < channels; c++) s += frames[c][W - hop + i];
    p->hist[H - hop + i] = s * inv;
  }
  p->period = quell_pitch_estimate(p);
  quell_stft_analyze(p->stft, p->hist + (H - W - p->period), p->delayed);

  /* The channel-mean spectrum is the mean of the channel spectra (the DFT is linear). */
  const fftwf_complex *x = specs[0];
  if (channels > 1) {
    for (uint32_t k = 0; k < p->bins; k++) {
      float re = 0.0f, im = 0.0f;
      for (int c = 0; c < channels; c++) {
        re += specs[c][k][0];
        im += specs[c][k][1];
      }
      p->mix[k][0] = re * inv;
      p->mix[k][1] = im * inv;
    }
    x = (const fftwf_complex *)p->mix;
  }
  const fftwf_complex *d = (const fftwf_complex *)p->delayed;
  for (uint32_t k = 0; k < p->bins; k++) {
    p->cross[k] = x[k][0] * d[k][0] + x[k][1] * d[k][1];
    p->px[k] = x[k][0] * x[k][0] + x[k][1] * x[k][1];
    p->pp[k] = d[k][0] * d[k][0] + d[k][1] * d[k][1];
  }
  /* Triangular band sums, the same weights as the band energies. */
  quell_bands_energy(p->bands, p->cross, corr);
  quell_bands_energy(p->bands, p->px, p->bx);
  quell_bands_energy(p->bands, p->pp, p->bp);
  for (uint32_t b = 0; b < p->nb; b++) {
    const float den = p->bx[b] * p->bp[b];
    const float r = den > 1e-30f ? corr[b] / sqrtf(den) : 0.0f;
    corr[b] = r > 1.0f ? 1.0f : r < -1.0f ? -1.0f : r;
  }
}
