/* ink-remote-install.c: the updater's install, rollback and reset:
 * download (partial file, Range resume, caps), verify (size, SHA-256),
 * compile, fit, test prediction, personalize, place atomically, activate
 *
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ink-coreml.h"
#include "ink-remote-private.h"
#include "ink-sha256.h"
#include "ink-util-private.h"

#define DOWNLOADS "downloads"
#define PARTIAL_SUFFIX ".mlmodel.partial"
#define VERIFIED_SUFFIX ".mlmodel.verified"
#define READ_CHUNK (64 * 1024)

/* One install in progress. */
typedef struct {
  InkRemote *remote;
  const InkManifestModel *model; /* borrowed from remote->judged */
  char name[INK_MODEL_STORE_NAME_SIZE + INK_ACTIVITY_VERSION_SIZE];
  char *url;      /* the URL fetched (rewritten), malloc'd */
  char *partial;  /* DIR/downloads/NAME.mlmodel.partial */
  char *verified; /* DIR/downloads/NAME.mlmodel.verified */
  char sha256[INK_SHA256_HEX_SIZE];
  int64_t size;
  InkModel *base;
  InkModel *personal;
} Install;

static void
install_clear (Install *in)
{
  free (in->url);
  free (in->partial);
  free (in->verified);
  ink_model_free (in->base);
  ink_model_free (in->personal);
  memset (in, 0, sizeof *in);
}

/* Logs an error of step for the model and returns its status. */
static InkStatus
log_failure (InkRemote *remote, InkActivityStep step, const InkManifestModel *model,
             const InkError *e, long http_status)
{
  ink_remote_log (remote, step, INK_ACTIVITY_ERROR, e->status, http_status, -1, model, "%s",
                  e->message);
  return e->status;
}

static char *
download_path (InkRemote *remote, const char *name, const char *suffix)
{
  char rel[sizeof ((Install *) 0)->name + 64];

  snprintf (rel, sizeof rel, DOWNLOADS "/%s%s", name, suffix);
  return ink_store_file (remote->store, rel);
}

/* ---- Choosing ---- */

static bool
is_active (const InkManifestModel *m, const InkModelStoreEntry *active)
{
  if (active->source != INK_MODEL_SOURCE_DOWNLOADED || active->origin != INK_MODEL_ORIGIN_SERVER ||
      active->id == NULL || strcmp (m->id, active->id) != 0)
    return false;
  if (m->version == NULL || active->version == NULL)
    return m->version == NULL && active->version == NULL;
  return ink_version_compare (m->version, active->version) == 0;
}

/* The judged model asked for by version (or id): the index, or -1. */
static int
find_requested (InkRemote *remote, const char *version)
{
  InkModelStoreEntry active;
  size_t n = ink_remote_n_available (remote);
  int found = -1;

  ink_model_store_get_active (remote->store, &active);
  for (size_t i = 0; i < n; i++) {
    const InkManifestModel *m = &remote->judged[i].model;
    bool match = (m->version != NULL && ink_version_is_valid (version) &&
                  ink_version_compare (m->version, version) == 0) ||
                 strcmp (m->id, version) == 0;

    if (!match)
      continue;
    if (found < 0)
      found = (int) i;
    else if (active.origin == INK_MODEL_ORIGIN_SERVER && active.id != NULL &&
             strcmp (m->id, active.id) == 0 &&
             strcmp (remote->judged[found].model.id, active.id) != 0)
      found = (int) i; /* prefer the active model's line */
  }
  return found;
}

/* Refuses what must not be installed; *skip set when there is nothing to
 * do (the same model is active). */
static InkStatus
judge_request (InkRemote *remote, const InkManifestModel *m, unsigned flags, bool *skip,
               InkError *e)
{
  const InkRemoteConfig *c = &remote->settings.config;
  InkModelStoreEntry active;
  char safe[INK_MODEL_STORE_NAME_SIZE];
  const char *av;

  *skip = false;
  ink_model_store_get_active (remote->store, &active);
  if (ink_model_store_safe_name (m->id, safe, e) != INK_OK)
    return e->status;
  if (strcmp (m->id, INK_MODEL_STORE_BUNDLED_ID) == 0)
    return ink_error_set (e, INK_ERR_VERIFICATION,
                          "the model id \"%s\" is reserved for the bundled model", m->id);
  if (m->min_app_version != NULL && c->app_version != NULL &&
      ink_version_compare (c->app_version, m->min_app_version) < 0)
    return ink_error_set (e, INK_ERR_VERIFICATION, "%s %s needs app version %s; this is %s", m->id,
                          m->version != NULL ? m->version : "", m->min_app_version, c->app_version);
  if (is_active (m, &active) && !(flags & INK_REMOTE_REINSTALL)) {
    *skip = true;
    return INK_OK;
  }
  av = active.version;
  if (m->version != NULL && av != NULL && ink_version_compare (m->version, av) < 0 &&
      !(flags & INK_REMOTE_ALLOW_OLDER))
    return ink_error_set (e, INK_ERR_VERIFICATION,
                          "refused %s %s: it is older than the active version %s (a downgrade "
                          "needs an explicit rollback)",
                          m->id, m->version, av);
  if (m->version != NULL && av != NULL && ink_version_compare (m->version, av) == 0 &&
      !is_active (m, &active) && !(flags & (INK_REMOTE_ALLOW_OLDER | INK_REMOTE_REINSTALL)))
    return ink_error_set (e, INK_ERR_VERIFICATION,
                          "refused %s %s: it is not newer than the active version %s", m->id,
                          m->version, av);
  return INK_OK;
}

/* ---- Downloading ---- */

static int64_t
file_size (int fd)
{
  struct stat st;

  return fstat (fd, &st) == 0 ? (int64_t) st.st_size : -1;
}

/* Empties the partial file to start the download again. */
static InkStatus
restart_file (const Install *in, int fd, InkError *e)
{
  if (ftruncate (fd, 0) < 0)
    return ink_error_set (e, INK_ERR_IO, "cannot empty %s: %s", in->partial, strerror (errno));
  return INK_OK;
}

/* Downloads the model into in->partial, resuming what is there. Logs its
 * failures. */
static InkStatus
download (Install *in, InkError *e)
{
  InkRemote *remote = in->remote;
  const InkRemoteConfig *c = &remote->settings.config;
  const InkManifestModel *m = in->model;
  int64_t cap = c->max_download_size;
  int attempts = 0, restarts = 0;
  bool logged = false;
  int fd;
  InkStatus st;

  if (m->size >= 0 && m->size > cap) {
    ink_error_set (e, INK_ERR_VERIFICATION,
                   "refused %s: the manifest's size of %" PRId64
                   " bytes is larger than the maximum download size of %" PRId64 " bytes",
                   in->url, m->size, cap);
    return log_failure (remote, INK_ACTIVITY_VERIFY, m, e, 0);
  }
  if (m->size >= 0)
    cap = m->size;
  fd = open (in->partial, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    ink_error_set (e, INK_ERR_IO, "cannot write %s: %s", in->partial, strerror (errno));
    return log_failure (remote, INK_ACTIVITY_DOWNLOAD, m, e, 0);
  }
  for (;;) {
    InkHttpRequest req;
    InkHttpResponse resp;
    int64_t have = file_size (fd);

    if (have < 0 || (have > 0 && have >= cap)) {
      /* what is there cannot be a prefix of the file: start again */
      st = restart_file (in, fd, e);
      if (st != INK_OK)
        break;
      have = 0;
    }
    ink_remote_http_defaults (remote, &req);
    req.url = in->url;
    req.fd = fd;
    req.resume_from = have;
    req.max_size = cap;
    req.timeout_ms = c->download_timeout_ms;
    req.progress = c->progress;
    req.progress_data = c->progress_data;
    req.progress_total = m->size;
    if (have > 0)
      ink_remote_log (remote, INK_ACTIVITY_DOWNLOAD, INK_ACTIVITY_INFO, INK_OK, 0, have, m,
                      "resuming the download of %s at byte %" PRId64 " (Range request)", in->url,
                      have);
    else
      ink_remote_log (remote, INK_ACTIVITY_DOWNLOAD, INK_ACTIVITY_INFO, INK_OK, 0, -1, m,
                      "downloading %s%s", in->url, m->size >= 0 ? "" : " (size not given)");
    st = ink_http_get (&req, &resp, e);
    if (st == INK_ERR_CANCELLED)
      ink_remote_cancel (remote); /* (the progress callback's way too): the whole operation */
    if (st == INK_OK && resp.status == 416 && restarts == 0) {
      ink_remote_log (remote, INK_ACTIVITY_HTTP, INK_ACTIVITY_WARNING, INK_OK, 416, 0, m,
                      "the server refused the range from byte %" PRId64 " (HTTP 416): starting "
                      "again",
                      have);
      ink_http_response_clear (&resp);
      restarts++;
      st = restart_file (in, fd, e);
      if (st != INK_OK)
        break;
      continue;
    }
    if (st == INK_OK && resp.status != 200 && resp.status != 206) {
      st = ink_error_set (e, INK_ERR_HTTP, "HTTP %ld for %s", resp.status, in->url);
      log_failure (remote, INK_ACTIVITY_HTTP, m, e, resp.status);
      logged = true;
      ink_http_response_clear (&resp);
      break;
    }
    if (st == INK_OK) {
      ink_remote_log (remote, INK_ACTIVITY_HTTP, INK_ACTIVITY_INFO, INK_OK, resp.status, resp.bytes,
                      m, "GET %s: HTTP %ld, %" PRId64 " bytes in %.2f s%s%s", in->url, resp.status,
                      resp.bytes, resp.seconds,
                      resp.status == 206 ? ", appended to the partial file" : "",
                      resp.restarted ? ", the server ignored the range: started again" : "");
      ink_http_response_clear (&resp);
      break;
    }
    if (resp.bad_range && restarts == 0) {
      ink_remote_log (remote, INK_ACTIVITY_HTTP, INK_ACTIVITY_WARNING, st, resp.status, 0, m,
                      "%s: starting again", e->message);
      ink_http_response_clear (&resp);
      restarts++;
      st = restart_file (in, fd, e);
      if (st != INK_OK)
        break;
      continue;
    }
    if (st == INK_ERR_NETWORK && resp.interrupted && resp.bytes > 0 &&
        attempts < c->download_retries && !ink_remote_cancelled (remote)) {
      attempts++;
      ink_remote_log (remote, INK_ACTIVITY_DOWNLOAD, INK_ACTIVITY_WARNING, st, resp.status,
                      resp.bytes, m, "%s; resuming (attempt %d of %d)", e->message, attempts,
                      c->download_retries);
      ink_http_response_clear (&resp);
      continue;
    }
    if (st == INK_ERR_VERIFICATION && resp.too_large) {
      /* more bytes than allowed: nothing of it is worth keeping (and
       * should emptying fail, the size check refuses it next time) */
      restart_file (in, fd, NULL);
      if (m->size >= 0)
        ink_error_set (e, INK_ERR_VERIFICATION,
                       "refused %s: the server sent more than the manifest's size of %" PRId64
                       " bytes",
                       in->url, m->size);
      else
        ink_error_set (e, INK_ERR_VERIFICATION,
                       "refused %s: larger than the maximum download size of %" PRId64 " bytes",
                       in->url, cap);
    }
    log_failure (remote, INK_ACTIVITY_DOWNLOAD, m, e, resp.status);
    logged = true;
    if (st == INK_ERR_NETWORK || st == INK_ERR_CANCELLED)
      ink_remote_log (remote, INK_ACTIVITY_DOWNLOAD, INK_ACTIVITY_INFO, INK_OK, 0, file_size (fd),
                      m, "kept %" PRId64 " bytes in %s to resume from next time", file_size (fd),
                      in->partial);
    ink_http_response_clear (&resp);
    break;
  }
  if (close (fd) < 0 && st == INK_OK)
    st = ink_error_set (e, INK_ERR_IO, "cannot write %s: %s", in->partial, strerror (errno));
  if (st != INK_OK && !logged)
    log_failure (remote, INK_ACTIVITY_DOWNLOAD, m, e, 0);
  return st;
}

/* ---- Verifying ---- */

static InkStatus
hash_file (const char *path, int64_t *size, char hex[INK_SHA256_HEX_SIZE], InkError *e)
{
  uint8_t digest[INK_SHA256_DIGEST_SIZE];
  InkSha256 ctx;
  char *buf = malloc (READ_CHUNK);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  *size = 0;
  if (buf == NULL || fd < 0) {
    int saved = errno;

    free (buf);
    if (fd >= 0)
      close (fd);
    return ink_error_set (e, buf == NULL ? INK_ERR_NO_MEMORY : INK_ERR_IO, "cannot read %s: %s",
                          path, strerror (saved));
  }
  ink_sha256_init (&ctx);
  while ((n = read (fd, buf, READ_CHUNK)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved = errno;

      free (buf);
      close (fd);
      return ink_error_set (e, INK_ERR_IO, "cannot read %s: %s", path, strerror (saved));
    }
    ink_sha256_update (&ctx, buf, (size_t) n);
    *size += n;
  }
  ink_sha256_final (&ctx, digest);
  ink_sha256_hex (digest, hex);
  free (buf);
  close (fd);
  return INK_OK;
}

/* Checks the download's size and SHA-256 against the manifest. */
static InkStatus
verify (Install *in, InkError *e)
{
  InkRemote *remote = in->remote;
  const InkManifestModel *m = in->model;
  InkStatus st = hash_file (in->partial, &in->size, in->sha256, e);

  if (st != INK_OK)
    return st;
  if (m->size >= 0 && in->size != m->size)
    return ink_error_set (
      e, INK_ERR_VERIFICATION,
      "size mismatch: received %" PRId64 " bytes, the manifest says %" PRId64 " bytes (%s)",
      in->size, m->size, in->size < m->size ? "the file is short: truncated" : "too large");
  if (in->size == 0)
    return ink_error_set (e, INK_ERR_VERIFICATION, "the download of %s is empty", in->url);
  if (m->sha256 != NULL && strcasecmp (m->sha256, in->sha256) != 0)
    return ink_error_set (e, INK_ERR_VERIFICATION,
                          "SHA-256 mismatch: the download hashes to %s, the manifest says %s",
                          in->sha256, m->sha256);
  ink_remote_log (remote, INK_ACTIVITY_VERIFY, INK_ACTIVITY_INFO, INK_OK, 0, in->size, m,
                  "%" PRId64 " bytes, SHA-256 %s%s", in->size, in->sha256,
                  m->sha256 != NULL ? ": size and hash match the manifest"
                                    : " (the manifest gives no size or hash to check)");
  return INK_OK;
}

/* ---- Compiling and testing ---- */

static InkModel *
compile (const char *path, InkError *e)
{
  uint8_t head[16];
  ssize_t n = 0;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0) {
    ink_error_set (e, INK_ERR_IO, "cannot read %s: %s", path, strerror (errno));
    return NULL;
  }
  do
    n = read (fd, head, sizeof head);
  while (n < 0 && errno == EINTR);
  close (fd);
  if (n > 0 && !ink_coreml_sniff (head, (size_t) n))
    return ink_model_load (path, e); /* a compiled .inkmodel */
  return ink_coreml_compile_file (path, e);
}

static bool
type_ok (InkValueType want, InkValueType have)
{
  return want == INK_VALUE_INVALID || want == have;
}

/* Whether the model has the app's inputs and outputs (and passes fit). */
static InkStatus
check_fit (InkRemote *remote, const InkModel *model, InkError *e)
{
  const InkRemoteConfig *c = &remote->settings.config;
  const InkModelDescription *d = ink_model_get_description (model);

  for (size_t i = 0; i < c->n_required_inputs; i++) {
    const InkRemoteFeature *f = &c->required_inputs[i];
    const InkFeatureDescription *have = ink_description_find_input (d, f->name);

    if (have == NULL)
      return ink_error_set (e, INK_ERR_VERIFICATION,
                            "the model does not fit the app: it has no input \"%s\"", f->name);
    if (!type_ok (f->type, have->type.type))
      return ink_error_set (
        e, INK_ERR_VERIFICATION, "the model does not fit the app: its input \"%s\" is %s, not %s",
        f->name, ink_value_type_to_string (have->type.type), ink_value_type_to_string (f->type));
  }
  for (size_t i = 0; i < ink_description_n_inputs (d); i++) {
    const InkFeatureDescription *have = ink_description_input (d, i);
    bool known = c->n_required_inputs == 0 || have->type.optional;

    for (size_t k = 0; !known && k < c->n_required_inputs; k++)
      known = strcmp (c->required_inputs[k].name, have->name) == 0;
    if (!known)
      return ink_error_set (e, INK_ERR_VERIFICATION,
                            "the model does not fit the app: it needs an input \"%s\" the app "
                            "does not give",
                            have->name);
  }
  for (size_t i = 0; i < c->n_required_outputs; i++) {
    const InkRemoteFeature *f = &c->required_outputs[i];
    const InkFeatureDescription *have = ink_description_find_output (d, f->name);

    if (have == NULL)
      return ink_error_set (e, INK_ERR_VERIFICATION,
                            "the model does not fit the app: it has no output \"%s\"", f->name);
    if (!type_ok (f->type, have->type.type))
      return ink_error_set (
        e, INK_ERR_VERIFICATION, "the model does not fit the app: its output \"%s\" is %s, not %s",
        f->name, ink_value_type_to_string (have->type.type), ink_value_type_to_string (f->type));
  }
  if (c->fit != NULL && c->fit (model, c->fit_data, e) != INK_OK) {
    if (e->status == INK_OK)
      ink_error_set (e, INK_ERR_VERIFICATION, "the model does not fit the app");
    return ink_error_prefix (e, "the model does not fit the app");
  }
  return INK_OK;
}

/* A zero (or empty) value of a declared type; NULL when none can be made. */
static InkValue *
zero_value (const InkFeatureType *t)
{
  switch (t->type) {
  case INK_VALUE_INT64: return ink_value_new_int64 (0);
  case INK_VALUE_DOUBLE: return ink_value_new_double (0.0);
  case INK_VALUE_STRING: return ink_value_new_string ("");
  case INK_VALUE_MULTIARRAY: {
    int64_t one = 1;

    if (t->rank == 0)
      return ink_value_new_multiarray (t->array_type, 1, &one, NULL);
    return ink_value_new_multiarray (t->array_type, t->rank, t->shape, NULL);
  }
  case INK_VALUE_IMAGE: {
    int64_t w = t->image.width > 0 ? t->image.width : 1;
    int64_t h = t->image.height > 0 ? t->image.height : 1;
    size_t stride = (size_t) w * ink_pixel_format_bytes (t->image.format);
    uint8_t *pixels = w <= 16384 && h <= 16384 ? calloc ((size_t) h, stride) : NULL;
    InkValue *v = pixels != NULL
                    ? ink_value_new_image (t->image.format, (int) w, (int) h, stride, pixels)
                    : NULL;

    free (pixels);
    return v;
  }
  case INK_VALUE_DICTIONARY: return ink_value_new_dictionary (t->key_type);
  case INK_VALUE_SEQUENCE: return ink_value_new_sequence (t->element_type);
  default: return NULL;
  }
}

/* One prediction with the configured example (or zeros). */
static InkStatus
test_prediction (InkRemote *remote, const InkModel *model, InkError *e)
{
  const InkRemoteConfig *c = &remote->settings.config;
  const InkModelDescription *d = ink_model_get_description (model);
  InkFeatures *inputs =
    c->test_input != NULL ? ink_features_copy (c->test_input) : ink_features_new ();
  InkFeatures *outputs = NULL;
  InkStatus st = inputs != NULL ? INK_OK : ink_error_set (e, INK_ERR_NO_MEMORY, "out of memory");

  for (size_t i = 0; st == INK_OK && c->test_input == NULL && i < ink_description_n_inputs (d);
       i++) {
    const InkFeatureDescription *f = ink_description_input (d, i);
    InkValue *v;

    if (f->type.optional)
      continue;
    v = zero_value (&f->type);
    if (v == NULL)
      st = ink_error_set (e, INK_ERR_UNSUPPORTED, "no test value for the input \"%s\"", f->name);
    else
      st = ink_features_set (inputs, f->name, v);
    if (st != INK_OK && e->status == INK_OK)
      ink_error_set (e, st, "cannot make the test input \"%s\"", f->name);
  }
  if (st == INK_OK)
    st = ink_model_predict (model, inputs, &outputs, e);
  for (size_t i = 0; st == INK_OK && i < c->n_required_outputs; i++) {
    if (ink_features_get (outputs, c->required_outputs[i].name) == NULL)
      st = ink_error_set (e, INK_ERR_VERIFICATION, "the test prediction gave no output \"%s\"",
                          c->required_outputs[i].name);
  }
  ink_features_free (inputs);
  ink_features_free (outputs);
  if (st != INK_OK)
    return ink_error_prefix (e, "the test prediction failed");
  return INK_OK;
}

/* ---- Personalizing ---- */

/* Applies the user's examples to base: *personal set (or NULL when the
 * user taught nothing). Logs the outcome. */
static InkStatus
personalize (InkRemote *remote, const InkModel *base, const InkManifestModel *m,
             InkModel **personal, InkError *e)
{
  const InkRemoteConfig *c = &remote->settings.config;
  InkStatus st;

  *personal = NULL;
  if (c->personalize == NULL)
    return INK_OK;
  st = c->personalize (base, personal, c->personalize_data, e);
  if (st != INK_OK) {
    if (e->status == INK_OK)
      ink_error_set (e, st, "personalization failed");
    ink_error_prefix (e, "cannot re-apply the user's examples");
    ink_model_free (*personal);
    *personal = NULL;
    return log_failure (remote, INK_ACTIVITY_PERSONALIZE, m, e, 0);
  }
  ink_remote_log (remote, INK_ACTIVITY_PERSONALIZE, INK_ACTIVITY_INFO, INK_OK, 0, -1, m, "%s",
                  *personal != NULL ? "the user's examples were applied to the new base model"
                                    : "no examples to apply: the base model runs as is");
  return INK_OK;
}

/* ---- Placing ---- */

/* The names of the files in DIR/models (a NULL-terminated malloc'd array). */
static char **
list_models (InkRemote *remote, size_t *n)
{
  char *dir = ink_store_file (remote->store, "models");
  DIR *d = dir != NULL ? opendir (dir) : NULL;
  struct dirent *de;
  char **names = NULL;
  size_t cap = 0;

  *n = 0;
  while (d != NULL && (de = readdir (d)) != NULL) {
    char *copy;

    if (de->d_name[0] == '.')
      continue;
    if (!ink_grow ((void **) &names, sizeof *names, *n + 1, &cap))
      break;
    copy = ink_strdup (de->d_name);
    if (copy == NULL)
      break;
    names[(*n)++] = copy;
  }
  if (d != NULL)
    closedir (d);
  free (dir);
  return names;
}

/* Logs the files of before that are gone now. */
static void
log_cleanup (InkRemote *remote, const InkManifestModel *m, char **before, size_t n_before)
{
  char *dir = ink_store_file (remote->store, "models");
  size_t removed = 0;
  char names[INK_ACTIVITY_MESSAGE_SIZE / 2] = "";

  for (size_t i = 0; dir != NULL && i < n_before; i++) {
    char path[4096];
    struct stat st;

    snprintf (path, sizeof path, "%s/%s", dir, before[i]);
    if (lstat (path, &st) == 0)
      continue;
    removed++;
    if (strlen (names) + strlen (before[i]) + 3 < sizeof names) {
      if (names[0] != '\0')
        strcat (names, ", ");
      strcat (names, before[i]);
    }
  }
  free (dir);
  if (removed > 0)
    ink_remote_log (remote, INK_ACTIVITY_CLEANUP, INK_ACTIVITY_INFO, INK_OK, 0, -1, m,
                    "deleted %zu outdated model file%s: %s", removed, removed == 1 ? "" : "s",
                    names);
  else
    ink_remote_log (remote, INK_ACTIVITY_CLEANUP, INK_ACTIVITY_INFO, INK_OK, 0, -1, m,
                    "no outdated model files to delete");
}

static void
free_names (char **names, size_t n)
{
  ink_strv_free (names, n);
}

static void
describe_entry (const InkModelStoreEntry *e, char *buf, size_t size)
{
  if (e->source == INK_MODEL_SOURCE_BUNDLED)
    snprintf (buf, size, "the bundled model%s%s", e->version != NULL ? " " : "",
              e->version != NULL ? e->version : "");
  else
    snprintf (buf, size, "%s%s%s", e->id != NULL ? e->id : "?", e->version != NULL ? " " : "",
              e->version != NULL ? e->version : "");
}

/* Activates the installed entry; logs install, activate and clean-up. */
static InkStatus
place (Install *in, InkError *e)
{
  InkRemote *remote = in->remote;
  const InkManifestModel *m = in->model;
  InkModelStoreEntry entry, active, previous;
  char now_text[160], before_text[160];
  char **before;
  size_t n_before;
  InkStatus st;

  ink_model_store_get_active (remote->store, &active);
  describe_entry (&active, before_text, sizeof before_text);
  memset (&entry, 0, sizeof entry);
  entry.source = INK_MODEL_SOURCE_DOWNLOADED;
  entry.id = m->id;
  entry.version = m->version;
  entry.sha256 = in->sha256;
  entry.url = in->url;
  before = list_models (remote, &n_before);
  st = ink_model_store_install (remote->store, &entry, in->base, in->personal, e);
  if (st != INK_OK) {
    free_names (before, n_before);
    ink_error_prefix (e, "cannot install");
    return log_failure (remote, INK_ACTIVITY_INSTALL, m, e, 0);
  }
  ink_model_store_get_active (remote->store, &active);
  ink_remote_log (remote, INK_ACTIVITY_INSTALL, INK_ACTIVITY_INFO, INK_OK, 0, in->size, m,
                  "placed in the store as %s%s", active.path != NULL ? active.path : "?",
                  active.personal_path != NULL ? " (with the user's examples applied)" : "");
  describe_entry (&active, now_text, sizeof now_text);
  if (ink_model_store_get_previous (remote->store, &previous)) {
    char prev_text[160];

    describe_entry (&previous, prev_text, sizeof prev_text);
    ink_remote_log (remote, INK_ACTIVITY_ACTIVATE, INK_ACTIVITY_INFO, INK_OK, 0, -1, m,
                    "%s is now active (was %s); %s is kept for rollback", now_text, before_text,
                    prev_text);
  } else {
    ink_remote_log (remote, INK_ACTIVITY_ACTIVATE, INK_ACTIVITY_INFO, INK_OK, 0, -1, m,
                    "%s is now active (was %s)", now_text, before_text);
  }
  log_cleanup (remote, m, before, n_before);
  free_names (before, n_before);
  return INK_OK;
}

/* ---- Install ---- */

static InkStatus
run_install (Install *in, InkError *e)
{
  InkRemote *remote = in->remote;
  const InkRemoteConfig *c = &remote->settings.config;
  const InkManifestModel *m = in->model;
  char safe[INK_MODEL_STORE_NAME_SIZE];
  InkStatus st;

  /* names from the manifest never leave the store */
  st = ink_model_store_safe_name (m->id, safe, e);
  if (st != INK_OK)
    return log_failure (remote, INK_ACTIVITY_VERIFY, m, e, 0);
  if (m->version != NULL && !ink_version_is_valid (m->version)) {
    ink_error_set (e, INK_ERR_VERIFICATION, "unsafe version \"%.60s\"", m->version);
    return log_failure (remote, INK_ACTIVITY_VERIFY, m, e, 0);
  }
  snprintf (in->name, sizeof in->name, "%s%s%s", safe, m->version != NULL ? "-" : "",
            m->version != NULL ? m->version : "");
  in->url = ink_remote_rewrite_url (remote, m->resolved_url);
  in->partial = download_path (remote, in->name, PARTIAL_SUFFIX);
  in->verified = download_path (remote, in->name, VERIFIED_SUFFIX);
  if (in->url == NULL || in->partial == NULL || in->verified == NULL)
    return ink_error_set (e, INK_ERR_NO_MEMORY, "out of memory");
  if (strncasecmp (in->url, "https://", 8) != 0 &&
      (c->require_https || strncasecmp (in->url, "http://", 7) != 0)) {
    ink_error_set (e, INK_ERR_VERIFICATION, "refused the model URL %s: only %s is allowed", in->url,
                   c->require_https ? "https" : "http or https");
    return log_failure (remote, INK_ACTIVITY_VERIFY, m, e, 0);
  }

  st = download (in, e);
  if (st != INK_OK)
    return st; /* logged */
  if (ink_remote_check_cancel (remote, "verifying the download", e) != INK_OK)
    return log_failure (remote, INK_ACTIVITY_VERIFY, m, e, 0);
  st = verify (in, e);
  if (st != INK_OK) {
    unlink (in->partial); /* a wrong file: never resume it */
    return log_failure (remote, INK_ACTIVITY_VERIFY, m, e, 0);
  }
  if (rename (in->partial, in->verified) < 0) {
    ink_error_set (e, INK_ERR_IO, "cannot rename %s: %s", in->partial, strerror (errno));
    return log_failure (remote, INK_ACTIVITY_INSTALL, m, e, 0);
  }
  if (ink_remote_check_cancel (remote, "compiling", e) != INK_OK)
    return log_failure (remote, INK_ACTIVITY_COMPILE, m, e, 0);

  in->base = compile (in->verified, e);
  if (in->base == NULL) {
    ink_error_prefix (e, "the model does not compile");
    return log_failure (remote, INK_ACTIVITY_COMPILE, m, e, 0);
  }
  ink_remote_log (remote, INK_ACTIVITY_COMPILE, INK_ACTIVITY_INFO, INK_OK, 0, -1, m,
                  "compiled (%s model, %zu inputs, %zu outputs)",
                  ink_model_kind_to_string (ink_model_get_kind (in->base)),
                  ink_description_n_inputs (ink_model_get_description (in->base)),
                  ink_description_n_outputs (ink_model_get_description (in->base)));
  st = check_fit (remote, in->base, e);
  if (st != INK_OK)
    return log_failure (remote, INK_ACTIVITY_COMPILE, m, e, 0);
  st = test_prediction (remote, in->base, e);
  if (st != INK_OK)
    return log_failure (remote, INK_ACTIVITY_COMPILE, m, e, 0);
  ink_remote_log (remote, INK_ACTIVITY_COMPILE, INK_ACTIVITY_INFO, INK_OK, 0, -1, m,
                  "its inputs and outputs fit the app and a test prediction succeeded");
  if (ink_remote_check_cancel (remote, "applying the user's examples", e) != INK_OK)
    return log_failure (remote, INK_ACTIVITY_PERSONALIZE, m, e, 0);

  st = personalize (remote, in->base, m, &in->personal, e);
  if (st != INK_OK)
    return st;
  if (ink_remote_check_cancel (remote, "installing", e) != INK_OK)
    return log_failure (remote, INK_ACTIVITY_INSTALL, m, e, 0);
  return place (in, e);
}

InkStatus
ink_remote_install (InkRemote *remote, const char *version, unsigned flags, bool *installed,
                    InkRemoteCheckResult *result, InkError *err)
{
  InkRemoteCheckResult local;
  Install in;
  InkError e;
  InkStatus st;
  bool skip = false;
  int index;

  if (installed != NULL)
    *installed = false;
  if (result == NULL)
    result = &local;
  if (remote == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no updater");
  if (!ink_remote_begin (remote))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "busy: an update operation is running");
  ink_error_clear (&e);
  memset (&in, 0, sizeof in);
  in.remote = remote;

  st = ink_remote_do_check (remote, result, &e);
  if (st != INK_OK)
    goto out; /* logged */
  st = ink_remote_check_cancel (remote, "choosing a model to install", &e);
  if (st != INK_OK) {
    log_failure (remote, INK_ACTIVITY_DECISION, NULL, &e, 0);
    goto out;
  }
  if (version == NULL) {
    index = result->candidate;
    if (index < 0) {
      ink_remote_log (remote, INK_ACTIVITY_DECISION, INK_ACTIVITY_INFO, INK_OK, 0, -1, NULL,
                      "nothing to install: %s", result->reason);
      goto out;
    }
  } else {
    index = find_requested (remote, version);
    if (index < 0) {
      st = ink_error_set (
        &e, INK_ERR_INVALID_ARGUMENT, "version %s is not in the manifest (%zu model%s listed)",
        version, ink_remote_n_available (remote), ink_remote_n_available (remote) == 1 ? "" : "s");
      log_failure (remote, INK_ACTIVITY_DECISION, NULL, &e, 0);
      goto out;
    }
  }
  in.model = &remote->judged[index].model;
  st = judge_request (remote, in.model, flags, &skip, &e);
  if (st != INK_OK) {
    log_failure (remote, INK_ACTIVITY_DECISION, in.model, &e, 0);
    goto out;
  }
  if (skip) {
    snprintf (result->reason, sizeof result->reason, "%s %s is already active", in.model->id,
              in.model->version != NULL ? in.model->version : "");
    ink_remote_log (remote, INK_ACTIVITY_DECISION, INK_ACTIVITY_INFO, INK_OK, 0, -1, in.model,
                    "nothing to install: %s", result->reason);
    goto out;
  }
  ink_remote_log (remote, INK_ACTIVITY_DECISION, INK_ACTIVITY_INFO, INK_OK, 0, -1, in.model,
                  "installing %s %s%s", in.model->id,
                  in.model->version != NULL ? in.model->version : "(no version)",
                  version != NULL ? " (asked for by name)" : "");
  st = run_install (&in, &e);
  if (st == INK_OK) {
    InkRemoteState *s = &remote->state;

    if (installed != NULL)
      *installed = true;
    /* installing a model on purpose stops skipping it */
    if (s->skipped_id != NULL && strcmp (s->skipped_id, in.model->id) == 0) {
      ink_remote_state_set (&s->skipped_id, NULL);
      ink_remote_state_set (&s->skipped_version, NULL);
      ink_remote_state_save (remote->store, s, NULL);
    }
    unlink (in.verified);
    ink_remote_judge (remote);
  } else if (in.verified != NULL) {
    unlink (in.verified); /* verified but unusable: never resumed */
  }

out:
  install_clear (&in);
  ink_remote_end (remote);
  if (st != INK_OK && err != NULL)
    *err = e;
  return st;
}

InkStatus
ink_remote_update (InkRemote *remote, bool *installed, InkRemoteCheckResult *result, InkError *err)
{
  return ink_remote_install (remote, NULL, 0, installed, result, err);
}

/* ---- Rollback and reset ---- */

static void
entry_as_model (const InkModelStoreEntry *entry, InkManifestModel *m)
{
  memset (m, 0, sizeof *m);
  m->id = entry->id;
  m->version = entry->version;
  m->size = -1;
}

typedef enum {
  SWITCH_ROLLBACK,
  SWITCH_RESET,
} SwitchKind;

static InkStatus
switch_model (InkRemote *remote, SwitchKind kind, InkError *err)
{
  InkActivityStep step = kind == SWITCH_ROLLBACK ? INK_ACTIVITY_ROLLBACK : INK_ACTIVITY_RESET;
  InkModelStoreEntry from, target;
  InkManifestModel target_model;
  InkRemoteState *s = &remote->state;
  InkModel *base = NULL, *personal = NULL;
  char from_text[160], target_text[160], *from_id = NULL, *from_version = NULL;
  bool from_downloaded;
  InkError e;
  InkStatus st;

  if (remote == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no updater");
  if (!ink_remote_begin (remote))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "busy: an update operation is running");
  ink_error_clear (&e);
  ink_model_store_refresh (remote->store, NULL);
  ink_model_store_get_active (remote->store, &from);
  describe_entry (&from, from_text, sizeof from_text);
  from_downloaded = from.source == INK_MODEL_SOURCE_DOWNLOADED;
  from_id = from_downloaded ? ink_strdup (from.id) : NULL;
  from_version = from_downloaded && from.version != NULL ? ink_strdup (from.version) : NULL;

  if (kind == SWITCH_ROLLBACK) {
    if (!ink_model_store_get_previous (remote->store, &target)) {
      st =
        ink_error_set (&e, INK_ERR_INVALID_ARGUMENT, "there is no previous model to roll back to");
      log_failure (remote, step, NULL, &e, 0);
      goto out;
    }
    base = ink_model_store_load_entry (remote->store, &target, &e);
  } else {
    const char *bundled = ink_model_store_get_bundled_path (remote->store);

    if (bundled == NULL) {
      st = ink_error_set (&e, INK_ERR_INVALID_ARGUMENT, "there is no bundled model to reset to");
      log_failure (remote, step, NULL, &e, 0);
      goto out;
    }
    memset (&target, 0, sizeof target);
    target.source = INK_MODEL_SOURCE_BUNDLED;
    target.id = INK_MODEL_STORE_BUNDLED_ID;
    target.path = bundled;
    base = ink_store_load_model_file (bundled, &e);
  }
  entry_as_model (&target, &target_model);
  describe_entry (&target, target_text, sizeof target_text);
  if (base == NULL) {
    st = e.status;
    ink_error_prefix (&e, "cannot %s: %s does not load",
                      kind == SWITCH_ROLLBACK ? "roll back" : "reset", target_text);
    log_failure (remote, step, &target_model, &e, 0);
    goto out;
  }
  ink_remote_log (remote, step, INK_ACTIVITY_INFO, INK_OK, 0, -1, &target_model, "%s from %s to %s",
                  kind == SWITCH_ROLLBACK ? "rolling back" : "resetting", from_text, target_text);
  st = ink_remote_check_cancel (remote, "applying the user's examples", &e);
  if (st != INK_OK) {
    log_failure (remote, step, &target_model, &e, 0);
    goto out;
  }
  st = personalize (remote, base, &target_model, &personal, &e);
  if (st != INK_OK)
    goto out;
  st = ink_remote_check_cancel (remote, "switching the model", &e);
  if (st != INK_OK) {
    log_failure (remote, step, &target_model, &e, 0);
    goto out;
  }
  if (kind == SWITCH_ROLLBACK)
    st = ink_model_store_rollback (remote->store, personal, &e);
  else
    st = ink_model_store_reset (remote->store, personal, &e);
  if (st != INK_OK) {
    log_failure (remote, step, &target_model, &e, 0);
    goto out;
  }
  /* the model rolled back from is skipped by checks; a reset forgets it */
  if (kind == SWITCH_ROLLBACK && from_downloaded) {
    ink_remote_state_set (&s->skipped_id, from_id);
    ink_remote_state_set (&s->skipped_version, from_version);
  } else {
    ink_remote_state_set (&s->skipped_id, NULL);
    ink_remote_state_set (&s->skipped_version, NULL);
  }
  ink_remote_state_save (remote->store, s, NULL);
  ink_model_store_get_active (remote->store, &target);
  entry_as_model (&target, &target_model);
  describe_entry (&target, target_text, sizeof target_text);
  ink_remote_log (remote, INK_ACTIVITY_ACTIVATE, INK_ACTIVITY_INFO, INK_OK, 0, -1, &target_model,
                  "%s is now active%s (was %s)%s", target_text,
                  target.personal_path != NULL ? " with the user's examples" : "", from_text,
                  kind == SWITCH_ROLLBACK && from_downloaded
                    ? "; automatic updates skip the model rolled back from"
                    : "");
  ink_remote_judge (remote);

out:
  free (from_id);
  free (from_version);
  ink_model_free (base);
  ink_model_free (personal);
  ink_remote_end (remote);
  if (st != INK_OK && err != NULL)
    *err = e;
  return st;
}

InkStatus
ink_remote_rollback (InkRemote *remote, InkError *err)
{
  return switch_model (remote, SWITCH_ROLLBACK, err);
}

InkStatus
ink_remote_reset (InkRemote *remote, InkError *err)
{
  return switch_model (remote, SWITCH_RESET, err);
}
