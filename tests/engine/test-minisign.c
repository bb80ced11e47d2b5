/* test-minisign.c: Ed25519 signatures in minisign's formats, checked
 * against Debian's `minisign` (test vectors it made, and, when installed,
 * keys and signatures it makes at test time and signatures it verifies)
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>
#include <sys/wait.h>

#include "test-util.h"

/* Made with minisign 0.11: `minisign -G -W`, then `minisign -S [-l] -t ...`
 * over VECTOR_MESSAGE. */
#define VECTOR_MESSAGE "Inkling test vector\n"
#define VECTOR_KEY_ID "E6DE5B176E51E155"
static const char vector_pub[] = "untrusted comment: minisign public key E6DE5B176E51E155\n"
                                 "RWRV4VFuF1ve5qdvT/pQZsqEaRXar/h5r+8Wy6jhIQnXqmoWUOm7P9g7\n";
static const char vector_hashed[] =
  "untrusted comment: signature from minisign secret key\n"
  "RURV4VFuF1ve5lXAC3xlmUBW0qsdL/uTdFLwir4XdXZFyuZazvtY5dpVoxRwGTHJ9HVdpthwvui6BFKEdtE65gDsJeaaLtk"
  "ByAk=\n"
  "trusted comment: inkling test vector (prehashed)\n"
  "3NXw+q9g1QLddDf5ud+ZXCJbD9RI7y1wYQSv0cDV6LjsNGJ/iQPAmVOBxlHEwpxQOzxl6ja3wxwoGMI/beyvDQ==\n";
static const char vector_legacy[] =
  "untrusted comment: signature from minisign secret key\n"
  "RWRV4VFuF1ve5lHL8kwg24N1q44R4TKVcnNzWaFavibfJolGxHkrW0tvHfyPFdWOQQ17MI6qw3DPd90OlerhVBfdLRFdGKL"
  "PogY=\n"
  "trusted comment: inkling test vector (legacy)\n"
  "+B7Xu9IjP5LWTbwhy39W4Y2NAXDQQtUIOfy9q39kSFOdxoYpYu/ucxSirDj5OzKqo2dELnwUHNyjzc7/s2F0CA==\n";

static InkStatus
verify_text (const InkMinisignPublicKey *pk, const char *data, const char *sig,
             InkMinisignSignatureInfo *info, InkError *err)
{
  return ink_minisign_verify (pk, data, strlen (data), sig, strlen (sig), info, err);
}

/* A copy of s with the first occurrence of from replaced by to. */
static char *
replace (const char *s, const char *from, const char *to)
{
  const char *at = strstr (s, from);

  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int) (at - s), s, to, at + strlen (from));
}

static void
test_vectors (void)
{
  InkMinisignPublicKey pk;
  InkMinisignSignatureInfo info;
  InkError err = {0};
  char hex[INK_MINISIGN_KEY_ID_HEX_SIZE], b64[INK_MINISIGN_PUBLIC_KEY_BASE64_SIZE];
  char *bad;

  ink_assert_ok (ink_minisign_public_key_parse (vector_pub, strlen (vector_pub), &pk, &err), &err);
  ink_minisign_key_id_to_hex (pk.key_id, hex);
  g_assert_cmpstr (hex, ==, VECTOR_KEY_ID);
  ink_minisign_public_key_to_base64 (&pk, b64);
  g_assert_cmpstr (b64, ==, "RWRV4VFuF1ve5qdvT/pQZsqEaRXar/h5r+8Wy6jhIQnXqmoWUOm7P9g7");
  /* The base64 line alone (as minisign -P takes it), with white space. */
  {
    const char *line = "  RWRV4VFuF1ve5qdvT/pQZsqEaRXar/h5r+8Wy6jhIQnXqmoWUOm7P9g7\r\n";
    InkMinisignPublicKey again;

    ink_assert_ok (ink_minisign_public_key_parse (line, strlen (line), &again, &err), &err);
    g_assert_cmpmem (&pk, sizeof pk, &again, sizeof again);
  }

  ink_assert_ok (verify_text (&pk, VECTOR_MESSAGE, vector_hashed, &info, &err), &err);
  g_assert_cmpint (info.algorithm, ==, INK_MINISIGN_PREHASHED);
  g_assert_cmpstr (info.trusted_comment, ==, "inkling test vector (prehashed)");
  g_assert_cmpstr (info.untrusted_comment, ==, "signature from minisign secret key");
  ink_assert_ok (verify_text (&pk, VECTOR_MESSAGE, vector_legacy, &info, &err), &err);
  g_assert_cmpint (info.algorithm, ==, INK_MINISIGN_LEGACY);
  g_assert_cmpstr (info.trusted_comment, ==, "inkling test vector (legacy)");

  /* CRLF line ends are accepted. */
  {
    g_auto (GStrv) lines = g_strsplit (vector_hashed, "\n", -1);
    g_autofree char *crlf = g_strjoinv ("\r\n", lines);

    ink_assert_ok (verify_text (&pk, VECTOR_MESSAGE, crlf, NULL, &err), &err);
  }

  /* Changed data. */
  g_assert_cmpint (verify_text (&pk, "Inkling test vector!\n", vector_hashed, NULL, &err), ==,
                   INK_ERR_VERIFICATION);
  g_assert_nonnull (strstr (err.message, "signature"));
  g_assert_cmpint (verify_text (&pk, "", vector_legacy, NULL, &err), ==, INK_ERR_VERIFICATION);
  /* A changed trusted comment breaks the global signature. */
  bad = replace (vector_hashed, "(prehashed)", "(prehashed!)");
  g_assert_cmpint (verify_text (&pk, VECTOR_MESSAGE, bad, NULL, &err), ==, INK_ERR_VERIFICATION);
  g_assert_nonnull (strstr (err.message, "comment"));
  g_free (bad);
  /* The untrusted comment is not signed. */
  bad = replace (vector_hashed, "signature from minisign secret key", "anything");
  ink_assert_ok (verify_text (&pk, VECTOR_MESSAGE, bad, NULL, &err), &err);
  g_free (bad);
  /* Malformed signature files. */
  g_assert_cmpint (verify_text (&pk, VECTOR_MESSAGE, "", NULL, &err), ==, INK_ERR_FORMAT);
  g_assert_cmpint (verify_text (&pk, VECTOR_MESSAGE, "not a signature\n", NULL, &err), ==,
                   INK_ERR_FORMAT);
  bad = replace (vector_hashed, "RURV4", "RURV*");
  g_assert_cmpint (verify_text (&pk, VECTOR_MESSAGE, bad, NULL, &err), ==, INK_ERR_FORMAT);
  g_free (bad);
  bad = replace (vector_hashed, "trusted comment: inkling", "inkling");
  g_assert_cmpint (verify_text (&pk, VECTOR_MESSAGE, bad, NULL, &err), !=, INK_OK);
  g_free (bad);
  /* Malformed keys. */
  g_assert_cmpint (ink_minisign_public_key_parse ("RWRV4VFu", 8, &pk, &err), ==, INK_ERR_FORMAT);
  g_assert_cmpint (ink_minisign_public_key_parse ("", 0, &pk, &err), ==, INK_ERR_FORMAT);
}

static void
test_other_key (void)
{
  InkMinisignPublicKey pk, other;
  InkMinisignSecretKey sk;
  InkError err = {0};

  ink_assert_ok (ink_minisign_public_key_parse (vector_pub, strlen (vector_pub), &pk, &err), &err);
  ink_assert_ok (ink_minisign_generate (&other, &sk, &err), &err);
  ink_minisign_secret_key_clear (&sk);
  g_assert_cmpint (verify_text (&other, VECTOR_MESSAGE, vector_hashed, NULL, &err), ==,
                   INK_ERR_VERIFICATION);
  g_assert_nonnull (strstr (err.message, "key"));
  /* The same key id but another key: the signature itself fails. */
  memcpy (other.key_id, pk.key_id, sizeof pk.key_id);
  g_assert_cmpint (verify_text (&other, VECTOR_MESSAGE, vector_hashed, NULL, &err), ==,
                   INK_ERR_VERIFICATION);
}

static void
test_sign_verify (void)
{
  InkMinisignPublicKey pk, derived;
  InkMinisignSecretKey sk;
  InkMinisignSignatureInfo info;
  InkError err = {0};
  const char data[] = "{\"models\": []}\n";

  ink_assert_ok (ink_minisign_generate (&pk, &sk, &err), &err);
  ink_minisign_secret_key_public (&sk, &derived);
  g_assert_cmpmem (&pk, sizeof pk, &derived, sizeof derived);
  for (int alg = INK_MINISIGN_PREHASHED; alg <= INK_MINISIGN_LEGACY; alg++) {
    g_autofree char *sig =
      ink_minisign_sign (&sk, data, strlen (data), (InkMinisignAlgorithm) alg, NULL, NULL, &err);

    g_assert_nonnull (sig);
    g_assert_true (g_str_has_prefix (sig, "untrusted comment: signature from minisign secret "
                                          "key\n"));
    g_assert_nonnull (strstr (sig, "\ntrusted comment: timestamp:"));
    ink_assert_ok (verify_text (&pk, data, sig, &info, &err), &err);
    g_assert_cmpint (info.algorithm, ==, alg);
    g_assert_cmpint (verify_text (&pk, "{}", sig, NULL, &err), ==, INK_ERR_VERIFICATION);
  }
  {
    g_autofree char *sig = ink_minisign_sign (&sk, data, strlen (data), INK_MINISIGN_PREHASHED,
                                              "mine", "file:manifest.json", &err);

    ink_assert_ok (verify_text (&pk, data, sig, &info, &err), &err);
    g_assert_cmpstr (info.trusted_comment, ==, "file:manifest.json");
    g_assert_cmpstr (info.untrusted_comment, ==, "mine");
  }
  g_assert_null (
    ink_minisign_sign (&sk, data, strlen (data), INK_MINISIGN_PREHASHED, NULL, "two\nlines", &err));
  g_assert_cmpint (err.status, ==, INK_ERR_INVALID_ARGUMENT);
  ink_minisign_secret_key_clear (&sk);
}

static void
test_secret_key_text (void)
{
  InkMinisignPublicKey pk;
  InkMinisignSecretKey sk, back;
  InkError err = {0};
  char *text, *pub;

  ink_assert_ok (ink_minisign_generate (&pk, &sk, &err), &err);
  /* Unencrypted (minisign -G -W). */
  text = ink_minisign_secret_key_to_text (&sk, NULL, 0, 0, &err);
  g_assert_nonnull (text);
  g_assert_false (ink_minisign_secret_key_is_encrypted (text, strlen (text)));
  ink_assert_ok (ink_minisign_secret_key_parse (text, strlen (text), NULL, &back, &err), &err);
  g_assert_cmpmem (&sk, sizeof sk, &back, sizeof back);
  free (text);
  /* Encrypted, with small scrypt limits to stay fast. */
  text = ink_minisign_secret_key_to_text (&sk, "correct horse", 1 << 15, 1 << 24, &err);
  g_assert_nonnull (text);
  g_assert_true (ink_minisign_secret_key_is_encrypted (text, strlen (text)));
  g_assert_cmpint (ink_minisign_secret_key_parse (text, strlen (text), NULL, &back, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_minisign_secret_key_parse (text, strlen (text), "wrong", &back, &err), ==,
                   INK_ERR_VERIFICATION);
  g_assert_nonnull (strstr (err.message, "password"));
  ink_assert_ok (ink_minisign_secret_key_parse (text, strlen (text), "correct horse", &back, &err),
                 &err);
  g_assert_cmpmem (&sk, sizeof sk, &back, sizeof back);
  free (text);
  g_assert_false (ink_minisign_secret_key_is_encrypted ("junk", 4));
  g_assert_cmpint (ink_minisign_secret_key_parse ("junk", 4, NULL, &back, &err), ==,
                   INK_ERR_FORMAT);
  /* The public key file round trip. */
  pub = ink_minisign_public_key_to_text (&pk);
  g_assert_true (g_str_has_prefix (pub, "untrusted comment: minisign public key "));
  {
    InkMinisignPublicKey again;

    ink_assert_ok (ink_minisign_public_key_parse (pub, strlen (pub), &again, &err), &err);
    g_assert_cmpmem (&pk, sizeof pk, &again, sizeof again);
  }
  free (pub);
  ink_minisign_secret_key_clear (&sk);
  ink_minisign_secret_key_clear (&back);
  for (size_t i = 0; i < sizeof back.secret_key; i++)
    g_assert_cmpint (back.secret_key[i], ==, 0);
}

/* ---- With Debian's minisign at test time ---- */

static char *
minisign_path (void)
{
  char *path = g_find_program_in_path ("minisign");

  if (path == NULL)
    g_test_skip ("minisign is not installed (Debian: minisign): the test vectors still ran");
  return path;
}

/* Runs argv; returns its exit status, stdout in *out (may be NULL). */
static int
run (char **argv, char **out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *err_text = NULL, *out_text = NULL;
  int wait_status = 0;

  /* stdout is always captured: it must not mix with the TAP output */
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                     out != NULL ? out : &out_text, &err_text, &wait_status, &error))
    g_error ("cannot run %s: %s", argv[0], error->message);
  if (!g_spawn_check_wait_status (wait_status, NULL) && g_test_verbose ())
    g_printerr ("%s: %s\n", argv[0], err_text);
  return WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
}

static void
test_with_minisign (void)
{
  g_autofree char *minisign = minisign_path ();
  char *dir;
  g_autofree char *pk_path = NULL, *sk_path = NULL, *file = NULL, *sig_path = NULL;
  g_autofree char *our_sk = NULL, *our_pk = NULL, *out = NULL;
  InkMinisignPublicKey pk, our_public;
  InkMinisignSecretKey sk, ours;
  InkMinisignSignatureInfo info;
  InkError err = {0};
  const char data[] = "{\"url\": \"models/abc.mlmodel\"}\n";
  char *sig_text, *text;
  size_t size;

  if (minisign == NULL)
    return;
  dir = ink_test_tmpdir_new ();
  pk_path = g_build_filename (dir, "minisign.pub", NULL);
  sk_path = g_build_filename (dir, "minisign.key", NULL);
  file = g_build_filename (dir, "manifest.json", NULL);
  sig_path = g_build_filename (dir, "manifest.json.minisig", NULL);
  g_assert_true (g_file_set_contents (file, data, -1, NULL));

  /* A key made by minisign -G -W loads; both halves agree. */
  {
    char *argv[] = {minisign, "-G", "-W", "-p", pk_path, "-s", sk_path, NULL};

    g_assert_cmpint (run (argv, NULL), ==, 0);
  }
  ink_assert_ok (ink_minisign_public_key_load (pk_path, &pk, &err), &err);
  ink_assert_ok (ink_minisign_secret_key_load (sk_path, NULL, &sk, &err), &err);
  ink_minisign_secret_key_public (&sk, &our_public);
  g_assert_cmpmem (&pk, sizeof pk, &our_public, sizeof our_public);

  /* minisign -V accepts what we sign, in both algorithms. */
  for (int alg = INK_MINISIGN_PREHASHED; alg <= INK_MINISIGN_LEGACY; alg++) {
    char *argv[] = {minisign, "-V", "-p", pk_path, "-m", file, NULL};

    sig_text =
      ink_minisign_sign (&sk, data, strlen (data), (InkMinisignAlgorithm) alg,
                         "signature from inkling", "timestamp:1\tfile:manifest.json", &err);
    g_assert_nonnull (sig_text);
    g_assert_true (g_file_set_contents (sig_path, sig_text, -1, NULL));
    free (sig_text);
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (run (argv, &out), ==, 0);
    g_assert_nonnull (strstr (out, "Signature and comment signature verified"));
    g_assert_nonnull (strstr (out, "timestamp:1\tfile:manifest.json"));
  }
  /* ... and refuses it over changed data. */
  {
    char *argv[] = {minisign, "-V", "-p", pk_path, "-m", file, NULL};

    g_assert_true (g_file_set_contents (file, "{}", -1, NULL));
    g_assert_cmpint (run (argv, NULL), !=, 0);
    g_assert_true (g_file_set_contents (file, data, -1, NULL));
  }

  /* We verify what minisign -S signs (default and legacy). */
  for (int legacy = 0; legacy <= 1; legacy++) {
    char *argv[] = {
      minisign, "-S", "-s", sk_path, "-t", "made by minisign", "-m", file, legacy ? "-l" : NULL,
      NULL};

    g_assert_cmpint (run (argv, NULL), ==, 0);
    g_assert_true (g_file_get_contents (sig_path, &sig_text, &size, NULL));
    ink_assert_ok (ink_minisign_verify (&pk, data, strlen (data), sig_text, size, &info, &err),
                   &err);
    g_assert_cmpint (info.algorithm, ==, legacy ? INK_MINISIGN_LEGACY : INK_MINISIGN_PREHASHED);
    g_assert_cmpstr (info.trusted_comment, ==, "made by minisign");
    g_assert_cmpint (ink_minisign_verify (&pk, "{}", 2, sig_text, size, NULL, &err), ==,
                     INK_ERR_VERIFICATION);
    g_free (sig_text);
  }

  /* Keys we write (unencrypted) work in minisign. */
  ink_assert_ok (ink_minisign_generate (&our_public, &ours, &err), &err);
  text = ink_minisign_secret_key_to_text (&ours, NULL, 0, 0, &err);
  our_sk = g_build_filename (dir, "ours.key", NULL);
  g_assert_true (g_file_set_contents (our_sk, text, -1, NULL));
  free (text);
  text = ink_minisign_public_key_to_text (&our_public);
  our_pk = g_build_filename (dir, "ours.pub", NULL);
  g_assert_true (g_file_set_contents (our_pk, text, -1, NULL));
  free (text);
  {
    char *sign[] = {minisign, "-S", "-W", "-s", our_sk, "-m", file, NULL};
    char *verify[] = {minisign, "-V", "-p", our_pk, "-m", file, NULL};

    g_assert_cmpint (run (sign, NULL), ==, 0);
    g_assert_cmpint (run (verify, NULL), ==, 0);
    g_assert_true (g_file_get_contents (sig_path, &sig_text, &size, NULL));
    ink_assert_ok (
      ink_minisign_verify (&our_public, data, strlen (data), sig_text, size, NULL, &err), &err);
    /* Signed by our key: the minisign key's public half refuses it. */
    g_assert_cmpint (ink_minisign_verify (&pk, data, strlen (data), sig_text, size, NULL, &err), ==,
                     INK_ERR_VERIFICATION);
    g_free (sig_text);
  }
  ink_minisign_secret_key_clear (&sk);
  ink_minisign_secret_key_clear (&ours);
  ink_test_tmpdir_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/minisign/vectors", test_vectors);
  g_test_add_func ("/minisign/other-key", test_other_key);
  g_test_add_func ("/minisign/sign-verify", test_sign_verify);
  g_test_add_func ("/minisign/secret-key-text", test_secret_key_text);
  g_test_add_func ("/minisign/with-minisign", test_with_minisign);
  return g_test_run ();
}
