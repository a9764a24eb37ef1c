/* quell-fixture-blob OUT.qwb [seed] — writes a valid random-weight blob with the default
 * configuration, for tests and fixture bundles (never shipped). */
#include <stdio.h>
#include <stdlib.h>

#include "blob_fixture.h"

int main(int argc, char **argv)
{
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s OUT.qwb [seed]\n", argv[0]);
    return 2;
  }
  QuellConfig cfg;
  quell_config_default(&cfg);
  size_t size;
  unsigned char *blob = quell_fixture_blob(&cfg, argc == 3 ? (uint32_t)strtoul(argv[2], NULL, 0) : 1, &size);
  if (!blob || quell_fixture_write(argv[1], blob, size) != 0) {
    fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[1]);
    free(blob);
    return 1;
  }
  free(blob);
  return 0;
}
