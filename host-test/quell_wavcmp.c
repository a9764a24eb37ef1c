/* quell_wavcmp.c — compares two audio files for the host tests (lengths, alignment, difference).
 *
 *   quell-wavcmp A B [MAXLAG]
 *
 * Prints one line of key=value pairs:
 *   frames_a frames_b channels_a channels_b rate_a rate_b
 *   maxdiff   largest |a - b| over the common frames and channels (full scale = 1)
 *   rms_a rms_b
 *   snr       10 log10(sum a^2 / sum (a - b)^2) in dB: how far below a's level the difference
 *             lies (999 when identical)
 *   corr0     normalised correlation of a and b at lag 0 (all channels)
 *   bestlag   lag in -MAXLAG..MAXLAG (default 2000) with the largest correlation; positive means
 *             b is late. The correlation is computed on a decimated grid of lags first and then
 *             refined, so minutes of audio stay cheap.
 * Exit 0 if both files were read, 2 otherwise. The tests assert on the printed numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <sndfile.h>

static float *quell_wavcmp_read(const char *path, SF_INFO *info) {
  SNDFILE *f = sf_open(path, SFM_READ, info);
  if (!f) {
    fprintf(stderr, "quell-wavcmp: %s: %s\n", path, sf_strerror(NULL));
    return NULL;
  }
  const size_t n = (size_t)info->frames * (size_t)info->channels;
  float *buf = malloc((n ? n : 1) * sizeof *buf);
  if (buf && sf_readf_float(f, buf, info->frames) != info->frames) {
    fprintf(stderr, "quell-wavcmp: %s: short read\n", path);
    free(buf);
    buf = NULL;
  }
  sf_close(f);
  return buf;
}

/* Correlation of channel-summed a and b with b shifted by lag (b[i + lag] against a[i]). */
static double quell_wavcmp_corr(const float *a, const float *b, sf_count_t n, int ca, int cb,
                                long lag) {
  double s = 0.0;
  const int c = ca < cb ? ca : cb;
  for (sf_count_t i = 0; i < n; i++) {
    const sf_count_t j = i + lag;
    if (j < 0 || j >= n) continue;
    for (int k = 0; k < c; k++) s += (double)a[i * ca + k] * b[j * cb + k];
  }
  return s;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: quell-wavcmp A B [MAXLAG]\n");
    return 2;
  }
  const long max_lag = argc > 3 ? atol(argv[3]) : 2000;
  SF_INFO ia = {0}, ib = {0};
  float *a = quell_wavcmp_read(argv[1], &ia);
  float *b = a ? quell_wavcmp_read(argv[2], &ib) : NULL;
  if (!a || !b) {
    free(a);
    return 2;
  }
  const sf_count_t n = ia.frames < ib.frames ? ia.frames : ib.frames;
  const int c = ia.channels < ib.channels ? ia.channels : ib.channels;
  double maxdiff = 0.0, ea = 0.0, eb = 0.0, ed = 0.0;
  for (sf_count_t i = 0; i < n; i++)
    for (int k = 0; k < c; k++) {
      const double x = a[i * ia.channels + k], y = b[i * ib.channels + k];
      if (fabs(x - y) > maxdiff) maxdiff = fabs(x - y);
      ea += x * x;
      eb += y * y;
      ed += (x - y) * (x - y);
    }
  const double snr = ed > 0 ? 10.0 * log10(ea / ed) : 999.0;
  const double norm = sqrt(ea * eb);
  const double corr0 = norm > 0 ? quell_wavcmp_corr(a, b, n, ia.channels, ib.channels, 0) / norm : 0;
  /* Coarse search every 8 lags, then every lag around the best coarse one. */
  long best = 0;
  double best_c = -INFINITY;
  for (long lag = -max_lag; lag <= max_lag; lag += 8) {
    const double v = quell_wavcmp_corr(a, b, n, ia.channels, ib.channels, lag);
    if (v > best_c) best_c = v, best = lag;
  }
  const long centre = best;
  for (long lag = centre - 8; lag <= centre + 8; lag++) {
    if (lag < -max_lag || lag > max_lag) continue;
    const double v = quell_wavcmp_corr(a, b, n, ia.channels, ib.channels, lag);
    if (v > best_c) best_c = v, best = lag;
  }
  printf("frames_a=%lld frames_b=%lld channels_a=%d channels_b=%d rate_a=%d rate_b=%d "
         "maxdiff=%.9f rms_a=%.6f rms_b=%.6f snr=%.2f corr0=%.6f bestlag=%ld\n",
         (long long)ia.frames, (long long)ib.frames, ia.channels, ib.channels, ia.samplerate,
         ib.samplerate, maxdiff, n ? sqrt(ea / (double)(n * c)) : 0.0,
         n ? sqrt(eb / (double)(n * c)) : 0.0, snr, corr0, best);
  free(a);
  free(b);
  return 0;
}
