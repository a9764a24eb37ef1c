/* quell_crc32.h — CRC-32 (IEEE 802.3, reflected, as zlib's crc32) for the weights blob. */
#ifndef QUELL_CRC32_H
#define QUELL_CRC32_H

#include <stddef.h>
#include <stdint.h>

#include "quell.h"

/* Continues a CRC: start with crc = 0. Same result as zlib.crc32(data, crc). */
QUELL_API uint32_t quell_crc32_update(uint32_t crc, const void *data, size_t size);

#endif
