/* ink-minisign.h: Ed25519 signatures in minisign's file formats (libsodium)
 *
 * Compatible with Frank Denis' `minisign` tool (as packaged by Debian):
 * keys made by `minisign -G` load here, signatures made here pass
 * `minisign -V`, and signatures made by `minisign -S` verify here.
 *
 * Formats (base64 is standard, with padding):
 *
 *  public key file ("minisign.pub"):
 *      untrusted comment: minisign public key <KEYID>
 *      base64("Ed" || key_id[8] || public_key[32])
 *    `minisign -P` takes the base64 line alone; both are accepted here.
 *
 *  secret key file ("minisign.key"):
 *      untrusted comment: minisign encrypted secret key
 *      base64("Ed" || kdf_alg[2] || "B2" || salt[32] || opslimit[8 LE] ||
 *             memlimit[8 LE] || key_id[8] || secret_key[64] || checksum[32])
 *    kdf_alg is "Sc" (scrypt; the last 104 bytes are XORed with a scrypt
 *    stream of the password: libsodium's
 *    crypto_pwhash_scryptsalsa208sha256) or two zero bytes (unencrypted,
 *    `minisign -G -W`). checksum = BLAKE2b-256("Ed" || key_id || secret_key)
 *    and detects a wrong password. Note that minisign's default scrypt
 *    parameters need 1 GiB of memory to decrypt.
 *
 *  signature file ("FILE.minisig"):
 *      untrusted comment: <text>
 *      base64(alg[2] || key_id[8] || signature[64])
 *      trusted comment: <text>
 *      base64(global_signature[64])
 *    alg "ED" (minisign's default since 0.10) signs BLAKE2b-512(data); the
 *    legacy alg "Ed" signs the data itself. The global signature signs
 *    signature[64] || trusted comment text, so the trusted comment cannot be
 *    changed. Lines may end in "\n" or "\r\n".
 *
 * Key ids are shown as minisign shows them: the 8 bytes read as a
 * little-endian integer, in 16 upper-case hex digits.
 *
 * Errors: a malformed key or signature file is INK_ERR_FORMAT; a wrong
 * password, a signature by another key, a bad signature or a bad global
 * signature is INK_ERR_VERIFICATION; each message says which.
 *
 * Ownership: keys are caller-owned plain structs. Wipe a secret key with
 * ink_minisign_secret_key_clear when done. Returned strings are malloc'd
 * and owned by the caller. Every function is thread-safe (libsodium is
 * initialized once, internally).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ink-status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define INK_MINISIGN_KEY_ID_SIZE 8
#define INK_MINISIGN_PUBLIC_KEY_SIZE 32
#define INK_MINISIGN_SECRET_KEY_SIZE 64
/* The base64 public key line ("RWQ..."), 56 characters, plus the NUL. */
#define INK_MINISIGN_PUBLIC_KEY_BASE64_SIZE 57
/* A key id in hex plus the NUL. */
#define INK_MINISIGN_KEY_ID_HEX_SIZE 17
/* The longest comment minisign writes or reads, NUL included. */
#define INK_MINISIGN_COMMENT_SIZE 1024

typedef enum {
  INK_MINISIGN_PREHASHED = 0, /* "ED": Ed25519 over BLAKE2b-512 of the data (default) */
  INK_MINISIGN_LEGACY = 1,    /* "Ed": Ed25519 over the data */
} InkMinisignAlgorithm;

typedef struct {
  uint8_t key_id[INK_MINISIGN_KEY_ID_SIZE];
  uint8_t public_key[INK_MINISIGN_PUBLIC_KEY_SIZE];
} InkMinisignPublicKey;

typedef struct {
  uint8_t key_id[INK_MINISIGN_KEY_ID_SIZE];
  /* libsodium's Ed25519 secret key: the 32-byte seed, then the public key */
  uint8_t secret_key[INK_MINISIGN_SECRET_KEY_SIZE];
} InkMinisignSecretKey;

/* What a verified signature said. */
typedef struct {
  InkMinisignAlgorithm algorithm;
  uint8_t key_id[INK_MINISIGN_KEY_ID_SIZE];
  char trusted_comment[INK_MINISIGN_COMMENT_SIZE];
  char untrusted_comment[INK_MINISIGN_COMMENT_SIZE];
} InkMinisignSignatureInfo;

/* A new random key pair (the key id is random too). */
InkStatus ink_minisign_generate (InkMinisignPublicKey *pk, InkMinisignSecretKey *sk, InkError *err);

/* ---- Public keys ---- */

/* Parses a public key from size bytes of text: a minisign.pub file, or the
 * base64 line alone (surrounding white space ignored). */
InkStatus ink_minisign_public_key_parse (const char *text, size_t size, InkMinisignPublicKey *out,
                                         InkError *err);
InkStatus ink_minisign_public_key_load (const char *path, InkMinisignPublicKey *out, InkError *err);
/* The base64 line, NUL-terminated. */
void ink_minisign_public_key_to_base64 (const InkMinisignPublicKey *pk,
                                        char out[INK_MINISIGN_PUBLIC_KEY_BASE64_SIZE]);
/* A whole minisign.pub file's text (comment line, key line, newline). */
char *ink_minisign_public_key_to_text (const InkMinisignPublicKey *pk);

/* ---- Secret keys ---- */

/* Whether a secret key file's text is encrypted (needs a password). False
 * for text that is not a secret key at all. */
bool ink_minisign_secret_key_is_encrypted (const char *text, size_t size);
/* Parses a minisign.key file. password is needed for an encrypted key
 * (NULL there is INK_ERR_INVALID_ARGUMENT "the key is encrypted: a
 * password is needed") and ignored for an unencrypted one. A wrong
 * password is INK_ERR_VERIFICATION. Decrypting runs scrypt with the file's
 * own limits, which may take seconds and much memory. */
InkStatus ink_minisign_secret_key_parse (const char *text, size_t size, const char *password,
                                         InkMinisignSecretKey *out, InkError *err);
InkStatus ink_minisign_secret_key_load (const char *path, const char *password,
                                        InkMinisignSecretKey *out, InkError *err);
/* A minisign.key file's text. password NULL writes an unencrypted key (as
 * `minisign -G -W`); otherwise the key is encrypted with scrypt using
 * opslimit and memlimit (0 and 0: minisign's defaults, 2^25 and 1 GiB).
 * NULL with err set on failure. The caller frees (and should wipe) it. */
char *ink_minisign_secret_key_to_text (const InkMinisignSecretKey *sk, const char *password,
                                       uint64_t opslimit, uint64_t memlimit, InkError *err);
/* The public half of a secret key. */
void ink_minisign_secret_key_public (const InkMinisignSecretKey *sk, InkMinisignPublicKey *out);
/* Overwrites the key with zeros. */
void ink_minisign_secret_key_clear (InkMinisignSecretKey *sk);

/* ---- Signing and verifying ---- */

/* Signs size bytes of data and returns the .minisig file's text. NULL
 * comments take minisign's defaults: untrusted "signature from minisign
 * secret key", trusted "timestamp:<Unix seconds>". Comments must be one
 * line (no "\r" or "\n") shorter than INK_MINISIGN_COMMENT_SIZE, else
 * INK_ERR_INVALID_ARGUMENT. */
char *ink_minisign_sign (const InkMinisignSecretKey *sk, const void *data, size_t size,
                         InkMinisignAlgorithm algorithm, const char *untrusted_comment,
                         const char *trusted_comment, InkError *err);

/* Verifies a .minisig file's text (sig_size bytes) over size bytes of
 * data with pk: the key ids must match, the signature must be valid for
 * its algorithm, and the global signature must cover the trusted comment.
 * info (may be NULL) is filled on success. */
InkStatus ink_minisign_verify (const InkMinisignPublicKey *pk, const void *data, size_t size,
                               const char *sig_text, size_t sig_size,
                               InkMinisignSignatureInfo *info, InkError *err);

/* A key id as minisign prints it. */
void ink_minisign_key_id_to_hex (const uint8_t key_id[INK_MINISIGN_KEY_ID_SIZE],
                                 char out[INK_MINISIGN_KEY_ID_HEX_SIZE]);

#ifdef __cplusplus
}
#endif
