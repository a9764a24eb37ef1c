/* quell_stft.c — windows, FFTW plans and the analysis/synthesis steps. */
#include "quell_stft.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct QuellStft {
  uint32_t hop, window, bins;
  float *analysis;       /* w_a, length window */
  float *synthesis;      /* w_s / window (the 1/N of the inverse DFT folded in), length window */
  float *time;           /* FFTW-aligned work buffer, length window */
  fftwf_complex *work;   /* c2r destroys its input, so synthesis copies into this first */
  fftwf_plan forward, inverse;
};

/* FFTW's planner is not thread-safe and hosts instantiate plugins from several threads.
 * fftwf_make_planner_thread_safe() protects it process-wide (also against other users of
 * FFTW in the host); our own mutex keeps create/destroy ordered even with an FFTW that
 * predates it. */
static pthread_once_t quell_stft_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t quell_stft_planner_lock = PTHREAD_MUTEX_INITIALIZER;
static void quell_stft_init_planner(void) { fftwf_make_planner_thread_safe(); }

/* Periodic Hann of length L. */
static double quell_stft_hann(uint32_t n, uint32_t L) { return 0.5 - 0.5 * cos(2.0 * M_PI * n / L); }

QuellStft *quell_stft_create(uint32_t hop, uint32_t window_hops)
{
  if (hop == 0 || window_hops < 2) return NULL;
  QuellStft *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  const uint32_t N = hop * window_hops, M = hop;
  s->hop = hop;
  s->window = N;
  s->bins = N / 2 + 1;
  s->analysis = fftwf_malloc(sizeof(float) * N);
  s->synthesis = fftwf_malloc(sizeof(float) * N);
  s->time = fftwf_malloc(sizeof(float) * N);
  s->work = fftwf_malloc(sizeof(fftwf_complex) * s->bins);
  if (!s->analysis || !s->synthesis || !s->time || !s->work) goto fail;

  /* w_a: slow sqrt-Hann rise over N-M samples, fast sqrt-Hann fall over the last M.
   * w_s: zero before the last 2M; there w_a*w_s is a Hann of length 2M, which sums to one
   * at hop M, so unity gains reconstruct the input exactly. */
  for (uint32_t n = 0; n < N; n++) {
    const double wa = n < N - M ? sqrt(quell_stft_hann(n, 2 * (N - M)))
                                : sqrt(quell_stft_hann(n - (N - 2 * M), 2 * M));
    double ws = 0.0;
    if (n >= N - 2 * M && wa > 1e-9) ws = quell_stft_hann(n - (N - 2 * M), 2 * M) / wa;
    s->analysis[n] = (float)wa;
    s->synthesis[n] = (float)(ws / N);
  }

  pthread_once(&quell_stft_once, quell_stft_init_planner);
  pthread_mutex_lock(&quell_stft_planner_lock);
  s->forward = fftwf_plan_dft_r2c_1d((int)N, s->time, s->work, FFTW_ESTIMATE);
  s->inverse = fftwf_plan_dft_c2r_1d((int)N, s->work, s->time, FFTW_ESTIMATE);
  pthread_mutex_unlock(&quell_stft_planner_lock);
  if (!s->forward || !s->inverse) goto fail;
  return s;
fail:
  quell_stft_destroy(s);
  return NULL;
}

void quell_stft_destroy(QuellStft *s)
{
  if (!s) return;
  pthread_mutex_lock(&quell_stft_planner_lock);
  if (s->forward) fftwf_destroy_plan(s->forward);
  if (s->inverse) fftwf_destroy_plan(s->inverse);
  pthread_mutex_unlock(&quell_stft_planner_lock);
  fftwf_free(s->analysis);
  fftwf_free(s->synthesis);
  fftwf_free(s->time);
  fftwf_free(s->work);
  free(s);
}

uint32_t quell_stft_window(const QuellStft *s) { return s->window; }
uint32_t quell_stft_bins(const QuellStft *s) { return s->bins; }

fftwf_complex *quell_stft_spectrum_alloc(const QuellStft *s)
{
  fftwf_complex *x = fftwf_malloc(sizeof(fftwf_complex) * s->bins);
  if (x) memset(x, 0, sizeof(fftwf_complex) * s->bins);
  return x;
}

void quell_stft_spectrum_free(fftwf_complex *spectrum) { fftwf_free(spectrum); }

void quell_stft_analyze(QuellStft *s, const float *frame, fftwf_complex *spec)
{
  for (uint32_t n = 0; n < s->window; n++) s->time[n] = frame[n] * s->analysis[n];
  /* New-array execute: spec comes from fftwf_malloc, so it has the plan's alignment. */
  fftwf_execute_dft_r2c(s->forward, s->time, spec);
}

void quell_stft_power(const QuellStft *s, const fftwf_complex *spec, float *power, int accumulate)
{
  const float scale = 1.0f / ((float)s->window * (float)s->window);
  for (uint32_t k = 0; k < s->bins; k++) {
    const float p = (spec[k][0] * spec[k][0] + spec[k][1] * spec[k][1]) * scale;
    power[k] = accumulate ? power[k] + p : p;
  }
}

void quell_stft_synthesize_add(QuellStft *s, const fftwf_complex *spec, float *ola)
{
  memcpy(s->work, spec, sizeof(fftwf_complex) * s->bins);
  fftwf_execute(s->inverse);
  const uint32_t start = s->window - 2 * s->hop;
  for (uint32_t j = 0; j < 2 * s->hop; j++) ola[j] += s->time[start + j] * s->synthesis[start + j];
}

void quell_stft_apply_gain(const QuellStft *s, fftwf_complex *spec, const float *bin_gain)
{
  for (uint32_t k = 0; k < s->bins; k++) {
    spec[k][0] *= bin_gain[k];
    spec[k][1] *= bin_gain[k];
  }
}

void quell_stft_ola_advance(const QuellStft *s, float *ola, float *out_hop)
{
  memcpy(out_hop, ola, sizeof(float) * s->hop);
  memmove(ola, ola + s->hop, sizeof(float) * s->hop);
  memset(ola + s->hop, 0, sizeof(float) * s->hop);
}
