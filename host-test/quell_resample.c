/* quell_resample.c — libsoxr behind quell_resample.h's small streaming interface. */
#include "quell_resample.h"

#include <stdio.h>
#include <stdlib.h>

#include <soxr.h>

/* Output frames converted per soxr_process call; the output buffer holds this many frames. */
#define QUELL_RESAMPLE_CHUNK 4096

struct QuellResampler {
  soxr_t soxr;
  unsigned channels;
  soxr_error_t error;
  float *out; /* QUELL_RESAMPLE_CHUNK * channels */
};

QuellResampler *quell_resampler_new(double in_rate, double out_rate, unsigned channels, char *err,
                                    size_t err_len) {
  QuellResampler *r = calloc(1, sizeof *r);
  if (!r || !(r->out = malloc((size_t)QUELL_RESAMPLE_CHUNK * channels * sizeof(float)))) {
    snprintf(err, err_len, "out of memory");
    free(r);
    return NULL;
  }
  r->channels = channels;
  /* High quality (20-bit, passband flat to 0.01 dB), linear phase: the filter is symmetric, so
   * its delay is whole and removed by libsoxr, keeping output aligned with input. One thread:
   * quell-process already runs one plugin instance per channel pair on this thread. */
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, SOXR_LINEAR_PHASE);
  const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  soxr_error_t e = NULL;
  r->soxr = soxr_create(in_rate, out_rate, channels, &e, &io, &quality, &runtime);
  if (!r->soxr || e) {
    snprintf(err, err_len, "libsoxr cannot convert %g Hz to %g Hz: %s", in_rate, out_rate,
             soxr_strerror(e));
    quell_resampler_free(r);
    return NULL;
  }
  return r;
}

void quell_resampler_free(QuellResampler *r) {
  if (!r) return;
  if (r->soxr) soxr_delete(r->soxr);
  free(r->out);
  free(r);
}

int quell_resampler_push(QuellResampler *r, const float *in, size_t n, QuellResampleSink sink,
                         void *user) {
  size_t used = 0;
  /* Keep calling until every input frame is taken and no more output is ready: libsoxr takes
   * input only as fast as the output buffer drains. */
  for (;;) {
    size_t idone = 0, odone = 0;
    r->error = soxr_process(r->soxr, in + used * r->channels, n - used, &idone, r->out,
                            QUELL_RESAMPLE_CHUNK, &odone);
    if (r->error) return -1;
    used += idone;
    if (odone) {
      const int stop = sink(user, r->out, odone);
      if (stop) return stop;
    }
    if (used == n && odone < QUELL_RESAMPLE_CHUNK) return 0;
  }
}

int quell_resampler_finish(QuellResampler *r, QuellResampleSink sink, void *user) {
  for (;;) {
    size_t odone = 0;
    /* in == NULL tells libsoxr the input has ended: it flushes the filter's tail. */
    r->error = soxr_process(r->soxr, NULL, 0, NULL, r->out, QUELL_RESAMPLE_CHUNK, &odone);
    if (r->error) return -1;
    if (odone == 0) return 0;
    const int stop = sink(user, r->out, odone);
    if (stop) return stop;
  }
}

const char *quell_resampler_error(const QuellResampler *r) { return soxr_strerror(r->error); }

const char *quell_resampler_engine(void) {
  static char name[64];
  snprintf(name, sizeof name, "%s, high quality, linear phase", soxr_version());
  return name;
}
