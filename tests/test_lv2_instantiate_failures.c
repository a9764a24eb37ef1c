/* test_lv2_instantiate_failures — instantiate through lilv with bad weights and bad rates:
 * QUELL_MODEL pointing at a missing, empty, truncated, corrupted, wrong-version and wrong-shape
 * blob, and at a folder; sample rates 8 kHz, 384 kHz, 0 and 15999 Hz; a bundle without weights.
 * Each must return NULL without crashing and say so in exactly one line: through the host's
 * log:log when offered (and then nothing on stderr), else one line on stderr. Positive controls
 * (valid blob, empty QUELL_MODEL, 16 and 192 kHz) must instantiate. */
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lv2/log/log.h>
#include <lv2/urid/urid.h>

#include "../plugin/quell_ports.h"
#include "test_lv2_host.h"

#define CHECK test_lv2_host_check

/* --- a host log and URID map that count what the plugin says ------------------------------ */
static const char *urids[64];
static uint32_t n_urids;
static int log_errors, log_other;
static char log_last[512];

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri) {
  uint32_t i;
  for (i = 0; i < n_urids; ++i) {
    if (strcmp(urids[i], uri) == 0) return i + 1;
  }
  if (n_urids == 64) return 0;
  urids[n_urids++] = uri; /* the plugin's URI strings are static */
  return n_urids;
}

static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, va_list ap) {
  if (type && type <= n_urids && strcmp(urids[type - 1], LV2_LOG__Error) == 0) {
    ++log_errors;
  } else {
    ++log_other;
  }
  return vsnprintf(log_last, sizeof log_last, fmt, ap);
}

static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, ...) {
  va_list ap;
  int r;
  va_start(ap, fmt);
  r = log_vprintf(handle, type, fmt, ap);
  va_end(ap);
  return r;
}

static LV2_URID_Map map = {NULL, map_uri};
static LV2_Log_Log host_log = {NULL, log_printf, log_vprintf};
static const LV2_Feature map_feature = {LV2_URID__map, &map};
static const LV2_Feature log_feature = {LV2_LOG__log, &host_log};
static const LV2_Feature *const features_full[] = {&map_feature, &log_feature, NULL};

/* Instantiates uri at rate twice (with log+map, then with no features) and checks the outcome:
 * expect_ok = 1: both succeed, nothing logged; 0: both NULL, exactly one line each way. */
static void try_instantiate(LilvWorld *world, const char *uri, double rate, int expect_ok,
                            const char *what) {
  TestLv2Host h;
  char last[1024];
  int ok, lines;

  log_errors = log_other = 0;
  log_last[0] = '\0';
  test_lv2_host_capture_begin();
  ok = test_lv2_host_open(&h, world, uri, rate, features_full) == 0;
  lines = test_lv2_host_capture_end(last, sizeof last);
  if (ok) test_lv2_host_close(&h);
  if (expect_ok) {
    CHECK(ok, "%s, %s at %.0f Hz: instantiate failed (log: %s)", what, uri, rate, log_last);
  } else {
    printf("%-28s %-44s %6.0f Hz  log: %s", what, uri, rate, log_last);
    CHECK(!ok, "%s, %s at %.0f Hz: instantiate succeeded, want NULL", what, uri, rate);
    CHECK(log_errors == 1 && log_other == 0,
          "%s: want exactly one log:Error entry, got %d errors and %d other entries", what,
          log_errors, log_other);
    CHECK(lines == 0, "%s: wrote %d line(s) to stderr although the host offered log:log", what,
          lines);
  }

  test_lv2_host_capture_begin();
  ok = test_lv2_host_open(&h, world, uri, rate, NULL) == 0;
  lines = test_lv2_host_capture_end(last, sizeof last);
  if (ok) test_lv2_host_close(&h);
  if (expect_ok) {
    CHECK(ok, "%s, %s at %.0f Hz without features: instantiate failed (%s)", what, uri, rate,
          last);
  } else {
    CHECK(!ok, "%s, %s at %.0f Hz without features: instantiate succeeded, want NULL", what, uri,
          rate);
    CHECK(lines == 1, "%s without log feature: want exactly one stderr line, got %d", what, lines);
  }
}

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
  return remove(p);
}

/* --- blob mutations ---------------------------------------------------------------------- */
static uint32_t crc32_ieee(const unsigned char *p, size_t n) {
  uint32_t crc = 0xffffffffu;
  size_t i;
  int k;
  for (i = 0; i < n; ++i) {
    crc ^= p[i];
    for (k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

/* Rewrites the trailing CRC (model/FORMAT.md) so only the intended fault remains. */
static void fix_crc(unsigned char *blob, size_t size) {
  const uint32_t crc = crc32_ieee(blob, size - 4);
  blob[size - 4] = (unsigned char)crc;
  blob[size - 3] = (unsigned char)(crc >> 8);
  blob[size - 2] = (unsigned char)(crc >> 16);
  blob[size - 1] = (unsigned char)(crc >> 24);
}

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static void write_file(const char *path, const unsigned char *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
    test_lv2_host_die("cannot write %s", path);
  }
}

static unsigned char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  unsigned char *data;
  long n;
  if (!f) test_lv2_host_die("cannot read %s (run `make fixture-bundle`)", path);
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  rewind(f);
  data = malloc((size_t)n);
  if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) test_lv2_host_die("cannot read %s", path);
  fclose(f);
  *size = (size_t)n;
  return data;
}

/* A bundle with the plugin and its TTL but no weights, in its own world. */
static void test_bundle_without_weights(const char *tmp, const char *fixture_dir) {
  static const char *const files[] = {"quell.so", "manifest.ttl", "quell.ttl"};
  char rel[4200], lv2_path[4200], bundle[4300], src[4300], dst[4400];
  LilvWorld *world;
  size_t i;

  snprintf(rel, sizeof rel, "%s/noweights", tmp);
  mkdir(rel, 0755);
  /* lilv needs an absolute LV2_PATH */
  if (!realpath(rel, lv2_path)) test_lv2_host_die("realpath %s failed", rel);
  snprintf(bundle, sizeof bundle, "%s/quell.lv2", lv2_path);
  mkdir(bundle, 0755);
  for (i = 0; i < 3; ++i) {
    size_t n;
    unsigned char *data;
    snprintf(src, sizeof src, "%s/%s", fixture_dir, files[i]);
    snprintf(dst, sizeof dst, "%s/%s", bundle, files[i]);
    data = read_file(src, &n);
    write_file(dst, data, n);
    free(data);
  }
  setenv("LV2_PATH", lv2_path, 1);
  world = lilv_world_new();
  lilv_world_load_all(world);
  unsetenv("QUELL_MODEL");
  try_instantiate(world, QUELL_URI_MONO, 48000.0, 0, "bundle without quell.qwb");
  try_instantiate(world, QUELL_URI_STEREO, 48000.0, 0, "bundle without quell.qwb");
  lilv_world_free(world);
}

int main(void) {
  static const char *const uris[] = {QUELL_URI_MONO, QUELL_URI_STEREO};
  static const double bad_rates[] = {8000.0, 384000.0, 0.0, 15999.0};
  static const double good_rates[] = {16000.0, 22050.0, 192000.0};
  LilvWorld *world = test_lv2_host_world();
  char tmp[4096], fixture_dir[4200], path[4400];
  unsigned char *blob, *copy;
  size_t size, u, i;
  struct {
    const char *name;
    const char *file;
  } cases[] = {
      {"missing file", "missing.qwb"},     {"empty file", "empty.qwb"},
      {"truncated to header", "head.qwb"}, {"truncated by half", "half.qwb"},
      {"last byte cut", "cut1.qwb"},       {"corrupted byte (CRC)", "flip.qwb"},
      {"wrong magic", "magic.qwb"},        {"format version 3", "version.qwb"},
      {"wrong shape (gru_hidden)", "shape.qwb"}, {"trailing garbage", "trail.qwb"},
      {"a folder", "."},
  };

  snprintf(fixture_dir, sizeof fixture_dir, "%s/test-lv2/quell.lv2", test_lv2_host_build_dir());
  snprintf(path, sizeof path, "%s/quell.qwb", fixture_dir);
  blob = read_file(path, &size);
  if (size < 200) test_lv2_host_die("fixture blob %s too small (%zu bytes)", path, size);
  copy = malloc(size + 16);

  snprintf(tmp, sizeof tmp, "%s/tests/instantiate-XXXXXX", test_lv2_host_build_dir());
  if (!mkdtemp(tmp)) test_lv2_host_die("mkdtemp %s failed", tmp);

#define TMP(name) (snprintf(path, sizeof path, "%s/%s", tmp, name), path)
  write_file(TMP("empty.qwb"), blob, 0);
  write_file(TMP("head.qwb"), blob, 64);
  write_file(TMP("half.qwb"), blob, size / 2);
  write_file(TMP("cut1.qwb"), blob, size - 1);
  memcpy(copy, blob, size);
  copy[size / 2] ^= 0x40; /* a weight bit: only the checksum can notice */
  write_file(TMP("flip.qwb"), copy, size);
  memcpy(copy, blob, size);
  copy[0] = 'X';
  fix_crc(copy, size);
  write_file(TMP("magic.qwb"), copy, size);
  memcpy(copy, blob, size);
  put_u32(copy + 8, 3);
  fix_crc(copy, size);
  write_file(TMP("version.qwb"), copy, size);
  memcpy(copy, blob, size);
  /* gru_hidden is configuration field 9 at offset 16 + 4 * 9: the tensors no longer match it. */
  put_u32(copy + 16 + 36, (copy[52] | copy[53] << 8) + 1);
  fix_crc(copy, size);
  write_file(TMP("shape.qwb"), copy, size);
  memcpy(copy, blob, size - 4);
  memset(copy + size - 4, 0, 16);
  fix_crc(copy, size + 16);
  write_file(TMP("trail.qwb"), copy, size + 16);
  write_file(TMP("valid.qwb"), blob, size);

  for (u = 0; u < 2; ++u) {
    for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
      setenv("QUELL_MODEL", strcmp(cases[i].file, ".") ? TMP(cases[i].file) : tmp, 1);
      try_instantiate(world, uris[u], 48000.0, 0, cases[i].name);
    }
    setenv("QUELL_MODEL", TMP("valid.qwb"), 1);
    try_instantiate(world, uris[u], 48000.0, 1, "QUELL_MODEL = valid copy");
    for (i = 0; i < sizeof bad_rates / sizeof bad_rates[0]; ++i) {
      try_instantiate(world, uris[u], bad_rates[i], 0, "unsupported rate");
    }
    setenv("QUELL_MODEL", "", 1);
    try_instantiate(world, uris[u], 48000.0, 1, "QUELL_MODEL empty: bundle weights");
    unsetenv("QUELL_MODEL");
    for (i = 0; i < sizeof good_rates / sizeof good_rates[0]; ++i) {
      try_instantiate(world, uris[u], good_rates[i], 1, "supported rate");
    }
  }
  lilv_world_free(world);

  test_bundle_without_weights(tmp, fixture_dir);
  nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);

  free(blob);
  free(copy);
  printf("%s: %d failure(s)\n", test_lv2_host_failures ? "FAIL" : "PASS", test_lv2_host_failures);
  return test_lv2_host_failures ? 1 : 0;
}
