/* fuzz_blob — one fuzz input through the weights-blob loader, the configuration validation and,
 * for blobs that load, a short run of an engine built from them.
 *
 * Built twice: with clang -fsanitize=fuzzer,address,undefined into build/fuzz/fuzz_blob
 * (`make fuzz`), and as a plain object linked into test_fuzz_corpus, which replays every file of
 * tests/fuzz-corpus/ in `make check` (and under ASan in `make asan-check`).
 *
 * Input layout: byte 0 is a mode byte, the rest is the candidate blob.
 *   bit 0      recompute the trailing CRC before loading. Almost every mutation breaks the
 *              checksum, so without this the fuzzer would only ever exercise the CRC check;
 *              with it, mutations reach the header, configuration and tensor validation.
 *   bits 1..3  sample rate for the engine run (index into quell_fuzz_rates)
 *   bit 4      stereo engine
 * The blob is copied into a buffer of exactly its size, so any read past its end is an ASan
 * error rather than a silent read of the fuzzer's own padding.
 *
 * Invariants beyond "no crash" (each violation aborts, which the fuzzer records as a crash):
 * a rejected blob comes with a non-empty one-line message; a loaded blob's configuration passes
 * quell_config_validate; an engine can be created from any loaded model at any supported rate;
 * its output is finite and bounded, its voice probability within 0..1, its reduction >= 0. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dsp/quell.h"
#include "../dsp/quell_config.h"
#include "../dsp/quell_train.h"
#include "blob_fixture.h"

static const double quell_fuzz_rates[8] = {16000, 22050, 32000, 44100, 48000, 88200, 96000, 192000};

/* Output may exceed the input peak a little (per-bin gains reshape the waveform); far beyond it
 * means state blew up. Input peak is 0.5, gains are at most 1. */
#define QUELL_FUZZ_OUT_BOUND 16.0f

static void quell_fuzz_fail(const char *what, const char *detail)
{
  fprintf(stderr, "fuzz_blob: invariant broken: %s%s%s\n", what, detail ? ": " : "",
          detail ? detail : "");
  abort();
}

static uint32_t quell_fuzz_u32(const unsigned char *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float quell_fuzz_f32(const unsigned char *p)
{
  const uint32_t u = quell_fuzz_u32(p);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* The validator on the raw header fields, also when the blob as a whole is rejected earlier
 * (bad magic, CRC): arbitrary bit patterns, NaN and infinities included. When it accepts, the
 * band layout derived from it must be finite and ordered. */
static void quell_fuzz_config(const unsigned char *blob, size_t size)
{
  if (size < 56) return;
  const unsigned char *p = blob + 16;
  QuellConfig cfg = {
      .hop_us = quell_fuzz_u32(p),
      .window_hops = quell_fuzz_u32(p + 4),
      .nb_bands = quell_fuzz_u32(p + 8),
      .band_fmax_hz = quell_fuzz_f32(p + 12),
      .band_min_hz = quell_fuzz_f32(p + 16),
      .norm_tau_ms = quell_fuzz_f32(p + 20),
      .nfeat = quell_fuzz_u32(p + 24),
      .input_hidden = quell_fuzz_u32(p + 28),
      .gru_layers = quell_fuzz_u32(p + 32),
      .gru_hidden = quell_fuzz_u32(p + 36),
  };
  char err[256] = "";
  if (quell_config_validate(&cfg, err, sizeof err) != 0) {
    if (!err[0]) quell_fuzz_fail("config rejected without a message", NULL);
    return;
  }
  float centres[128];
  if (quell_train_band_centres(&cfg, centres) != 0)
    quell_fuzz_fail("valid config but no band layout", NULL);
  for (uint32_t b = 0; b < cfg.nb_bands; b++) {
    if (!isfinite(centres[b])) quell_fuzz_fail("band centre not finite", NULL);
    if (b && !(centres[b] > centres[b - 1])) quell_fuzz_fail("band centres not increasing", NULL);
  }
  for (int r = 0; r < 8; r++)
    if (quell_config_hop_samples(&cfg, quell_fuzz_rates[r]) < 1)
      quell_fuzz_fail("valid config gives an empty hop", NULL);
}

static void quell_fuzz_engine(const QuellModel *model, double rate, int channels)
{
  char err[256] = "";
  QuellEngine *e = quell_engine_create(model, rate, channels, err, sizeof err);
  if (!e) quell_fuzz_fail("a loaded model cannot make an engine", err);
  /* Two and a half hops of noise in uneven blocks: at least two frames through the network. */
  const uint32_t n = (uint32_t)(rate * 0.0125) + 1;
  float *in = malloc(sizeof(float) * n * 2), *out = malloc(sizeof(float) * n * 2);
  unsigned s = 12345;
  for (uint32_t i = 0; i < 2 * n; i++) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    in[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
  }
  for (uint32_t pos = 0, k = 1; pos < n; pos += k, k = k * 3 + 7) {
    if (k > n - pos) k = n - pos;
    const float *ci[2] = {in + pos, in + n + pos};
    float *co[2] = {out + pos, out + n + pos};
    quell_engine_process(e, ci, co, k);
  }
  for (uint32_t i = 0; i < (uint32_t)channels * n; i++)
    if (!isfinite(out[i]) || fabsf(out[i]) > QUELL_FUZZ_OUT_BOUND) {
      char v[64];
      snprintf(v, sizeof v, "out[%u] = %g", i, (double)out[i]);
      quell_fuzz_fail("engine output not finite or not bounded", v);
    }
  const float vp = quell_engine_voice_probability(e), red = quell_engine_reduction_db(e);
  if (!(vp >= 0.0f && vp <= 1.0f)) quell_fuzz_fail("voice probability outside 0..1", NULL);
  if (!(red >= 0.0f) || !isfinite(red)) quell_fuzz_fail("reduction not finite or negative", NULL);
  free(in);
  free(out);
  quell_engine_destroy(e);
}

/* Runs one input; returns 1 if the blob loaded, 0 if it was rejected. */
int quell_fuzz_blob_run(const uint8_t *data, size_t size)
{
  if (size < 1) return 0;
  const unsigned mode = data[0];
  const size_t n = size - 1;
  unsigned char *blob = malloc(n ? n : 1);
  if (!blob) return 0;
  memcpy(blob, data + 1, n);
  if ((mode & 1) && n >= 4) quell_fixture_blob_fix_crc(blob, n);

  quell_fuzz_config(blob, n);
  char err[256];
  memset(err, 'x', sizeof err); /* a loader that forgets to write a message shows up */
  QuellModel *m = quell_model_load_memory(blob, n, err, sizeof err);
  if (!m) {
    if (!memchr(err, '\0', sizeof err) || err[0] == '\0' || err[0] == 'x')
      quell_fuzz_fail("blob rejected without a one-line message", NULL);
    if (strchr(err, '\n')) quell_fuzz_fail("error message spans lines", err);
    free(blob);
    return 0;
  }
  /* The model must not keep pointers into the caller's buffer: scribble over it first. */
  memset(blob, 0xA5, n);
  QuellConfig cfg;
  quell_train_model_config(m, &cfg);
  if (quell_config_validate(&cfg, err, sizeof err) != 0)
    quell_fuzz_fail("loaded model with an invalid config", err);
  quell_fuzz_engine(m, quell_fuzz_rates[(mode >> 1) & 7], (mode & 16) ? 2 : 1);
  quell_model_free(m);
  free(blob);
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  quell_fuzz_blob_run(data, size);
  return 0;
}
