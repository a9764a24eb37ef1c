/* quell_locate.h — where a Quell program finds the plugin bundle it hosts.
 *
 * In this order (the first that applies wins):
 *   1. built beside the program: <program's folder>/../quell.lv2 (the build tree: build/host-test/
 *      quell-process next to build/quell.lv2), with build/quell-presets.lv2 when present;
 *   2. installed beside the program: <program's folder>/../lib/lv2/quell.lv2 (bin/ and lib/lv2/ of
 *      one prefix), with quell-presets.lv2 from the same folder when present;
 *   3. LV2_PATH, when set and not empty (every bundle on it, as any LV2 host reads it);
 *   4. the standard LV2 path (lilv's default: ~/.lv2, /usr/local/lib/lv2, /usr/lib/lv2).
 * So a fresh build runs before any install, and a program never picks up an older Quell installed
 * elsewhere when its own bundle sits beside it. In cases 1 and 2 only those two bundles are
 * loaded: loading the whole folder too would meet the same plugin twice (lilv warns on stderr). */
#ifndef QUELL_LOCATE_H
#define QUELL_LOCATE_H

#include <limits.h>
#include <stddef.h>

#define QUELL_LOCATE_BUNDLE "quell.lv2"
#define QUELL_LOCATE_PRESETS "quell-presets.lv2"

typedef enum {
  QUELL_LOCATE_BUILD_TREE,
  QUELL_LOCATE_PREFIX,
  QUELL_LOCATE_LV2_PATH,
  QUELL_LOCATE_STANDARD
} QuellLocateSource;

typedef struct {
  QuellLocateSource source;
  int n_bundles;                 /* 1 or 2 in the beside cases, else 0 (load the whole path) */
  char bundles[2][PATH_MAX + 2]; /* absolute bundle folders, each ending in '/' */
  char program_dir[PATH_MAX];    /* the folder looked beside ("" if the program's path is unknown) */
} QuellLocation;

/* Fills loc for the running program (its path from /proc/self/exe, else argv0 when it holds a
 * '/'). Never fails: with nothing beside the program it falls back to cases 3 and 4. */
void quell_locate(const char *argv0, QuellLocation *loc);

/* Where loc points, for -v and for "not found" errors: the bundle and why it was chosen, or
 * "LV2_PATH=..." / "the standard LV2 path ...". */
const char *quell_locate_describe(const QuellLocation *loc, char *buf, size_t len);

#endif
