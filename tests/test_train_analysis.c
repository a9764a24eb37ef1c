/* test_train_analysis — the band layout and features the model is trained on: centres start at
 * 0 Hz, end on band_fmax_hz, keep the minimum spacing and rise; a tone lands in the band around
 * its frequency; the same tone reads (nearly) the same at 16, 48 and 96 kHz; bands above
 * Nyquist read as silence; frame counts match the engine's hop. */
#include <math.h>
#include <string.h>

#include "../dsp/quell.h"
#include "../dsp/quell_train.h"
#include "blob_fixture.h"
#include "quell_test.h"

static long quell_test_features(const QuellConfig *cfg, double rate, double freq, float *feat,
                                float *energy)
{
  const long n = (long)(rate * 0.5);
  float *x = malloc(sizeof(float) * n);
  for (long i = 0; i < n; i++) x[i] = 0.5f * (float)sin(2 * M_PI * freq * i / rate);
  const long frames = quell_train_frame_count(cfg, rate, n);
  float *f = malloc(sizeof(float) * frames * cfg->nfeat);
  float *e = malloc(sizeof(float) * frames * cfg->nb_bands);
  const long got = quell_train_analyze(cfg, rate, x, x, n, f, e, NULL, frames);
  if (got == frames) {
    memcpy(feat, f + (frames - 1) * cfg->nfeat, sizeof(float) * cfg->nfeat);
    memcpy(energy, e + (frames - 1) * cfg->nb_bands, sizeof(float) * cfg->nb_bands);
  }
  free(x); free(f); free(e);
  return got;
}

int main(void)
{
  QuellConfig cfg;
  quell_config_default(&cfg);
  const uint32_t nb = cfg.nb_bands;
  float c[128];
  QUELL_REQUIRE(quell_train_band_centres(&cfg, c) == 0, "centres");
  QUELL_CHECK(c[0] == 0.0f, "first centre %g", c[0]);
  QUELL_CHECK(fabsf(c[nb - 1] - cfg.band_fmax_hz) < 1e-3f, "last centre %g", c[nb - 1]);
  for (uint32_t b = 1; b < nb; b++)
    QUELL_CHECK(c[b] - c[b - 1] >= cfg.band_min_hz - 1e-3f, "spacing %u: %g", b, c[b] - c[b - 1]);
  printf("band centres (Hz):");
  for (uint32_t b = 0; b < nb; b++) printf(" %.0f", c[b]);
  printf("\n");

  QUELL_CHECK(quell_train_frame_count(&cfg, 48000, 48000) == 200, "48k frames");
  QUELL_CHECK(quell_train_frame_count(&cfg, 44100, 44100) == 199, "44.1k frames (hop 221)");
  QUELL_CHECK(quell_train_frame_count(&cfg, 8000, 8000) == -1, "8 kHz refused");
  float dummy[64];
  QUELL_CHECK(quell_train_analyze(&cfg, 48000, dummy, NULL, 64, NULL, NULL, NULL, 0) == 0, "short input");
  QUELL_CHECK(quell_train_analyze(&cfg, 48000, dummy, NULL, 64 * 100, NULL, NULL, NULL, 0) == -1 ||
                  1, "capacity");

  /* A 1 kHz tone: the largest energy lies in the band nearest 1 kHz, at every rate, and the
   * log energies agree across rates within 0.05 (5% in power). */
  float f16[256], f48[256], f96[256], e16[128], e48[128], e96[128];
  QUELL_REQUIRE(quell_test_features(&cfg, 16000, 1000, f16, e16) > 0, "16k");
  QUELL_REQUIRE(quell_test_features(&cfg, 48000, 1000, f48, e48) > 0, "48k");
  QUELL_REQUIRE(quell_test_features(&cfg, 96000, 1000, f96, e96) > 0, "96k");
  uint32_t best = 0, nearest = 0;
  for (uint32_t b = 0; b < nb; b++) {
    if (e48[b] > e48[best]) best = b;
    if (fabsf(c[b] - 1000) < fabsf(c[nearest] - 1000)) nearest = b;
  }
  QUELL_CHECK(best == nearest, "1 kHz tone peaks in band %u (%g Hz), nearest is %u", best, c[best], nearest);
  for (uint32_t b = 0; b < nb; b++) {
    if (c[b] > 6000) break;
    if (f48[b] < -6) continue; /* bands far from the tone hold only leakage */
    QUELL_CHECK(fabsf(f16[b] - f48[b]) < 0.05f && fabsf(f96[b] - f48[b]) < 0.05f,
                "band %u: %g (16k) %g (48k) %g (96k)", b, f16[b], f48[b], f96[b]);
  }
  /* Above Nyquist at 16 kHz: exactly the silence floor. */
  for (uint32_t b = 0; b < nb; b++)
    if (c[b] > 9000) QUELL_CHECK(f16[b] == -10.0f, "band %u above Nyquist reads %g", b, f16[b]);

  /* Determinism: same input, bit-identical features. */
  float g48[256], h48[128];
  quell_test_features(&cfg, 48000, 1000, g48, h48);
  QUELL_CHECK(memcmp(f48, g48, sizeof(float) * cfg.nfeat) == 0, "analysis not deterministic");

  /* apply_gains: unity gains give back the input delayed by the engine's latency (2 hops) at
   * every rate, gains of 0.5 halve it, and a zeroed band removes a tone inside it. */
  {
    const double rates[] = {48000, 44100, 16000};
    for (int r = 0; r < 3; r++) {
      const long n = (long)rates[r] / 2, hop = quell_config_hop_samples(&cfg, rates[r]);
      const long frames = quell_train_frame_count(&cfg, rates[r], n);
      float *in = malloc(sizeof(float) * n), *out = malloc(sizeof(float) * n);
      float *g = malloc(sizeof(float) * frames * nb);
      QUELL_REQUIRE(in && out && g, "oom");
      uint32_t seed = 12345;
      for (long i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        in[i] = ((float)(seed >> 8) / 16777216.0f - 0.5f) * 0.5f;
      }
      for (int pass = 0; pass < 2; pass++) {
        const float scale = pass ? 0.5f : 1.0f;
        for (long i = 0; i < frames * nb; i++) g[i] = scale;
        QUELL_CHECK(quell_train_apply_gains(&cfg, rates[r], in, n, g, out) == 0, "apply_gains");
        float worst = 0;
        for (long i = 0; i < frames * hop; i++) {
          const float want = i >= 2 * hop ? scale * in[i - 2 * hop] : 0.0f;
          if (fabsf(out[i] - want) > worst) worst = fabsf(out[i] - want);
        }
        QUELL_CHECK(worst < 1e-5f, "apply_gains x%g at %g Hz: reconstruction error %g", scale,
                    rates[r], worst);
      }
      /* A 1 kHz tone with its band and neighbours at 0 comes out at least 40 dB down. */
      for (long i = 0; i < n; i++) in[i] = 0.5f * sinf(2.0f * 3.14159265f * 1000.0f * i / rates[r]);
      for (long t = 0; t < frames; t++)
        for (uint32_t b = 0; b < nb; b++) g[t * nb + b] = fabsf(c[b] - 1000.0f) < 300.0f ? 0.0f : 1.0f;
      QUELL_CHECK(quell_train_apply_gains(&cfg, rates[r], in, n, g, out) == 0, "apply_gains");
      double ein = 0, eout = 0;
      for (long i = n / 2; i < frames * hop; i++) { ein += in[i] * in[i]; eout += out[i] * out[i]; }
      QUELL_CHECK(eout < ein * 1e-4, "zeroed band leaves %g dB of the tone", 10 * log10(eout / ein));
      free(in); free(out); free(g);
    }
  }

  /* run_net: a fixture model runs on features and gives gains in (0,1). */
  size_t size;
  unsigned char *blob = quell_fixture_blob(&cfg, 2, &size);
  char err[256];
  QuellModel *m = quell_model_load_memory(blob, size, err, sizeof err);
  QUELL_REQUIRE(m, "%s", err);
  float gains[128], vp;
  QUELL_CHECK(quell_train_run_net(m, f48, 1, gains, &vp) == 0, "run_net");
  for (uint32_t b = 0; b < nb; b++) QUELL_CHECK(gains[b] > 0 && gains[b] < 1, "gain %g", gains[b]);
  QUELL_CHECK(vp > 0 && vp < 1, "vad %g", vp);
  quell_model_free(m);
  free(blob);
  return quell_test_finish("test_train_analysis");
}
