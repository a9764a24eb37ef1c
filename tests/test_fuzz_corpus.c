/* test_fuzz_corpus [DIR] — replays every file of the fuzz regression corpus (default
 * tests/fuzz-corpus) through the same code the fuzzer runs (tests/fuzz_blob.c): loader,
 * configuration validation, and a short engine run for blobs that load. A plain program, not
 * libFuzzer, so it runs in every `make check` and under ASan/UBSan in `make asan-check`.
 *
 * File names carry the expected verdict: `load-*` must load, `reject-*` must be rejected;
 * anything else must merely not break an invariant (fuzz_blob aborts if one does). The default
 * configuration's fixture blob (too large to keep in the corpus) is replayed too. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dsp/quell_config.h"
#include "blob_fixture.h"
#include "quell_test.h"

int quell_fuzz_blob_run(const uint8_t *data, size_t size);

static unsigned char *quell_test_read(const char *path, size_t *size)
{
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char *buf = NULL;
  size_t cap = 0, len = 0, got;
  do {
    if (len == cap) {
      cap = cap ? 2 * cap : 65536;
      unsigned char *nb = realloc(buf, cap);
      if (!nb) break;
      buf = nb;
    }
    got = fread(buf + len, 1, cap - len, f);
    len += got;
  } while (got > 0);
  fclose(f);
  *size = len;
  return buf;
}

static int quell_test_name_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : "tests/fuzz-corpus";
  DIR *d = opendir(dir);
  QUELL_REQUIRE(d, "cannot open corpus folder %s", dir);
  char *names[4096];
  int count = 0;
  for (struct dirent *ent; (ent = readdir(d)) && count < 4096;)
    if (ent->d_name[0] != '.') names[count++] = strdup(ent->d_name);
  closedir(d);
  qsort(names, (size_t)count, sizeof names[0], quell_test_name_cmp);
  /* An empty or missing corpus must not pass silently. */
  QUELL_REQUIRE(count > 0, "no files in %s", dir);

  int loaded = 0, rejected = 0;
  for (int i = 0; i < count; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    size_t size = 0;
    unsigned char *data = quell_test_read(path, &size);
    QUELL_CHECK(data != NULL, "cannot read %s", path);
    if (!data) continue;
    const int ok = quell_fuzz_blob_run(data, size);
    ok ? loaded++ : rejected++;
    if (!strncmp(names[i], "load-", 5)) QUELL_CHECK(ok, "%s was rejected, must load", names[i]);
    if (!strncmp(names[i], "reject-", 7)) QUELL_CHECK(!ok, "%s loaded, must be rejected", names[i]);
    free(data);
    free(names[i]);
  }

  /* The default configuration, CRC fixed up (mode 1) and at 48 kHz stereo (mode bits). */
  QuellConfig cfg;
  quell_config_default(&cfg);
  size_t size;
  unsigned char *blob = quell_fixture_blob(&cfg, 9, &size);
  QUELL_REQUIRE(blob, "fixture blob");
  unsigned char *input = malloc(size + 1);
  memcpy(input + 1, blob, size);
  input[0] = 1u | (4u << 1) | 16u;
  QUELL_CHECK(quell_fuzz_blob_run(input, size + 1) == 1, "default-config fixture did not load");
  free(input);
  free(blob);

  printf("replayed %d corpus files from %s: %d loaded, %d rejected\n", count, dir, loaded,
         rejected);
  return quell_test_finish("test_fuzz_corpus");
}
