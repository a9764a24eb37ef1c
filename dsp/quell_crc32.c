/* quell_crc32.c — bitwise CRC-32; the blob is read once at instantiate, so a table buys nothing. */
#include "quell_crc32.h"

uint32_t quell_crc32_update(uint32_t crc, const void *data, size_t size)
{
  const unsigned char *p = data;
  crc = ~crc;
  for (size_t i = 0; i < size; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}
