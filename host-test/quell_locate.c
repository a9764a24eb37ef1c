/* quell_locate.c — finds the plugin bundle beside the program, else defers to LV2_PATH or the
 * standard LV2 path (see quell_locate.h for the order and why). */
#include "quell_locate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The standard path lilv searches when LV2_PATH is unset (lilv's DEFAULT_LV2_PATH on Linux). */
#define QUELL_LOCATE_STANDARD_PATH "~/.lv2:/usr/local/lib/lv2:/usr/lib/lv2"

/* Absolute, resolved folder of the running program into dir; 0, or -1 if unknown. */
static int quell_locate_program_dir(const char *argv0, char *dir, size_t len) {
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
  } else if (!argv0 || !strchr(argv0, '/') || !realpath(argv0, exe)) {
    return -1;
  }
  char *slash = strrchr(exe, '/');
  if (!slash) return -1;
  *slash = '\0';
  if (snprintf(dir, len, "%s", exe[0] ? exe : "/") >= (int)len) return -1;
  return 0;
}

/* If <folder>/<name>/manifest.ttl exists, writes the bundle's resolved path with a trailing
 * slash into out and returns 1. */
static int quell_locate_bundle_in(const char *folder, const char *name, char *out, size_t len) {
  char path[PATH_MAX + 64], real[PATH_MAX];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s/manifest.ttl", folder, name);
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  snprintf(path, sizeof path, "%s/%s", folder, name);
  if (!realpath(path, real)) return 0;
  return snprintf(out, len, "%s/", real) < (int)len;
}

void quell_locate(const char *argv0, QuellLocation *loc) {
  static const struct {
    const char *relative; /* from the program's folder to the folder holding the bundles */
    QuellLocateSource source;
  } beside[] = {{"..", QUELL_LOCATE_BUILD_TREE}, {"../lib/lv2", QUELL_LOCATE_PREFIX}};
  memset(loc, 0, sizeof *loc);
  const char *env = getenv("LV2_PATH");
  loc->source = env && env[0] ? QUELL_LOCATE_LV2_PATH : QUELL_LOCATE_STANDARD;
  if (quell_locate_program_dir(argv0, loc->program_dir, sizeof loc->program_dir) != 0) {
    loc->program_dir[0] = '\0';
    return;
  }
  for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++) {
    char folder[PATH_MAX + 16];
    snprintf(folder, sizeof folder, "%s/%s", loc->program_dir, beside[i].relative);
    if (!quell_locate_bundle_in(folder, QUELL_LOCATE_BUNDLE, loc->bundles[0],
                                sizeof loc->bundles[0]))
      continue;
    loc->source = beside[i].source;
    loc->n_bundles = 1;
    if (quell_locate_bundle_in(folder, QUELL_LOCATE_PRESETS, loc->bundles[1],
                               sizeof loc->bundles[1]))
      loc->n_bundles = 2;
    return;
  }
}

const char *quell_locate_describe(const QuellLocation *loc, char *buf, size_t len) {
  const char *env = getenv("LV2_PATH");
  switch (loc->source) {
  case QUELL_LOCATE_BUILD_TREE:
    snprintf(buf, len, "%s (built beside this program)", loc->bundles[0]);
    break;
  case QUELL_LOCATE_PREFIX:
    snprintf(buf, len, "%s (installed beside this program)", loc->bundles[0]);
    break;
  case QUELL_LOCATE_LV2_PATH:
    snprintf(buf, len, "LV2_PATH=%s", env ? env : "");
    break;
  case QUELL_LOCATE_STANDARD:
    snprintf(buf, len, "the standard LV2 path %s (LV2_PATH is unset)", QUELL_LOCATE_STANDARD_PATH);
    break;
  }
  return buf;
}
