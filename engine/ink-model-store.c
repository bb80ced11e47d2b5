/* ink-model-store.c: the model store folder, its pointer file, rollback
 * and fallback
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-model-store.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ink-coreml.h"
#include "ink-model-private.h"
#include "ink-remote-private.h"
#include "ink-sha256.h"
#include "ink-util-private.h"

#define POINTER_FILE "active.json"
#define POINTER_FORMAT 1
#define ID_FILE "installation-id"
#define MODELS "models"
#define DOWNLOADS "downloads"
#define INKMODEL ".inkmodel"
#define PERSONAL ".personal.inkmodel"
#define BUNDLED_PERSONAL INK_MODEL_STORE_BUNDLED_ID PERSONAL
#define STALE_DOWNLOAD_S (7 * 24 * 3600)

/* An entry as stored: file names relative to DIR/models. */
typedef struct {
  bool set;
  InkModelSource source;
  InkModelOrigin origin;
  char *id, *version, *file, *personal, *sha256, *url;
  int64_t installed_at;
  char *path, *personal_path; /* absolute, derived */
} Entry;

struct InkModelStore {
  char *dir;
  char *bundled_path;
  char *bundled_version;
  char installation_id[33];
  char problem[INK_ERROR_MESSAGE_SIZE];
  Entry active, previous; /* active.set false: the bundled model, no personal */
  Entry bundled;          /* the bundled entry shown when active is unset */
};

const char *
ink_model_source_to_string (InkModelSource source)
{
  return source == INK_MODEL_SOURCE_DOWNLOADED ? "downloaded" : "bundled";
}

const char *
ink_model_origin_to_string (InkModelOrigin origin)
{
  return origin == INK_MODEL_ORIGIN_FILE ? "file" : "server";
}

const char *
ink_model_store_entry_provenance (const InkModelStoreEntry *e)
{
  if (e->source == INK_MODEL_SOURCE_DOWNLOADED && e->origin == INK_MODEL_ORIGIN_FILE)
    return "opened from a file";
  return ink_model_source_to_string (e->source);
}

/* What an entry is, in messages: "bundled", "downloaded" or "opened". */
static const char *
entry_kind (const InkModelStoreEntry *e)
{
  if (e->source == INK_MODEL_SOURCE_DOWNLOADED && e->origin == INK_MODEL_ORIGIN_FILE)
    return "opened";
  return ink_model_source_to_string (e->source);
}

/* ---- Small helpers shared with the updater ---- */

int64_t
ink_now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ink_now (void)
{
  return (int64_t) time (NULL);
}

void
ink_copy_text (char *dst, size_t size, const char *src)
{
  size_t n;

  if (size == 0)
    return;
  if (src == NULL)
    src = "";
  n = strlen (src);
  if (n >= size) {
    n = size - 1;
    /* do not cut a UTF-8 sequence: back up over continuation bytes */
    while (n > 0 && ((unsigned char) src[n] & 0xC0) == 0x80)
      n--;
  }
  memcpy (dst, src, n);
  dst[n] = '\0';
}

static char *
join (const char *a, const char *b)
{
  size_t na = strlen (a), nb = strlen (b);
  char *s = malloc (na + nb + 2);

  if (s == NULL)
    return NULL;
  memcpy (s, a, na);
  s[na] = '/';
  memcpy (s + na + 1, b, nb + 1);
  return s;
}

char *
ink_store_file (const InkModelStore *store, const char *name)
{
  return join (store->dir, name);
}

char *
ink_read_file (const char *path, size_t max, size_t *size, InkError *err)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  char *data;
  size_t n = 0;

  if (fd < 0) {
    int saved = errno;

    ink_error_set (err, INK_ERR_IO, "cannot open %s: %s", path, strerror (saved));
    errno = saved;
    return NULL;
  }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || (uint64_t) st.st_size > max) {
    close (fd);
    ink_error_set (err, INK_ERR_IO, "%s is not a regular file of at most %zu bytes", path, max);
    errno = EFBIG;
    return NULL;
  }
  data = malloc ((size_t) st.st_size + 1);
  if (data == NULL) {
    close (fd);
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  while (n < (size_t) st.st_size) {
    ssize_t got = read (fd, data + n, (size_t) st.st_size - n);

    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    n += (size_t) got;
  }
  close (fd);
  data[n] = '\0';
  if (size != NULL)
    *size = n;
  return data;
}

InkStatus
ink_write_file (const char *path, const void *data, size_t size, InkError *err)
{
  const void *chunks[1] = {data};
  size_t sizes[1] = {size};

  return ink_atomic_write (path, chunks, sizes, 1, err);
}

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);

  return n >= m && strcmp (s + n - m, suffix) == 0;
}

InkModel *
ink_store_load_model_file (const char *path, InkError *err)
{
  if (has_suffix (path, ".mlmodel"))
    return ink_coreml_compile_file (path, err);
  return ink_model_load (path, err);
}

InkStatus
ink_store_lock (const InkModelStore *store, int *fd, InkError *err)
{
  char *path = ink_store_file (store, ".lock");
  int saved;

  if (path == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  *fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  saved = errno;
  free (path);
  if (*fd < 0)
    return ink_error_set (err, INK_ERR_IO, "cannot lock the model store %s: %s", store->dir,
                          strerror (saved));
  while (flock (*fd, LOCK_EX) < 0) {
    if (errno != EINTR) {
      saved = errno;
      close (*fd);
      *fd = -1;
      return ink_error_set (err, INK_ERR_IO, "cannot lock the model store %s: %s", store->dir,
                            strerror (saved));
    }
  }
  return INK_OK;
}

void
ink_store_unlock (int fd)
{
  if (fd >= 0)
    close (fd); /* releases the flock */
}

/* ---- Names ---- */

static bool
name_char (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

InkStatus
ink_model_store_safe_name (const char *id, char out[INK_MODEL_STORE_NAME_SIZE], InkError *err)
{
  size_t n;
  bool plain = true;

  if (id == NULL || id[0] == '\0')
    return ink_error_set (err, INK_ERR_VERIFICATION, "unsafe name \"\": it is empty");
  n = strlen (id);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char) id[i];

    if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f)
      return ink_error_set (err, INK_ERR_VERIFICATION,
                            "unsafe name \"%.100s\": it would leave the store", id);
    if (!name_char ((char) c))
      plain = false;
  }
  if (strstr (id, "..") != NULL || id[0] == '.')
    return ink_error_set (err, INK_ERR_VERIFICATION,
                          "unsafe name \"%.100s\": it would leave the store", id);
  if (plain && n <= 64) {
    memcpy (out, id, n + 1);
    return INK_OK;
  }
  {
    uint8_t digest[INK_SHA256_DIGEST_SIZE];
    char hex[INK_SHA256_HEX_SIZE];

    ink_sha256 (id, n, digest);
    ink_sha256_hex (digest, hex);
    snprintf (out, INK_MODEL_STORE_NAME_SIZE, "id-%.16s", hex);
  }
  return INK_OK;
}

/* A file name as the pointer file may hold it. */
static bool
file_name_ok (const char *name)
{
  if (name == NULL || name[0] == '\0' || name[0] == '.' || strstr (name, "..") != NULL ||
      strlen (name) > 2 * INK_MODEL_STORE_NAME_SIZE || !has_suffix (name, INKMODEL))
    return false;
  for (const char *p = name; *p != '\0'; p++) {
    if (!name_char (*p))
      return false;
  }
  return true;
}

/* ---- Entries ---- */

static void
entry_clear (Entry *e)
{
  free (e->id);
  free (e->version);
  free (e->file);
  free (e->personal);
  free (e->sha256);
  free (e->url);
  free (e->path);
  free (e->personal_path);
  memset (e, 0, sizeof *e);
}

static bool
dup_into (char **dst, const char *src)
{
  *dst = NULL;
  if (src == NULL)
    return true;
  *dst = ink_strdup (src);
  return *dst != NULL;
}

/* Computes the absolute paths of an entry. */
static bool
entry_paths (const InkModelStore *store, Entry *e)
{
  char *models = ink_store_file (store, MODELS);
  bool ok = models != NULL;

  free (e->path);
  free (e->personal_path);
  e->path = e->personal_path = NULL;
  if (ok && e->source == INK_MODEL_SOURCE_DOWNLOADED && e->file != NULL)
    ok = (e->path = join (models, e->file)) != NULL;
  else if (ok && e->source == INK_MODEL_SOURCE_BUNDLED && store->bundled_path != NULL)
    ok = (e->path = ink_strdup (store->bundled_path)) != NULL;
  if (ok && e->personal != NULL)
    ok = (e->personal_path = join (models, e->personal)) != NULL;
  free (models);
  return ok;
}

static bool
entry_copy (const InkModelStore *store, Entry *dst, const Entry *src)
{
  memset (dst, 0, sizeof *dst);
  dst->set = src->set;
  dst->source = src->source;
  dst->origin = src->origin;
  dst->installed_at = src->installed_at;
  if (!dup_into (&dst->id, src->id) || !dup_into (&dst->version, src->version) ||
      !dup_into (&dst->file, src->file) || !dup_into (&dst->personal, src->personal) ||
      !dup_into (&dst->sha256, src->sha256) || !dup_into (&dst->url, src->url) ||
      !entry_paths (store, dst)) {
    entry_clear (dst);
    return false;
  }
  return true;
}

/* The bundled entry (version from the store), with a personal file name or
 * none. */
static bool
make_bundled (const InkModelStore *store, Entry *e, bool personal)
{
  memset (e, 0, sizeof *e);
  e->set = true;
  e->source = INK_MODEL_SOURCE_BUNDLED;
  if (!dup_into (&e->id, INK_MODEL_STORE_BUNDLED_ID) ||
      !dup_into (&e->version, store->bundled_version) ||
      (personal && !dup_into (&e->personal, BUNDLED_PERSONAL)) || !entry_paths (store, e)) {
    entry_clear (e);
    return false;
  }
  return true;
}

static void
entry_public (const Entry *e, InkModelStoreEntry *out)
{
  out->source = e->source;
  out->id = e->id;
  out->version = e->version;
  out->path = e->path;
  out->personal_path = e->personal_path;
  out->sha256 = e->sha256;
  out->url = e->url;
  out->installed_at = e->installed_at;
  out->origin = e->origin;
}

static bool
same_model (const Entry *a, const Entry *b)
{
  if (!a->set || !b->set || a->source != b->source)
    return false;
  if (a->source == INK_MODEL_SOURCE_BUNDLED)
    return true;
  return a->file != NULL && b->file != NULL && strcmp (a->file, b->file) == 0;
}

/* Whether kept, a model of the other origin, has the file name of e. */
static bool
file_clash (const Entry *kept, const Entry *e)
{
  return kept->set && kept->source == INK_MODEL_SOURCE_DOWNLOADED && kept->origin != e->origin &&
         kept->file != NULL && strcmp (kept->file, e->file) == 0;
}

/* ---- The pointer file ---- */

static cJSON *
entry_to_json (const Entry *e)
{
  cJSON *obj = cJSON_CreateObject ();

  if (obj == NULL)
    return NULL;
  cJSON_AddStringToObject (obj, "source", ink_model_source_to_string (e->source));
  cJSON_AddStringToObject (obj, "id", e->id);
  if (e->version != NULL)
    cJSON_AddStringToObject (obj, "version", e->version);
  if (e->file != NULL)
    cJSON_AddStringToObject (obj, "file", e->file);
  if (e->personal != NULL)
    cJSON_AddStringToObject (obj, "personal", e->personal);
  if (e->sha256 != NULL)
    cJSON_AddStringToObject (obj, "sha256", e->sha256);
  if (e->url != NULL)
    cJSON_AddStringToObject (obj, "url", e->url);
  if (e->installed_at != 0)
    cJSON_AddNumberToObject (obj, "installed_at", (double) e->installed_at);
  if (e->source == INK_MODEL_SOURCE_DOWNLOADED)
    cJSON_AddStringToObject (obj, "origin", ink_model_origin_to_string (e->origin));
  return obj;
}

static const char *
opt_string (const cJSON *obj, const char *key)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);

  return cJSON_IsString (item) ? item->valuestring : NULL;
}

/* An entry's origin: its "origin" when it names one, else (an older
 * inkling wrote it) inferred from its url, as ink-model-store.h says. An
 * origin this version does not know is inferred the same way, not refused,
 * so that the entry is kept. */
static InkModelOrigin
origin_from_json (const cJSON *obj)
{
  const char *origin = opt_string (obj, "origin");
  const char *url = opt_string (obj, "url");

  if (origin != NULL && strcmp (origin, "server") == 0)
    return INK_MODEL_ORIGIN_SERVER;
  if (origin != NULL && strcmp (origin, "file") == 0)
    return INK_MODEL_ORIGIN_FILE;
  return url != NULL && strncasecmp (url, "file:", 5) == 0 ? INK_MODEL_ORIGIN_FILE
                                                           : INK_MODEL_ORIGIN_SERVER;
}

/* Reads an entry; false with why when it is unusable. */
static bool
entry_from_json (const InkModelStore *store, const cJSON *obj, Entry *e, char *why, size_t size)
{
  const char *source = opt_string (obj, "source");
  const cJSON *at = cJSON_GetObjectItemCaseSensitive (obj, "installed_at");

  memset (e, 0, sizeof *e);
  if (!cJSON_IsObject (obj) || source == NULL || opt_string (obj, "id") == NULL) {
    snprintf (why, size, "an entry lacks its source or id");
    return false;
  }
  e->set = true;
  if (strcmp (source, "bundled") == 0) {
    e->source = INK_MODEL_SOURCE_BUNDLED;
  } else if (strcmp (source, "downloaded") == 0) {
    e->source = INK_MODEL_SOURCE_DOWNLOADED;
    e->origin = origin_from_json (obj);
    if (!file_name_ok (opt_string (obj, "file"))) {
      snprintf (why, size, "an entry names an unsafe or no file \"%.100s\"",
                opt_string (obj, "file") != NULL ? opt_string (obj, "file") : "");
      return false;
    }
  } else {
    snprintf (why, size, "unknown source \"%.40s\"", source);
    return false;
  }
  if (opt_string (obj, "personal") != NULL && !file_name_ok (opt_string (obj, "personal"))) {
    snprintf (why, size, "an entry names an unsafe personalized file \"%.100s\"",
              opt_string (obj, "personal"));
    return false;
  }
  if (!dup_into (&e->id, opt_string (obj, "id")) ||
      !dup_into (&e->version, e->source == INK_MODEL_SOURCE_BUNDLED
                                ? store->bundled_version
                                : opt_string (obj, "version")) ||
      !dup_into (&e->file,
                 e->source == INK_MODEL_SOURCE_DOWNLOADED ? opt_string (obj, "file") : NULL) ||
      !dup_into (&e->personal, opt_string (obj, "personal")) ||
      !dup_into (&e->sha256, opt_string (obj, "sha256")) ||
      !dup_into (&e->url, opt_string (obj, "url")) || !entry_paths (store, e)) {
    entry_clear (e);
    snprintf (why, size, "out of memory");
    return false;
  }
  e->installed_at = cJSON_IsNumber (at) ? (int64_t) at->valuedouble : 0;
  return true;
}

static void set_problem (InkModelStore *store, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

static void
set_problem (InkModelStore *store, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (store->problem, sizeof store->problem, fmt, ap);
  va_end (ap);
}

InkStatus
ink_model_store_refresh (InkModelStore *store, InkError *err)
{
  char *path, *text;
  size_t size;
  cJSON *root;
  char why[256];
  const cJSON *prev;

  if (store == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no store");
  entry_clear (&store->active);
  entry_clear (&store->previous);
  store->problem[0] = '\0';
  path = ink_store_file (store, POINTER_FILE);
  if (path == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  text = ink_read_file (path, 1 << 20, &size, NULL);
  free (path);
  if (text == NULL) {
    if (errno != ENOENT)
      set_problem (store, POINTER_FILE " cannot be read: %s", strerror (errno));
    return INK_OK;
  }
  root = cJSON_ParseWithLength (text, size);
  free (text);
  if (!cJSON_IsObject (root)) {
    set_problem (store, POINTER_FILE " is corrupt: not a JSON object");
    cJSON_Delete (root);
    return INK_OK;
  }
  if (!entry_from_json (store, cJSON_GetObjectItemCaseSensitive (root, "active"), &store->active,
                        why, sizeof why)) {
    set_problem (store, POINTER_FILE " is corrupt: %s", why);
    entry_clear (&store->active);
    cJSON_Delete (root);
    return INK_OK;
  }
  prev = cJSON_GetObjectItemCaseSensitive (root, "previous");
  if (prev != NULL && !cJSON_IsNull (prev) &&
      !entry_from_json (store, prev, &store->previous, why, sizeof why)) {
    /* the active entry is fine: only rollback is lost */
    entry_clear (&store->previous);
  }
  cJSON_Delete (root);
  return INK_OK;
}

InkStatus
ink_store_write_json (const InkModelStore *store, const char *name, cJSON *root, InkError *err)
{
  char *text = root != NULL ? cJSON_Print (root) : NULL;
  char *path = ink_store_file (store, name);
  InkStatus st;

  cJSON_Delete (root);
  if (text == NULL || path == NULL) {
    cJSON_free (text);
    free (path);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  st = ink_write_file (path, text, strlen (text), err);
  cJSON_free (text);
  free (path);
  return st;
}

/* Writes the pointer file from active and previous (either may be unset). */
static InkStatus
write_pointer (const InkModelStore *store, const Entry *active, const Entry *previous,
               InkError *err)
{
  cJSON *root = cJSON_CreateObject ();

  if (root == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  cJSON_AddNumberToObject (root, "format", POINTER_FORMAT);
  if (active->set)
    cJSON_AddItemToObject (root, "active", entry_to_json (active));
  if (previous->set)
    cJSON_AddItemToObject (root, "previous", entry_to_json (previous));
  return ink_store_write_json (store, POINTER_FILE, root, err);
}

/* ---- Opening ---- */

static InkStatus
make_dir (const char *path, InkError *err)
{
  if (mkdir (path, 0700) == 0 || errno == EEXIST) {
    struct stat st;

    if (stat (path, &st) == 0 && S_ISDIR (st.st_mode))
      return INK_OK;
    return ink_error_set (err, INK_ERR_IO, "%s is not a folder", path);
  }
  return ink_error_set (err, INK_ERR_IO, "cannot create %s: %s", path, strerror (errno));
}

static InkStatus
make_dirs (const char *path, InkError *err)
{
  char *copy = ink_strdup (path);
  InkStatus st = INK_OK;

  if (copy == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  for (char *p = copy + 1; *p != '\0' && st == INK_OK; p++) {
    if (*p == '/') {
      *p = '\0';
      if (mkdir (copy, 0700) < 0 && errno != EEXIST)
        st = ink_error_set (err, INK_ERR_IO, "cannot create %s: %s", copy, strerror (errno));
      *p = '/';
    }
  }
  if (st == INK_OK)
    st = make_dir (copy, err);
  free (copy);
  return st;
}

static bool
hex_id_ok (const char *s, size_t n)
{
  if (n != 32)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  }
  return true;
}

static InkStatus
load_installation_id (InkModelStore *store, InkError *err)
{
  char *path = ink_store_file (store, ID_FILE), *text;
  size_t size = 0;
  uint8_t bytes[16];
  InkStatus st;

  if (path == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  text = ink_read_file (path, 4096, &size, NULL);
  while (text != NULL && size > 0 && (text[size - 1] == '\n' || text[size - 1] == '\r'))
    text[--size] = '\0';
  if (text != NULL && hex_id_ok (text, size)) {
    memcpy (store->installation_id, text, 33);
    free (text);
    free (path);
    return INK_OK;
  }
  free (text);
  if (getrandom (bytes, sizeof bytes, 0) != (ssize_t) sizeof bytes) {
    /* no entropy source: the time and pid still spread buckets */
    uint8_t digest[INK_SHA256_DIGEST_SIZE];
    int64_t seed[2] = {ink_now_ms (), (int64_t) getpid ()};

    ink_sha256 (seed, sizeof seed, digest);
    memcpy (bytes, digest, sizeof bytes);
  }
  for (size_t i = 0; i < sizeof bytes; i++)
    snprintf (store->installation_id + 2 * i, 3, "%02x", bytes[i]);
  {
    char line[34];

    memcpy (line, store->installation_id, 32);
    line[32] = '\n';
    st = ink_write_file (path, line, 33, err);
  }
  free (path);
  return st;
}

InkModelStore *
ink_model_store_open (const char *dir, const char *bundled_path, InkError *err)
{
  InkModelStore *store;
  char *sub;
  InkStatus st;

  if (dir == NULL || dir[0] == '\0') {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no model store folder");
    return NULL;
  }
  store = calloc (1, sizeof *store);
  if (store == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  store->dir = ink_strdup (dir);
  if (store->dir == NULL ||
      (bundled_path != NULL && (store->bundled_path = ink_strdup (bundled_path)) == NULL)) {
    ink_model_store_free (store);
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  /* a trailing slash would double in paths */
  for (size_t n = strlen (store->dir); n > 1 && store->dir[n - 1] == '/'; n--)
    store->dir[n - 1] = '\0';
  st = make_dirs (store->dir, err);
  if (st == INK_OK) {
    sub = ink_store_file (store, MODELS);
    st = sub != NULL ? make_dir (sub, err) : ink_error_set (err, INK_ERR_NO_MEMORY, "no memory");
    free (sub);
  }
  if (st == INK_OK) {
    sub = ink_store_file (store, DOWNLOADS);
    st = sub != NULL ? make_dir (sub, err) : ink_error_set (err, INK_ERR_NO_MEMORY, "no memory");
    free (sub);
  }
  if (st == INK_OK)
    st = load_installation_id (store, err);
  if (st == INK_OK && !make_bundled (store, &store->bundled, false))
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  if (st == INK_OK)
    st = ink_model_store_refresh (store, err);
  if (st != INK_OK) {
    ink_error_prefix (err, "model store");
    ink_model_store_free (store);
    return NULL;
  }
  return store;
}

void
ink_model_store_free (InkModelStore *store)
{
  if (store == NULL)
    return;
  entry_clear (&store->active);
  entry_clear (&store->previous);
  entry_clear (&store->bundled);
  free (store->dir);
  free (store->bundled_path);
  free (store->bundled_version);
  free (store);
}

char *
ink_model_store_default_dir (const char *app)
{
  const char *data = getenv ("XDG_DATA_HOME"), *home = getenv ("HOME");
  char *base, *with_app, *dir;

  if (app == NULL || app[0] == '\0')
    app = "inkling";
  if (data != NULL && data[0] == '/')
    base = ink_strdup (data);
  else if (home != NULL && home[0] != '\0')
    base = join (home, ".local/share");
  else
    return NULL;
  if (base == NULL)
    return NULL;
  with_app = join (base, app);
  free (base);
  if (with_app == NULL)
    return NULL;
  dir = join (with_app, MODELS);
  free (with_app);
  return dir;
}

void
ink_model_store_set_bundled_version (InkModelStore *store, const char *version)
{
  char *copy = version != NULL ? ink_strdup (version) : NULL;

  if (store == NULL)
    return;
  free (store->bundled_version);
  store->bundled_version = copy;
  free (store->bundled.version);
  store->bundled.version = version != NULL ? ink_strdup (version) : NULL;
  if (store->active.set && store->active.source == INK_MODEL_SOURCE_BUNDLED) {
    free (store->active.version);
    store->active.version = version != NULL ? ink_strdup (version) : NULL;
  }
  if (store->previous.set && store->previous.source == INK_MODEL_SOURCE_BUNDLED) {
    free (store->previous.version);
    store->previous.version = version != NULL ? ink_strdup (version) : NULL;
  }
}

const char *
ink_model_store_get_dir (const InkModelStore *store)
{
  return store->dir;
}

const char *
ink_model_store_get_bundled_path (const InkModelStore *store)
{
  return store->bundled_path;
}

const char *
ink_model_store_get_installation_id (const InkModelStore *store)
{
  return store->installation_id;
}

const char *
ink_model_store_get_problem (const InkModelStore *store)
{
  return store->problem;
}

void
ink_model_store_get_active (const InkModelStore *store, InkModelStoreEntry *out)
{
  entry_public (store->active.set ? &store->active : &store->bundled, out);
}

bool
ink_model_store_get_previous (const InkModelStore *store, InkModelStoreEntry *out)
{
  if (!store->previous.set) {
    memset (out, 0, sizeof *out);
    return false;
  }
  entry_public (&store->previous, out);
  return true;
}

/* ---- Loading ---- */

InkModel *
ink_model_store_load_entry (const InkModelStore *store, const InkModelStoreEntry *entry,
                            InkError *err)
{
  if (store == NULL || entry == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no store or entry");
    return NULL;
  }
  if (entry->path == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "the %s model has no file (no bundled model)",
                   entry_kind (entry));
    return NULL;
  }
  return ink_store_load_model_file (entry->path, err);
}

static void add_reason (InkModelStoreLoad *info, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

static void
add_reason (InkModelStoreLoad *info, const char *fmt, ...)
{
  size_t used = strlen (info->reason);
  va_list ap;

  if (used > 0 && used + 2 < sizeof info->reason) {
    memcpy (info->reason + used, "; ", 3);
    used += 2;
  }
  va_start (ap, fmt);
  vsnprintf (info->reason + used, sizeof info->reason - used, fmt, ap);
  va_end (ap);
}

InkModel *
ink_model_store_load (InkModelStore *store, unsigned flags, InkModelStoreLoad *info, InkError *err)
{
  InkModelStoreLoad local;
  InkModelStoreEntry entry;
  InkError e;
  InkModel *model;

  if (info == NULL)
    info = &local;
  memset (info, 0, sizeof *info);
  if (store == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no store");
    return NULL;
  }
  if (ink_model_store_refresh (store, err) != INK_OK)
    return NULL;
  if (store->problem[0] != '\0') {
    info->fell_back = true;
    add_reason (info, "%s; using the bundled model", store->problem);
  }
  ink_model_store_get_active (store, &entry);
  if (entry.personal_path != NULL && !(flags & INK_MODEL_STORE_LOAD_BASE)) {
    model = ink_model_load (entry.personal_path, &e);
    if (model != NULL) {
      info->entry = entry;
      info->personalized = true;
      return model;
    }
    info->fell_back = true;
    add_reason (info, "the personalized model is unusable (%s); using its base model", e.message);
  }
  model = ink_model_store_load_entry (store, &entry, &e);
  if (model != NULL) {
    info->entry = entry;
    return model;
  }
  if (entry.source == INK_MODEL_SOURCE_BUNDLED) {
    ink_error_set (err, e.status, "the bundled model cannot be loaded: %s", e.message);
    snprintf (info->reason, sizeof info->reason, "%s", err != NULL ? err->message : e.message);
    return NULL;
  }
  info->fell_back = true;
  add_reason (info, "the %s model %s%s%s is unusable (%s); using the bundled model",
              entry_kind (&entry), entry.id, entry.version != NULL ? " " : "",
              entry.version != NULL ? entry.version : "", e.message);
  entry_public (&store->bundled, &entry);
  model = ink_model_store_load_entry (store, &entry, &e);
  if (model != NULL) {
    info->entry = entry;
    return model;
  }
  ink_error_set (err, e.status, "%s; and the bundled model cannot be loaded: %s", info->reason,
                 e.message);
  return NULL;
}

/* ---- Changes ---- */

/* Deletes DIR/models files that neither entry names, and downloads older
 * than a week. */
static size_t
cleanup_locked (const InkModelStore *store, const Entry *a, const Entry *b)
{
  const char *keep[4] = {a->set ? a->file : NULL, a->set ? a->personal : NULL,
                         b->set ? b->file : NULL, b->set ? b->personal : NULL};
  const char *subs[2] = {MODELS, DOWNLOADS};
  size_t removed = 0;

  for (int s = 0; s < 2; s++) {
    char *dir = ink_store_file (store, subs[s]);
    DIR *d = dir != NULL ? opendir (dir) : NULL;
    struct dirent *de;

    while (d != NULL && (de = readdir (d)) != NULL) {
      bool kept = false;
      char *path;
      struct stat st;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      for (int k = 0; s == 0 && k < 4; k++)
        kept = kept || (keep[k] != NULL && strcmp (keep[k], de->d_name) == 0);
      if (kept)
        continue;
      path = join (dir, de->d_name);
      if (path != NULL && lstat (path, &st) == 0 && S_ISREG (st.st_mode) &&
          (s == 0 || st.st_mtime < (time_t) (ink_now () - STALE_DOWNLOAD_S)) && unlink (path) == 0)
        removed++;
      free (path);
    }
    if (d != NULL)
      closedir (d);
    free (dir);
  }
  return removed;
}

/* Saves a model under DIR/models/name. */
static InkStatus
save_model (const InkModelStore *store, const char *name, const InkModel *model, InkError *err)
{
  char *models = ink_store_file (store, MODELS), *path = models ? join (models, name) : NULL;
  InkStatus st;

  free (models);
  if (path == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  st = ink_model_save (model, path, err);
  free (path);
  return st;
}

/* Finishes a change: writes the pointer, adopts the new entries, cleans
 * up. Takes ownership of the entries (cleared on return). */
static InkStatus
commit (InkModelStore *store, Entry *active, Entry *previous, InkError *err)
{
  InkStatus st = write_pointer (store, active, previous, err);

  if (st == INK_OK) {
    entry_clear (&store->active);
    entry_clear (&store->previous);
    store->active = *active;
    store->previous = *previous;
    store->problem[0] = '\0';
    memset (active, 0, sizeof *active);
    memset (previous, 0, sizeof *previous);
    cleanup_locked (store, &store->active, &store->previous);
  } else {
    entry_clear (active);
    entry_clear (previous);
  }
  return st;
}

/* The current active entry, as a real entry (bundled when unset). */
static bool
current_active (const InkModelStore *store, Entry *out)
{
  if (store->active.set)
    return entry_copy (store, out, &store->active);
  return make_bundled (store, out, false);
}

static char *
personal_name_for (const Entry *e)
{
  const char *file = e->source == INK_MODEL_SOURCE_BUNDLED ? NULL : e->file;
  size_t n;
  char *name;

  if (file == NULL)
    return ink_strdup (BUNDLED_PERSONAL);
  n = strlen (file) - strlen (INKMODEL);
  name = malloc (n + sizeof PERSONAL);
  if (name != NULL) {
    memcpy (name, file, n);
    memcpy (name + n, PERSONAL, sizeof PERSONAL);
  }
  return name;
}

/* Saves personal for e (or drops e's personal when NULL). */
static InkStatus
set_personal (InkModelStore *store, Entry *e, const InkModel *personal, InkError *err)
{
  free (e->personal);
  e->personal = NULL;
  if (personal != NULL) {
    e->personal = personal_name_for (e);
    if (e->personal == NULL)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    if (save_model (store, e->personal, personal, err) != INK_OK)
      return ink_error_prefix (err, "cannot save the personalized model");
  }
  if (!entry_paths (store, e))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  return INK_OK;
}

InkStatus
ink_model_store_install (InkModelStore *store, const InkModelStoreEntry *entry,
                         const InkModel *base, const InkModel *personal, InkError *err)
{
  char name[INK_MODEL_STORE_NAME_SIZE];
  Entry active = {0}, previous = {0}, old = {0};
  int fd = -1;
  InkStatus st;
  size_t n;

  if (store == NULL || entry == NULL || base == NULL || entry->id == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no store, entry, id or model");
  if (strcmp (entry->id, INK_MODEL_STORE_BUNDLED_ID) == 0)
    return ink_error_set (err, INK_ERR_VERIFICATION,
                          "the id \"%s\" is reserved for the bundled "
                          "model",
                          entry->id);
  if (entry->version != NULL && !ink_version_is_valid (entry->version))
    return ink_error_set (err, INK_ERR_VERIFICATION, "unsafe version \"%.60s\"", entry->version);
  st = ink_model_store_safe_name (entry->id, name, err);
  if (st != INK_OK)
    return st;
  st = ink_store_lock (store, &fd, err);
  if (st != INK_OK)
    return st;
  ink_model_store_refresh (store, NULL);

  active.set = true;
  active.source = INK_MODEL_SOURCE_DOWNLOADED;
  active.origin =
    entry->origin == INK_MODEL_ORIGIN_FILE ? INK_MODEL_ORIGIN_FILE : INK_MODEL_ORIGIN_SERVER;
  active.installed_at = ink_now ();
  n = strlen (name) + (entry->version != NULL ? strlen (entry->version) + 1 : 0) +
      sizeof ".server9" INKMODEL;
  active.file = malloc (n);
  if (active.file == NULL || !dup_into (&active.id, entry->id) ||
      !dup_into (&active.version, entry->version) || !dup_into (&active.sha256, entry->sha256) ||
      !dup_into (&active.url, entry->url) || !current_active (store, &old)) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    goto out;
  }
  /* A model opened from a file and a server's model of the same id and
   * version are different models: the one kept must not be overwritten.
   * Only the active and previous entries can clash, so k stays at most 2
   * and the mark fits the room n leaves for ".server9". */
  for (int k = 0; k == 0 || file_clash (&old, &active) || file_clash (&store->previous, &active);
       k++) {
    char mark[16] = "";

    if (k == 1)
      snprintf (mark, sizeof mark, ".%s", ink_model_origin_to_string (active.origin));
    else if (k > 1)
      snprintf (mark, sizeof mark, ".%s%d", ink_model_origin_to_string (active.origin), k);
    snprintf (active.file, n, "%s%s%s%s" INKMODEL, name, entry->version != NULL ? "-" : "",
              entry->version != NULL ? entry->version : "", mark);
  }
  st = save_model (store, active.file, base, err);
  if (st != INK_OK) {
    ink_error_prefix (err, "cannot save the model");
    goto out;
  }
  st = set_personal (store, &active, personal, err);
  if (st != INK_OK)
    goto out;
  /* reinstalling the active model keeps the previous one */
  if (same_model (&old, &active)) {
    if (store->previous.set && !entry_copy (store, &previous, &store->previous))
      st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  } else {
    previous = old;
    memset (&old, 0, sizeof old);
  }
  if (st == INK_OK)
    st = commit (store, &active, &previous, err);
out:
  entry_clear (&active);
  entry_clear (&previous);
  entry_clear (&old);
  ink_store_unlock (fd);
  return st;
}

/* Replaces the active entry's personalized model (NULL: removes it). */
static InkStatus
replace_personal (InkModelStore *store, const InkModel *personal, InkError *err)
{
  Entry active = {0}, previous = {0};
  int fd = -1;
  InkStatus st = ink_store_lock (store, &fd, err);

  if (st != INK_OK)
    return st;
  ink_model_store_refresh (store, NULL);
  if (personal == NULL && !store->active.set) {
    ink_store_unlock (fd);
    return INK_OK; /* the bundled model with no personalization */
  }
  if (!current_active (store, &active) ||
      (store->previous.set && !entry_copy (store, &previous, &store->previous)))
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  if (st == INK_OK)
    st = set_personal (store, &active, personal, err);
  if (st == INK_OK)
    st = commit (store, &active, &previous, err);
  entry_clear (&active);
  entry_clear (&previous);
  ink_store_unlock (fd);
  return st;
}

InkStatus
ink_model_store_save_personalized (InkModelStore *store, const InkModel *personal, InkError *err)
{
  if (store == NULL || personal == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no store or model");
  return replace_personal (store, personal, err);
}

InkStatus
ink_model_store_clear_personalized (InkModelStore *store, InkError *err)
{
  if (store == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no store");
  return replace_personal (store, NULL, err);
}

/* Makes target (a copy) active with personal; the current active becomes
 * previous. */
static InkStatus
switch_to (InkModelStore *store, Entry *target, const InkModel *personal, InkError *err)
{
  Entry previous = {0};
  InkStatus st = set_personal (store, target, personal, err);

  if (st != INK_OK) {
    entry_clear (target);
    return st;
  }
  if (!current_active (store, &previous)) {
    entry_clear (target);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  /* the active entry's personalized file may be the one just written for
   * the target (both bundled): then it belongs to the target only */
  if (previous.personal != NULL && target->personal != NULL &&
      strcmp (previous.personal, target->personal) == 0) {
    free (previous.personal);
    previous.personal = NULL;
    entry_paths (store, &previous);
  }
  return commit (store, target, &previous, err);
}

InkStatus
ink_model_store_rollback (InkModelStore *store, const InkModel *personal, InkError *err)
{
  Entry target = {0};
  InkModelStoreEntry pub;
  InkModel *check;
  int fd = -1;
  InkStatus st;

  if (store == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no store");
  st = ink_store_lock (store, &fd, err);
  if (st != INK_OK)
    return st;
  ink_model_store_refresh (store, NULL);
  if (!store->previous.set) {
    ink_store_unlock (fd);
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "there is no previous model to roll back "
                          "to");
  }
  entry_public (&store->previous, &pub);
  check = ink_model_store_load_entry (store, &pub, err);
  if (check == NULL) {
    ink_store_unlock (fd);
    return ink_error_prefix (err, "cannot roll back: the previous model is unusable");
  }
  ink_model_free (check);
  if (!entry_copy (store, &target, &store->previous))
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  else
    st = switch_to (store, &target, personal, err);
  ink_store_unlock (fd);
  return st;
}

InkStatus
ink_model_store_reset (InkModelStore *store, const InkModel *personal, InkError *err)
{
  Entry target = {0};
  int fd = -1;
  InkStatus st;

  if (store == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no store");
  if (store->bundled_path == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "there is no bundled model to reset to");
  st = ink_store_lock (store, &fd, err);
  if (st != INK_OK)
    return st;
  ink_model_store_refresh (store, NULL);
  if (!make_bundled (store, &target, false)) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  } else if (!store->active.set || store->active.source == INK_MODEL_SOURCE_BUNDLED) {
    /* already bundled: keep the previous entry, replace the personalization */
    Entry previous = {0};

    st = set_personal (store, &target, personal, err);
    if (st == INK_OK && store->previous.set && !entry_copy (store, &previous, &store->previous))
      st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    if (st == INK_OK)
      st = commit (store, &target, &previous, err);
    entry_clear (&target);
    entry_clear (&previous);
  } else {
    st = switch_to (store, &target, personal, err);
  }
  ink_store_unlock (fd);
  return st;
}

InkStatus
ink_model_store_cleanup (InkModelStore *store, size_t *removed, InkError *err)
{
  int fd = -1;
  InkStatus st;
  size_t n;

  if (store == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no store");
  st = ink_store_lock (store, &fd, err);
  if (st != INK_OK)
    return st;
  ink_model_store_refresh (store, NULL);
  /* with a corrupt pointer file nothing is known to be unused */
  n = store->problem[0] == '\0' ? cleanup_locked (store, &store->active, &store->previous) : 0;
  if (removed != NULL)
    *removed = n;
  ink_store_unlock (fd);
  return INK_OK;
}
