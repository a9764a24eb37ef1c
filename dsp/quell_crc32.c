/* quell_crc32.c — table-driven CRC-32 (reflected polynomial 0xEDB88320, as zlib). The table is
 * built once on first use; a bitwise loop made the checksum over half of instantiate time for
 * an 0.9 MB blob. */
#include "quell_crc32.h"

#include <pthread.h>

static uint32_t quell_crc32_table[256];
static pthread_once_t quell_crc32_once = PTHREAD_ONCE_INIT;

static void quell_crc32_init(void)
{
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    quell_crc32_table[i] = c;
  }
}

uint32_t quell_crc32_update(uint32_t crc, const void *data, size_t size)
{
  pthread_once(&quell_crc32_once, quell_crc32_init);
  const unsigned char *p = data;
  crc = ~crc;
  for (size_t i = 0; i < size; i++) crc = quell_crc32_table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
  return ~crc;
}
