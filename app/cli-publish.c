/* cli-publish.c: `inkling-cli publish SITE_DIR MODEL.mlmodel --version V ...`,
 * a model server's site written for static hosting
 *
 * The site, as `inkling-cli serve`, nginx or any static host serves it:
 *
 *   SITE_DIR/models/<uuid>.mlmodel         each published model, as given
 *   SITE_DIR/manifest.json                 the extended manifest: every
 *                                          model published, newest last
 *   SITE_DIR/latest_model_details.json     the seed article's {"url": ...}
 *                                          form: the newest on "stable"
 *   SITE_DIR/manifest.json.minisig,        their signatures (--key)
 *   SITE_DIR/latest_model_details.json.minisig
 *
 * Publishing adds a model to the manifest already there. Nothing is
 * written until the model has compiled and the key has loaded; every file
 * is replaced atomically, the model first, the manifests last.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli-common.h"
#include "ink-sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MANIFEST_NAME "manifest.json"
#define SEED_MANIFEST_NAME "latest_model_details.json"
#define SIGNATURE_SUFFIX ".minisig"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InkManifest, ink_manifest_free)

typedef struct {
  const char *site;
  const char *model_path;
  const char *version;
  const char *id;
  const char *channel;
  const char *key_path;
  const char *notes;
  int rollout;
  const char *min_app_version;
  const char *expires;
  const char *base_url;
  gboolean json;
} Options;

/* ---- The secret key ---- */

/* Reads a password from the terminal without echoing it; NULL when there
 * is no terminal. */
static char *
prompt_password (const char *key_path)
{
  struct termios saved, quiet;
  char line[1024];
  FILE *tty = fopen ("/dev/tty", "r+e");
  gboolean echo_off;
  char *password = NULL;

  if (tty == NULL)
    return NULL;
  fprintf (tty, "Password for %s: ", key_path);
  fflush (tty);
  echo_off = tcgetattr (fileno (tty), &saved) == 0;
  if (echo_off) {
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t) ECHO;
    tcsetattr (fileno (tty), TCSAFLUSH, &quiet);
  }
  if (fgets (line, sizeof line, tty) != NULL) {
    line[strcspn (line, "\r\n")] = '\0';
    password = g_strdup (line);
  }
  if (echo_off)
    tcsetattr (fileno (tty), TCSAFLUSH, &saved);
  fputc ('\n', tty);
  explicit_bzero (line, sizeof line);
  fclose (tty);
  return password;
}

/* Loads a minisign secret key: unencrypted (`minisign -G -W`), or
 * encrypted with the password in $INKLING_KEY_PASSWORD or typed on the
 * terminal. */
static int
load_secret_key (const char *path, InkMinisignSecretKey *key)
{
  g_autofree char *text = NULL;
  g_autofree char *password = NULL;
  g_autoptr (GError) error = NULL;
  gsize size = 0;
  InkError err = {0};
  InkStatus status;

  if (!g_file_get_contents (path, &text, &size, &error))
    return cli_fail ("cannot read the key: %s", error->message);
  if (ink_minisign_secret_key_is_encrypted (text, size)) {
    password = g_strdup (g_getenv ("INKLING_KEY_PASSWORD"));
    if (password == NULL)
      password = prompt_password (path);
    if (password == NULL) {
      explicit_bzero (text, size);
      return cli_fail ("%s is encrypted: set INKLING_KEY_PASSWORD, or run on a terminal to type "
                       "the password",
                       path);
    }
  }
  status = ink_minisign_secret_key_parse (text, size, password, key, &err);
  explicit_bzero (text, size);
  if (password != NULL)
    explicit_bzero (password, strlen (password));
  if (status != INK_OK)
    return cli_fail ("%s: %s", path, err.message[0] ? err.message : ink_status_to_string (status));
  return CLI_EXIT_OK;
}

/* ---- Files ---- */

static int
write_file (const char *site, const char *name, const void *data, gsize size)
{
  g_autofree char *path = g_build_filename (site, name, NULL);
  g_autoptr (GError) error = NULL;

  if (!g_file_set_contents (path, data, (gssize) size, &error))
    return cli_fail ("cannot write %s: %s", path, error->message);
  return CLI_EXIT_OK;
}

/* Writes name (a manifest) and, with a key, name.minisig; without one, an
 * old name.minisig (which would no longer match) is deleted. */
static int
write_manifest (const Options *o, const char *name, const char *text,
                const InkMinisignSecretKey *key, char **signature_name)
{
  g_autofree char *sig_name = g_strconcat (name, SIGNATURE_SUFFIX, NULL);
  int status;

  *signature_name = NULL;
  if (key != NULL) {
    g_autofree char *trusted = g_strdup_printf ("timestamp:%" G_GINT64_FORMAT "\tfile:%s\thashed",
                                                g_get_real_time () / G_USEC_PER_SEC, name);
    InkError err = {0};
    char *signature = ink_minisign_sign (key, text, strlen (text), INK_MINISIGN_PREHASHED,
                                         "signature from inkling-cli publish", trusted, &err);

    if (signature == NULL)
      return cli_fail ("cannot sign %s: %s", name,
                       err.message[0] ? err.message : ink_status_to_string (err.status));
    status = write_file (o->site, sig_name, signature, strlen (signature));
    free (signature);
    if (status != CLI_EXIT_OK)
      return status;
    *signature_name = g_steal_pointer (&sig_name);
  } else {
    g_autofree char *sig_path = g_build_filename (o->site, sig_name, NULL);

    if (g_unlink (sig_path) != 0 && errno != ENOENT)
      return cli_fail ("cannot delete the stale signature %s: %s", sig_path, g_strerror (errno));
  }
  return write_file (o->site, name, text, strlen (text));
}

/* The manifest already in the site (extended form), or a new one. */
static int
open_manifest (const Options *o, InkManifest **out, gboolean *converted)
{
  g_autofree char *path = g_build_filename (o->site, MANIFEST_NAME, NULL);
  InkError err = {0};

  *converted = FALSE;
  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    *out = ink_manifest_new ();
    return *out != NULL ? CLI_EXIT_OK : cli_fail ("out of memory");
  }
  *out = ink_manifest_load (path, NULL, &err);
  if (*out == NULL)
    return cli_fail ("%s is not a manifest inkling-cli can add to (%s); move it away to start a "
                     "new one",
                     path, err.message[0] ? err.message : ink_status_to_string (err.status));
  if (ink_manifest_get_form (*out) == INK_MANIFEST_SIMPLE) {
    /* A seed-form manifest has no versions to keep: start the extended one. */
    ink_manifest_free (*out);
    *out = ink_manifest_new ();
    *converted = TRUE;
  }
  return CLI_EXIT_OK;
}

/* The id: --id, else the newest id already in the manifest, else the
 * model file's name without its extension. */
static char *
choose_id (const Options *o, const InkManifest *manifest)
{
  size_t n = ink_manifest_n_models (manifest);
  g_autofree char *base = NULL;
  char *dot;

  if (o->id != NULL)
    return g_strdup (o->id);
  if (n > 0)
    return g_strdup (ink_manifest_get_model (manifest, n - 1)->id);
  base = g_path_get_basename (o->model_path);
  dot = strrchr (base, '.');
  if (dot != NULL && dot != base)
    *dot = '\0';
  return g_steal_pointer (&base);
}

/* ---- Output ---- */

static void
print_result (const Options *o, const InkManifestModel *m, const char *model_name,
              const InkManifest *manifest, const char *signature, const char *seed,
              const char *seed_signature, const char *key_id, gboolean converted)
{
  if (o->json) {
    g_autoptr (cJSON) json = cJSON_CreateObject ();

    cJSON_AddStringToObject (json, "id", m->id);
    cJSON_AddStringToObject (json, "version", m->version);
    cJSON_AddStringToObject (json, "channel", m->channel ? m->channel : "stable");
    cJSON_AddNumberToObject (json, "rollout_percent", m->rollout_percent);
    cJSON_AddStringToObject (json, "url", m->url);
    cJSON_AddStringToObject (json, "file", model_name);
    cJSON_AddItemToObject (json, "size", cli_json_int64 (m->size));
    cJSON_AddStringToObject (json, "sha256", m->sha256);
    cJSON_AddStringToObject (json, "manifest", MANIFEST_NAME);
    cJSON_AddItemToObject (json, "signature",
                           signature ? cJSON_CreateString (signature) : cJSON_CreateNull ());
    cJSON_AddItemToObject (json, "seed_manifest",
                           seed ? cJSON_CreateString (seed) : cJSON_CreateNull ());
    cJSON_AddItemToObject (json, "seed_signature",
                           seed_signature ? cJSON_CreateString (seed_signature)
                                          : cJSON_CreateNull ());
    cJSON_AddItemToObject (json, "key_id",
                           key_id ? cJSON_CreateString (key_id) : cJSON_CreateNull ());
    cJSON_AddNumberToObject (json, "models", (double) ink_manifest_n_models (manifest));
    cli_print_json (json);
    return;
  }
  printf ("Published %s %s (channel %s, rollout %d%%)\n", m->id, m->version,
          m->channel ? m->channel : "stable", m->rollout_percent);
  printf ("  %s: %" G_GINT64_FORMAT " bytes, sha256 %s\n", model_name, (gint64) m->size, m->sha256);
  if (converted)
    printf ("  %s was in the seed article's form: replaced by the extended form\n", MANIFEST_NAME);
  printf ("  %s: %zu %s\n", MANIFEST_NAME, ink_manifest_n_models (manifest),
          ink_manifest_n_models (manifest) == 1 ? "model" : "models");
  if (seed != NULL)
    printf ("  %s: the seed article's form, for the newest model on \"stable\"\n", seed);
  else
    printf ("  %s: not written (no model on \"stable\")\n", SEED_MANIFEST_NAME);
  if (key_id != NULL)
    printf ("  signed with key %s: %s%s%s\n", key_id, signature, seed_signature ? ", " : "",
            seed_signature ? seed_signature : "");
  else
    printf ("  not signed (no --key)\n");
}

/* ---- The command ---- */

static int
check_usage (Options *o, char **remaining, int64_t *expires)
{
  InkError err = {0};
  int status = cli_check_arguments ("publish", remaining, 2, "SITE_DIR and MODEL.mlmodel");

  if (status != CLI_EXIT_OK)
    return status;
  o->site = remaining[0];
  o->model_path = remaining[1];
  if (o->version == NULL)
    return cli_usage_error ("publish", "missing --version V");
  if (!ink_version_is_valid (o->version))
    return cli_usage_error ("publish", "--version '%s' is not a dotted version such as 1.2.0",
                            o->version);
  if (o->min_app_version != NULL && !ink_version_is_valid (o->min_app_version))
    return cli_usage_error ("publish", "--min-app-version '%s' is not a dotted version",
                            o->min_app_version);
  if (o->rollout < 0 || o->rollout > 100)
    return cli_usage_error ("publish", "--rollout takes a percentage, 0 to 100");
  if (o->channel != NULL && o->channel[0] == '\0')
    return cli_usage_error ("publish", "--channel must not be empty");
  if (o->id != NULL && o->id[0] == '\0')
    return cli_usage_error ("publish", "--id must not be empty");
  if (o->base_url != NULL && !g_str_has_prefix (o->base_url, "http://") &&
      !g_str_has_prefix (o->base_url, "https://"))
    return cli_usage_error ("publish", "--base-url must be an http:// or https:// URL");
  *expires = -1; /* keep */
  if (o->expires != NULL && strcmp (o->expires, "never") == 0)
    *expires = 0;
  else if (o->expires != NULL && ink_manifest_parse_date (o->expires, expires, &err) != INK_OK)
    return cli_usage_error ("publish",
                            "--expires '%s' is not a date (2027-01-31 or "
                            "2027-01-31T12:00:00Z) nor 'never'",
                            o->expires);
  return CLI_EXIT_OK;
}

static int
publish (const Options *o, int64_t expires, const InkMinisignSecretKey *key)
{
  g_autoptr (InkModel) compiled = NULL;
  g_autoptr (InkManifest) manifest = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *id = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *model_name = NULL;
  g_autofree char *url = NULL;
  g_autofree char *models_dir = g_build_filename (o->site, "models", NULL);
  g_autofree char *signature = NULL;
  g_autofree char *seed_signature = NULL;
  char *extended = NULL, *seed = NULL;
  gboolean has_seed;
  char safe[INK_MODEL_STORE_NAME_SIZE];
  char sha256[INK_SHA256_HEX_SIZE];
  char key_id[INK_MINISIGN_KEY_ID_HEX_SIZE];
  uint8_t digest[INK_SHA256_DIGEST_SIZE];
  const InkManifestModel *added;
  InkManifestModel model = {0};
  InkError err = {0};
  gboolean converted;
  gsize size = 0;
  int status;

  if (!g_file_test (o->site, G_FILE_TEST_IS_DIR))
    return cli_fail ("%s is not a folder", o->site);
  if (cli_is_compiled_model (o->model_path))
    return cli_fail ("%s is a compiled .inkmodel: publish takes a Core ML .mlmodel (write one "
                     "with inkling-cli export)",
                     o->model_path);
  /* Only what compiles is published: the app compiles it the same way. */
  compiled = ink_coreml_compile_file (o->model_path, &err);
  if (compiled == NULL)
    return cli_fail ("%s does not compile: %s", o->model_path,
                     err.message[0] ? err.message : ink_status_to_string (err.status));
  if (!g_file_get_contents (o->model_path, &data, &size, &error))
    return cli_fail ("cannot read %s: %s", o->model_path, error->message);
  ink_sha256 (data, size, digest);
  ink_sha256_hex (digest, sha256);

  status = open_manifest (o, &manifest, &converted);
  if (status != CLI_EXIT_OK)
    return status;
  id = choose_id (o, manifest);
  if (ink_model_store_safe_name (id, safe, &err) != INK_OK)
    return cli_fail ("the id '%s' cannot be used: %s", id, err.message);
  if (ink_manifest_find (manifest, id, o->version) != NULL)
    return cli_fail ("%s %s is already published in %s/%s", id, o->version, o->site, MANIFEST_NAME);

  model_name = g_strdup_printf ("models/%s.mlmodel", uuid);
  url = o->base_url != NULL
          ? g_strdup_printf ("%s%s%s", o->base_url, g_str_has_suffix (o->base_url, "/") ? "" : "/",
                             model_name)
          : g_strdup (model_name);
  model.id = id;
  model.version = o->version;
  model.url = url;
  model.size = (int64_t) size;
  model.sha256 = sha256;
  model.min_app_version = o->min_app_version;
  model.channel = o->channel;
  model.rollout_percent = o->rollout;
  model.published = g_get_real_time () / G_USEC_PER_SEC;
  model.notes = o->notes;
  if (ink_manifest_add_model (manifest, &model, &err) != INK_OK)
    return cli_fail_engine (&err);
  if (expires >= 0)
    ink_manifest_set_expires (manifest, expires);

  extended = ink_manifest_to_json (manifest, INK_MANIFEST_EXTENDED, &err);
  if (extended == NULL)
    return cli_fail_engine (&err);
  seed = ink_manifest_to_json (manifest, INK_MANIFEST_SIMPLE, &err);
  if (seed == NULL && err.status != INK_ERR_INVALID_ARGUMENT) {
    free (extended);
    return cli_fail_engine (&err);
  }

  if (g_mkdir_with_parents (models_dir, 0755) != 0)
    status = cli_fail ("cannot create %s: %s", models_dir, g_strerror (errno));
  if (status == CLI_EXIT_OK)
    status = write_file (o->site, model_name, data, size);
  if (status == CLI_EXIT_OK && seed != NULL)
    status = write_manifest (o, SEED_MANIFEST_NAME, seed, key, &seed_signature);
  if (status == CLI_EXIT_OK)
    status = write_manifest (o, MANIFEST_NAME, extended, key, &signature);
  has_seed = seed != NULL;
  free (extended);
  free (seed);
  if (status != CLI_EXIT_OK)
    return status;

  added = ink_manifest_find (manifest, id, o->version);
  if (key != NULL)
    ink_minisign_key_id_to_hex (key->key_id, key_id);
  print_result (o, added, model_name, manifest, signature, has_seed ? SEED_MANIFEST_NAME : NULL,
                seed_signature, key != NULL ? key_id : NULL, converted);
  return cli_finish_output ();
}

int
cli_publish (int argc, char **argv)
{
  Options o = {.rollout = 100};
  g_autofree char *version = NULL, *id = NULL, *channel = NULL, *key_path = NULL;
  g_autofree char *notes = NULL, *min_app_version = NULL, *expires_text = NULL;
  g_autofree char *base_url = NULL;
  g_auto (GStrv) remaining = NULL;
  const GOptionEntry entries[] = {
    {"version", 0, 0, G_OPTION_ARG_STRING, &version, "The model's version (dotted: 1.2.0)", "V"},
    {"id", 0, 0, G_OPTION_ARG_STRING, &id,
     "The model's id (default: the manifest's newest id, else MODEL's file name)", "ID"},
    {"channel", 0, 0, G_OPTION_ARG_STRING, &channel, "The channel (default stable)", "C"},
    {"key", 0, 0, G_OPTION_ARG_FILENAME, &key_path,
     "Sign the manifests with this minisign secret key", "FILE"},
    {"notes", 0, 0, G_OPTION_ARG_STRING, &notes, "Release notes", "T"},
    {"rollout", 0, 0, G_OPTION_ARG_INT, &o.rollout,
     "Offer it to this percentage of installations (default 100)", "P"},
    {"min-app-version", 0, 0, G_OPTION_ARG_STRING, &min_app_version,
     "The oldest app version it is for", "V"},
    {"expires", 0, 0, G_OPTION_ARG_STRING, &expires_text,
     "When the manifest expires (2027-01-31, 2027-01-31T12:00:00Z, or never; default: as it "
     "was)",
     "DATE"},
    {"base-url", 0, 0, G_OPTION_ARG_STRING, &base_url,
     "Write absolute model URLs under this site URL (default: relative URLs)", "URL"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &o.json, "Print what was published as JSON", NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &remaining, NULL,
     "SITE_DIR MODEL.mlmodel"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  InkMinisignSecretKey key;
  int64_t expires;
  int status;

  g_option_context_set_summary (
    context, "Publishes a Core ML model on a static site for over-the-air updates: copies it\n"
             "to SITE_DIR/models/<uuid>.mlmodel and adds it to SITE_DIR/manifest.json (the\n"
             "extended form); writes SITE_DIR/latest_model_details.json, the seed article's\n"
             "{\"url\": ...} form, for the newest model on the stable channel; with --key,\n"
             "signs both in minisign's format (.minisig beside each).");
  g_option_context_set_description (
    context, "The model must compile. The key is a minisign secret key (minisign -G; an\n"
             "encrypted one takes its password from $INKLING_KEY_PASSWORD or the terminal).\n"
             "Check a signature with: minisign -V -p KEY.pub -m SITE_DIR/manifest.json\n");
  g_option_context_add_main_entries (context, entries, NULL);
  status = cli_parse_options (context, "publish", &argc, &argv);
  o.version = version;
  o.id = id;
  o.channel = channel;
  o.key_path = key_path;
  o.notes = notes;
  o.min_app_version = min_app_version;
  o.expires = expires_text;
  o.base_url = base_url;
  if (status == CLI_EXIT_OK)
    status = check_usage (&o, remaining, &expires);
  if (status != CLI_EXIT_OK)
    return status;

  if (key_path != NULL) {
    status = load_secret_key (key_path, &key);
    if (status != CLI_EXIT_OK)
      return status;
  }
  status = publish (&o, expires, key_path != NULL ? &key : NULL);
  if (key_path != NULL)
    ink_minisign_secret_key_clear (&key);
  return status;
}
