/* quell-fixture-blob OUT.qwb [seed [lag-mask]] — writes a valid random-weight blob with the
 * default configuration, for tests and fixture bundles (never shipped). lag-mask: bit n asks for
 * the input lag tap on frame t - n (0x10116: taps 1, 2, 4, 8 and 16, as the shipped network has). */
#include <stdio.h>
#include <stdlib.h>

#include "blob_fixture.h"

int main(int argc, char **argv)
{
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: %s OUT.qwb [seed [lag-mask]]\n", argv[0]);
    return 2;
  }
  QuellConfig cfg;
  quell_config_default(&cfg);
  size_t size;
  const uint32_t seed = argc >= 3 ? (uint32_t)strtoul(argv[2], NULL, 0) : 1;
  const uint32_t lags = argc == 4 ? (uint32_t)strtoul(argv[3], NULL, 0) & 0x1fffeu : 0;
  unsigned char *blob = quell_fixture_blob_lags(&cfg, seed, lags, 1.0f, &size);
  if (!blob || quell_fixture_write(argv[1], blob, size) != 0) {
    fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[1]);
    free(blob);
    return 1;
  }
  free(blob);
  return 0;
}
