/* test_blob — the weights loader accepts a valid blob and refuses every malformed one with a
 * message, without crashing or reading out of bounds (run under ASan by make asan-check). */
#include <math.h>
#include <string.h>

#include "../dsp/quell.h"
#include "../dsp/quell_crc32.h"
#include "blob_fixture.h"
#include "quell_test.h"

static int quell_test_refuses(const unsigned char *data, size_t size, const char *expect)
{
  char err[256] = "";
  QuellModel *m = quell_model_load_memory(data, size, err, sizeof err);
  if (m) {
    quell_model_free(m);
    return 0;
  }
  if (expect && !strstr(err, expect)) {
    fprintf(stderr, "  message '%s' lacks '%s'\n", err, expect);
    return 0;
  }
  return err[0] != 0 && strchr(err, '\n') == NULL; /* exactly one line */
}

static void quell_test_put_u32(unsigned char *p, uint32_t v)
{
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

int main(void)
{
  QuellConfig cfg;
  quell_config_default(&cfg);
  cfg.input_hidden = 24; /* small so exhaustive truncation stays quick */
  cfg.gru_hidden = 16;
  size_t size;
  unsigned char *blob = quell_fixture_blob(&cfg, 7, &size);
  QUELL_REQUIRE(blob, "fixture");
  unsigned char *b = malloc(size + 16);
  QUELL_REQUIRE(b, "oom");

  char err[256];
  QuellModel *m = quell_model_load_memory(blob, size, err, sizeof err);
  QUELL_CHECK(m != NULL, "valid blob refused: %s", err);
  quell_model_free(m);

  QUELL_CHECK(quell_test_refuses(NULL, 0, "empty"), "NULL");
  QUELL_CHECK(quell_test_refuses(blob, 0, "empty"), "empty");

  /* Every truncation (a fresh heap copy each, so ASan sees any over-read). */
  for (size_t n = 1; n < size; n++) {
    unsigned char *t = malloc(n);
    memcpy(t, blob, n);
    if (!quell_test_refuses(t, n, NULL)) {
      QUELL_CHECK(0, "truncation to %zu bytes accepted", n);
      free(t);
      break;
    }
    free(t);
  }

  /* Any flipped byte is caught (by the checksum if nothing else). */
  for (size_t i = 0; i < size; i += 97) {
    memcpy(b, blob, size);
    b[i] ^= 0x5a;
    QUELL_CHECK(quell_test_refuses(b, size, NULL), "corruption at %zu accepted", i);
  }

  /* Faults behind a correct checksum: each must be named. */
  struct {
    size_t off;
    uint32_t val;
    const char *msg;
  } cases[] = {
      {0, 0x4c4c4551u, "magic"},          /* "QELL..." */
      {8, 4, "format version 4"},
      {8, 3, "info section"},             /* format 3 without its info section */
      {8, 0, "format version 0"},
      {12, 65, "header"},
      {60, 2, "feature flags"},   /* format 2: an unknown flag */
      {24, 200, "nb_bands"},              /* out of range */
      {24, 40, "nfeat"},                  /* consistent range, but nfeat neither 2*nb nor 3*nb */
      {16, 50, "hop_us"},
      {48, 5, "gru_layers"},
      {56, 9, "tensors"},                 /* tensor count */
      {64 + 36, 33, "shape"},             /* norm.mean rows */
      {64 + 32, 3, "shape"},              /* ndim */
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    memcpy(b, blob, size);
    quell_test_put_u32(b + cases[c].off, cases[c].val);
    quell_fixture_blob_fix_crc(b, size);
    QUELL_CHECK(quell_test_refuses(b, size, cases[c].msg), "case %zu (%s)", c, cases[c].msg);
  }

  /* Unknown and duplicate names, NaN weights, trailing bytes. */
  memcpy(b, blob, size);
  memcpy(b + 64, "norm.bogus", 11);
  quell_fixture_blob_fix_crc(b, size);
  QUELL_CHECK(quell_test_refuses(b, size, "unknown tensor"), "unknown name");

  memcpy(b, blob, size);
  memcpy(b + 64, "norm.scale", 11); /* record 0 now duplicates record 1's name */
  quell_fixture_blob_fix_crc(b, size);
  QUELL_CHECK(quell_test_refuses(b, size, "twice"), "duplicate");

  memcpy(b, blob, size);
  memset(b + 64 + 48, 0xff, 4); /* first value of norm.mean = NaN */
  quell_fixture_blob_fix_crc(b, size);
  QUELL_CHECK(quell_test_refuses(b, size, "non-finite"), "NaN weight");

  memcpy(b, blob, size - 4);
  memset(b + size - 4, 0, 8);
  quell_fixture_blob_fix_crc(b, size + 4);
  QUELL_CHECK(quell_test_refuses(b, size + 4, "trailing"), "trailing bytes");

  memset(b, 0, 80);
  QUELL_CHECK(quell_test_refuses(b, 80, "magic"), "zeros");

  /* Files: missing path, and a round trip through a real file. */
  QUELL_CHECK(quell_model_load_file("/nonexistent/quell.qwb", err, sizeof err) == NULL &&
                  strstr(err, "cannot open"),
              "missing file: %s", err);
  QUELL_CHECK(quell_model_load_file("/", err, sizeof err) == NULL, "directory accepted");
  const char *path = "build/tests/test_blob.qwb";
  QUELL_REQUIRE(quell_fixture_write(path, blob, size) == 0, "write %s", path);
  m = quell_model_load_file(path, err, sizeof err);
  QUELL_CHECK(m != NULL, "file load: %s", err);
  quell_model_free(m);

  /* Format 3: the info section after the tensors, before the CRC (model/FORMAT.md). */
  {
    static const char text[] = "tool=quell-adapt\nadapted_from=6e40f80e\nnoise_seconds=183.5\n";
    const size_t len = sizeof text - 1, padded = (len + 3) & ~(size_t)3;
    const size_t v3size = size + 8 + padded;
    unsigned char *v3 = calloc(1, v3size);
    QUELL_REQUIRE(v3, "oom");
    memcpy(v3, blob, size - 4);
    quell_test_put_u32(v3 + 8, 3);
    memcpy(v3 + size - 4, "QINF", 4);
    quell_test_put_u32(v3 + size, (uint32_t)len);
    memcpy(v3 + size + 4, text, len);
    quell_fixture_blob_fix_crc(v3, v3size);
    m = quell_model_load_memory(v3, v3size, err, sizeof err);
    QUELL_CHECK(m && !strcmp(quell_model_info(m), text), "format 3 blob: %s / '%s'",
                m ? "loaded" : err, m ? quell_model_info(m) : "");
    quell_model_free(m);
    m = quell_model_load_memory(blob, size, err, sizeof err);
    QUELL_CHECK(m && quell_model_info(m)[0] == '\0', "format 2 blob has info text");
    quell_model_free(m);
    /* Faults in the section, each named. */
    unsigned char *c = malloc(v3size);
    QUELL_REQUIRE(c, "oom");
    memcpy(c, v3, v3size);
    quell_test_put_u32(c + size, 100000);
    quell_fixture_blob_fix_crc(c, v3size);
    QUELL_CHECK(quell_test_refuses(c, v3size, "does not fit"), "oversized info");
    memcpy(c, v3, v3size);
    c[size + 4 + 3] = 0x07;
    quell_fixture_blob_fix_crc(c, v3size);
    QUELL_CHECK(quell_test_refuses(c, v3size, "control byte"), "control byte in info");
    memcpy(c, v3, v3size);
    quell_test_put_u32(c + size, (uint32_t)len - 2); /* the last two text bytes become padding */
    quell_fixture_blob_fix_crc(c, v3size);
    QUELL_CHECK(quell_test_refuses(c, v3size, "control byte"), "non-zero padding");
    memcpy(c, v3, v3size);
    quell_test_put_u32(c + 8, 2); /* a format 2 reader's view: the section is trailing bytes */
    quell_fixture_blob_fix_crc(c, v3size);
    QUELL_CHECK(quell_test_refuses(c, v3size, "trailing"), "info section in format 2");
    for (size_t n = size - 4; n < v3size; n += 3) {
      memcpy(c, v3, n);
      quell_fixture_blob_fix_crc(c, n);
      QUELL_CHECK(quell_test_refuses(c, n, NULL), "format 3 cut to %zu bytes accepted", n);
    }
    free(c);
    free(v3);
  }

  /* CRC matches zlib's reference value for "123456789". */
  QUELL_CHECK(quell_crc32_update(0, "123456789", 9) == 0xCBF43926u, "crc32 check value");

  free(b);
  free(blob);
  return quell_test_finish("test_blob");
}
