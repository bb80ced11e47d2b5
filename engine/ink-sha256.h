/* ink-sha256.h: SHA-256 (FIPS 180-4), for model ids and checksums
 *
 * A small, dependency-free implementation inside the engine. Streaming:
 * init, update any number of times, final. Not thread-safe per context;
 * separate contexts are independent.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INK_SHA256_DIGEST_SIZE 32
/* Hex digest plus the terminating NUL. */
#define INK_SHA256_HEX_SIZE 65

typedef struct {
  uint32_t state[8];
  uint64_t length; /* bytes hashed so far */
  uint8_t block[64];
  size_t used; /* bytes waiting in block */
} InkSha256;

void ink_sha256_init (InkSha256 *ctx);
void ink_sha256_update (InkSha256 *ctx, const void *data, size_t size);
/* Writes the digest; the context must be initialized again before reuse. */
void ink_sha256_final (InkSha256 *ctx, uint8_t digest[INK_SHA256_DIGEST_SIZE]);

/* One-shot digest of size bytes. */
void ink_sha256 (const void *data, size_t size, uint8_t digest[INK_SHA256_DIGEST_SIZE]);
/* Lower-case hex of a digest, NUL-terminated. */
void ink_sha256_hex (const uint8_t digest[INK_SHA256_DIGEST_SIZE], char hex[INK_SHA256_HEX_SIZE]);

#ifdef __cplusplus
}
#endif
