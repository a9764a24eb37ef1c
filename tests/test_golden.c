/* test_golden.c — the engine's network reproduces PyTorch on the shipped weights.
 *
 * Loads model/quell.qwb and model/golden.bin (both written by model/export.py; layout in its
 * docstring), runs quell_train_run_net on the golden features from zero state and requires every
 * gain and voice probability within 1e-4 of the PyTorch outputs. Also checks that the golden file
 * belongs to this blob (CRC) and that the outputs are not degenerate (a constant network would
 * pass a lazy comparison against itself).
 *
 * Usage: test_golden [BLOB [GOLDEN]]   (defaults: model/quell.qwb model/golden.bin, from the
 * repository root, as `make check` runs it). Exit 77 (skip) if either file is absent. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quell.h"
#include "quell_config.h"
#include "quell_test.h"
#include "quell_train.h"

#define GOLDEN_TOLERANCE 1e-4f
#define GOLDEN_HEADER 32u

static unsigned char *read_file(const char *path, size_t *size)
{
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char *buf = NULL;
  long n = -1;
  if (fseek(f, 0, SEEK_END) == 0) n = ftell(f);
  if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(n ? (size_t)n : 1)) != NULL &&
      fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *size = (size_t)(n < 0 ? 0 : n);
  return buf;
}

static uint32_t le32(const unsigned char *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Little-endian f32 array into host floats (the file is LE whatever the host). */
static void le_floats(const unsigned char *p, float *out, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    const uint32_t u = le32(p + 4 * i);
    memcpy(&out[i], &u, sizeof u);
  }
}

int main(int argc, char **argv)
{
  const char *blob_path = argc > 1 ? argv[1] : "model/quell.qwb";
  const char *golden_path = argc > 2 ? argv[2] : "model/golden.bin";
  size_t blob_size = 0, gsize = 0;
  unsigned char *blob = read_file(blob_path, &blob_size);
  unsigned char *g = read_file(golden_path, &gsize);
  if (!blob || !g) {
    printf("skip: %s or %s not found (run `make train` to produce them)\n", blob_path,
           golden_path);
    free(blob);
    free(g);
    return 77;
  }

  char err[256] = "";
  QuellModel *model = quell_model_load_memory(blob, blob_size, err, sizeof err);
  QUELL_REQUIRE(model, "%s does not load: %s", blob_path, err);
  QuellConfig cfg;
  quell_train_model_config(model, &cfg);

  QUELL_REQUIRE(gsize >= GOLDEN_HEADER && memcmp(g, "QUELLGV", 8) == 0,
                "%s: not a golden-vector file", golden_path);
  const uint32_t version = le32(g + 8), T = le32(g + 12), F = le32(g + 16), B = le32(g + 20),
                 crc = le32(g + 24);
  QUELL_REQUIRE(version == 1, "golden version %u, expected 1", version);
  QUELL_REQUIRE(F == cfg.nfeat && B == cfg.nb_bands,
                "golden shape F=%u B=%u does not match the blob (nfeat %u, nb_bands %u)", F, B,
                cfg.nfeat, cfg.nb_bands);
  QUELL_REQUIRE(crc == le32(blob + blob_size - 4),
                "%s was exported with another blob (CRC %08x, blob %08x): re-run make train",
                golden_path, crc, le32(blob + blob_size - 4));
  QUELL_REQUIRE(T >= 1 && T <= 100000, "golden frame count %u out of range", T);
  const size_t want = GOLDEN_HEADER + 4u * ((size_t)T * F + (size_t)T * B + T);
  QUELL_REQUIRE(gsize == want, "golden file is %zu bytes, expected %zu", gsize, want);

  float *feat = malloc(sizeof(float) * T * F);
  float *gains_ref = malloc(sizeof(float) * T * B), *vad_ref = malloc(sizeof(float) * T);
  float *gains = malloc(sizeof(float) * T * B), *vad = malloc(sizeof(float) * T);
  QUELL_REQUIRE(feat && gains_ref && vad_ref && gains && vad, "out of memory");
  le_floats(g + GOLDEN_HEADER, feat, (size_t)T * F);
  le_floats(g + GOLDEN_HEADER + 4u * T * F, gains_ref, (size_t)T * B);
  le_floats(g + GOLDEN_HEADER + 4u * (T * F + T * B), vad_ref, T);

  QUELL_REQUIRE(quell_train_run_net(model, feat, T, gains, vad) == 0, "run_net failed");

  float max_gain_err = 0.0f, max_vad_err = 0.0f;
  float gmin = 1.0f, gmax = 0.0f;
  for (size_t i = 0; i < (size_t)T * B; i++) {
    const float e = fabsf(gains[i] - gains_ref[i]);
    if (!(e <= max_gain_err)) max_gain_err = e; /* also catches NaN */
    if (gains_ref[i] < gmin) gmin = gains_ref[i];
    if (gains_ref[i] > gmax) gmax = gains_ref[i];
  }
  for (uint32_t t = 0; t < T; t++) {
    const float e = fabsf(vad[t] - vad_ref[t]);
    if (!(e <= max_vad_err)) max_vad_err = e;
  }
  printf("%u frames, %u bands: max |C - PyTorch| gains %.3g, vad %.3g (tolerance %g)\n", T, B,
         (double)max_gain_err, (double)max_vad_err, (double)GOLDEN_TOLERANCE);
  QUELL_CHECK(max_gain_err <= GOLDEN_TOLERANCE, "gain error %g", (double)max_gain_err);
  QUELL_CHECK(max_vad_err <= GOLDEN_TOLERANCE, "vad error %g", (double)max_vad_err);
  /* A trained model on a noisy mixture both passes and suppresses somewhere. */
  QUELL_CHECK(gmax - gmin > 0.3f, "golden gains span only %g..%g: degenerate model?",
              (double)gmin, (double)gmax);

  free(feat);
  free(gains_ref);
  free(vad_ref);
  free(gains);
  free(vad);
  quell_model_free(model);
  free(blob);
  free(g);
  return quell_test_finish("test_golden");
}
