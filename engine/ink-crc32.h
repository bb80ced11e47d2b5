/* ink-crc32.h: CRC-32 (IEEE 802.3, zlib's crc32), for the .inkmodel
 * format's checksums
 *
 * Streaming like zlib: start from 0 and pass the previous result back in
 * to continue over more bytes. With PCLMULQDQ (chosen once at run time;
 * INKLING_SIMD=generic turns it off) blocks are folded with carry-less
 * multiplication; otherwise a table walks 8 bytes at a time. Both give the
 * same values. Thread-safe.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint32_t ink_crc32 (uint32_t crc, const void *data, size_t size);
/* The table-driven code alone (for tests). */
uint32_t ink_crc32_portable (uint32_t crc, const void *data, size_t size);

#ifdef __cplusplus
}
#endif
