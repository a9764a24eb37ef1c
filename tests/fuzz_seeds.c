/* fuzz_seeds DIR — writes the seed corpus for `make fuzz`: valid fixture blobs of small
 * configurations (one to four GRU layers, narrow and wide band layouts, every hop length the
 * format allows at its ends), each prefixed with the fuzz_blob mode byte. Small blobs keep the
 * fuzzer fast; the shapes are what make mutations reach every validation branch. Generated at
 * build time, never committed (tests/fuzz-corpus/ keeps only minimised regression inputs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dsp/quell_config.h"
#include "blob_fixture.h"

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  /* hop_us, window_hops, nb_bands, fmax, min_hz, input_hidden, layers, hidden */
  static const struct {
    unsigned hop, win, nb;
    float fmax, min_hz;
    unsigned in_hidden, layers, hidden;
  } shapes[] = {
      {5000, 4, 4, 20000, 100, 2, 1, 1},  {5000, 4, 4, 8000, 25, 3, 2, 2},
      {2000, 2, 6, 24000, 1000, 1, 3, 1}, {10000, 8, 5, 4000, 100, 2, 4, 2},
      {5000, 4, 8, 20000, 100, 4, 2, 3},  {2500, 3, 4, 12000, 500, 1, 1, 4},
  };
  int written = 0;
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    QuellConfig cfg;
    quell_config_default(&cfg);
    cfg.hop_us = shapes[i].hop;
    cfg.window_hops = shapes[i].win;
    cfg.nb_bands = shapes[i].nb;
    cfg.nfeat = 2 * shapes[i].nb;
    cfg.band_fmax_hz = shapes[i].fmax;
    cfg.band_min_hz = shapes[i].min_hz;
    cfg.input_hidden = shapes[i].in_hidden;
    cfg.gru_layers = shapes[i].layers;
    cfg.gru_hidden = shapes[i].hidden;
    size_t size;
    unsigned char *blob = quell_fixture_blob(&cfg, (uint32_t)i + 1, &size);
    if (!blob) return 1;
    unsigned char *seed = malloc(size + 1);
    memcpy(seed + 1, blob, size);
    /* Mode byte: CRC fix-up on, a different rate and channel count per seed. */
    seed[0] = (unsigned char)(1u | ((i % 8) << 1) | ((i % 2) << 4));
    char path[4096];
    snprintf(path, sizeof path, "%s/seed-%zu.bin", argv[1], i);
    if (quell_fixture_write(path, seed, size + 1) != 0) {
      fprintf(stderr, "%s: cannot write %s\n", argv[0], path);
      return 1;
    }
    written++;
    free(seed);
    free(blob);
  }
  printf("%d seeds in %s\n", written, argv[1]);
  return 0;
}
