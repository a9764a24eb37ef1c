/* features_dump.c — writes the engine's features for a fixed test signal, computed in C, so
 * tests/test_features_py.sh can prove model/quell_dsp.py (what training uses) gets the very same
 * numbers, bit for bit, through ctypes.
 *
 * Usage: features_dump BLOB OUT   (the blob supplies the feature configuration)
 * OUT, little-endian: the 40-byte configuration (FORMAT.md field order), u32 count of sections,
 * then per section: u32 rate, u32 n, u32 frames; f32 noisy[n], clean[n],
 * features[frames * nfeat], noisy_energy[frames * nb], clean_energy[frames * nb]. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "quell.h"
#include "quell_config.h"
#include "quell_test.h"
#include "quell_train.h"

static const double dump_rates[] = {16000.0, 22050.0, 44100.0, 48000.0, 96000.0};
#define DUMP_RATES (sizeof dump_rates / sizeof dump_rates[0])

static int put(FILE *f, const void *p, size_t size, size_t n) { return fwrite(p, size, n, f) == n; }

int main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: %s BLOB OUT\n", argv[0]);
    return 2;
  }
  char err[256] = "";
  QuellModel *model = quell_model_load_file(argv[1], err, sizeof err);
  QUELL_REQUIRE(model, "%s: %s", argv[1], err);
  QuellConfig cfg;
  quell_train_model_config(model, &cfg);
  quell_model_free(model);
  FILE *f = fopen(argv[2], "wb");
  QUELL_REQUIRE(f, "cannot write %s", argv[2]);
  const uint32_t sections = DUMP_RATES;
  int ok = put(f, &cfg, sizeof cfg, 1) && put(f, &sections, 4, 1);
  for (size_t r = 0; r < DUMP_RATES && ok; r++) {
    const double rate = dump_rates[r];
    const long n = (long)(1.3 * rate) + 17; /* not a whole number of hops */
    float *noisy = malloc(sizeof(float) * n), *clean = malloc(sizeof(float) * n);
    QUELL_REQUIRE(noisy && clean, "out of memory");
    unsigned seed = 12345u + (unsigned)r;
    double phase = 0.0;
    for (long i = 0; i < n; i++) {
      const double t = i / rate;
      /* A rising chirp with a syllable-like envelope (the "speech") in noise that swells. */
      phase += 2.0 * M_PI * (150.0 + 3000.0 * t) / rate;
      const double env = 0.5 + 0.5 * sin(2.0 * M_PI * 3.0 * t);
      clean[i] = (float)(0.3 * env * sin(phase));
      noisy[i] = clean[i] + (float)(0.05 * (1.0 + t)) * quell_test_noise(&seed);
    }
    const long frames = quell_train_frame_count(&cfg, rate, n);
    QUELL_REQUIRE(frames > 0, "no frames at %g Hz", rate);
    float *feat = malloc(sizeof(float) * frames * cfg.nfeat);
    float *en = malloc(sizeof(float) * frames * cfg.nb_bands);
    float *ec = malloc(sizeof(float) * frames * cfg.nb_bands);
    QUELL_REQUIRE(feat && en && ec, "out of memory");
    QUELL_REQUIRE(quell_train_analyze(&cfg, rate, noisy, clean, n, feat, en, ec, frames) == frames,
                  "quell_train_analyze failed at %g Hz", rate);
    const uint32_t head[3] = {(uint32_t)rate, (uint32_t)n, (uint32_t)frames};
    ok = put(f, head, 4, 3) && put(f, noisy, 4, n) && put(f, clean, 4, n) &&
         put(f, feat, 4, frames * cfg.nfeat) && put(f, en, 4, frames * cfg.nb_bands) &&
         put(f, ec, 4, frames * cfg.nb_bands);
    free(noisy);
    free(clean);
    free(feat);
    free(en);
    free(ec);
  }
  ok = fclose(f) == 0 && ok;
  QUELL_REQUIRE(ok, "write error on %s", argv[2]);
  return 0;
}
