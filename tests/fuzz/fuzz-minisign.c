/* fuzz-minisign.c: minisign signature, public-key and secret-key parsers
 *
 * The input is parsed as a public key, as an unencrypted secret key (an
 * encrypted one would run scrypt with the input's own limits), and as a
 * .minisig file verified over FUZZ_MINISIGN_MESSAGE with the fixed key of
 * fuzz_minisign_key, which signed the seeds.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "fuzz-common.h"

#define MAX_INPUT ((size_t) 1 << 16)

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static InkMinisignSecretKey sk;
  static InkMinisignPublicKey pk;
  static bool have_key;
  const char *text = (const char *) data;
  InkMinisignPublicKey parsed_pk;
  InkMinisignSecretKey parsed_sk;
  InkMinisignSignatureInfo info;
  InkError err;

  if (size > MAX_INPUT)
    return 0;
  if (!have_key) {
    fuzz_minisign_key (&sk, &pk);
    have_key = true;
  }

  ink_error_clear (&err);
  if (ink_minisign_public_key_parse (text, size, &parsed_pk, &err) == INK_OK) {
    char b64[INK_MINISIGN_PUBLIC_KEY_BASE64_SIZE];
    char hex[INK_MINISIGN_KEY_ID_HEX_SIZE];

    ink_minisign_public_key_to_base64 (&parsed_pk, b64);
    ink_minisign_key_id_to_hex (parsed_pk.key_id, hex);
  }

  if (!ink_minisign_secret_key_is_encrypted (text, size)) {
    ink_error_clear (&err);
    if (ink_minisign_secret_key_parse (text, size, NULL, &parsed_sk, &err) == INK_OK)
      ink_minisign_secret_key_clear (&parsed_sk);
  }

  ink_error_clear (&err);
  memset (&info, 0, sizeof info);
  if (ink_minisign_verify (&pk, FUZZ_MINISIGN_MESSAGE, strlen (FUZZ_MINISIGN_MESSAGE), text, size,
                           &info, &err) == INK_OK) {
    /* The comments must be NUL-terminated strings. */
    (void) strlen (info.trusted_comment);
    (void) strlen (info.untrusted_comment);
  }
  return 0;
}
