/* ink-provenance.c: what a personalized model records of its making, and
 * model ids
 *
 * An updated model's user metadata holds:
 *   inkling.base.id          the id of the model it was made from (kept from
 *                            the base when the base was itself personalized)
 *   inkling.base.version     that model's metadata version
 *   inkling.update.examples  examples it was updated with, over all updates
 *   inkling.update.time      when, UTC ISO 8601 ("2026-11-22T10:00:00Z")
 * User metadata round-trips through .inkmodel files and Core ML exports, so
 * the record survives saving, loading, exporting and compiling.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ink-coreml.h"
#include "ink-sha256.h"
#include "ink-update-private.h"

static const char *
lookup (const InkModel *m, const char *key)
{
  return ink_description_user_metadata_lookup (ink_model_get_description (m), key);
}

/* A non-negative decimal count, else 0. */
static int64_t
parse_count (const char *s)
{
  char *end = NULL;
  long long v;

  if (s == NULL || s[0] == '\0')
    return 0;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno != 0 || end == NULL || *end != '\0' || v < 0)
    return 0;
  return (int64_t) v;
}

bool
ink_model_get_provenance (const InkModel *model, InkProvenance *out)
{
  if (out == NULL)
    return false;
  memset (out, 0, sizeof *out);
  if (model == NULL)
    return false;
  out->base_id = lookup (model, INK_META_BASE_ID);
  if (out->base_id == NULL)
    return false;
  out->base_version = lookup (model, INK_META_BASE_VERSION);
  out->examples = parse_count (lookup (model, INK_META_UPDATE_EXAMPLES));
  out->updated_at = lookup (model, INK_META_UPDATE_TIME);
  return true;
}

/* ---- Cached ids ----
 *
 * Hashing a model's Core ML export takes milliseconds (the drawing
 * classifier's is 0.6 MB), and every update of a base model needs the
 * base's id. So the id, once computed, is kept in a cell that the model
 * and the update tasks made from it share: a task computes the id on its
 * copy (the same content) and the model knows it for the next task. A cell
 * belongs to one content version of its model (ink_model_changed), so a
 * model changed in place gets a new, empty cell. One lock guards every
 * cell and the cell pointers of the models; it is only taken briefly. */

struct InkIdCell {
  unsigned refs;
  uint64_t version; /* the content version of the model it was made for */
  char *id;         /* NULL until computed */
};

static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;

InkIdCell *
ink_model_id_cell (const InkModel *model)
{
  /* The cell is a cache beside the content, not part of it. */
  InkModel *m = (InkModel *) (uintptr_t) model;
  uint64_t version;
  InkIdCell *cell, *old = NULL;

  if (m == NULL)
    return NULL;
  version = ink_model_content_version (m);
  pthread_mutex_lock (&id_lock);
  cell = m->id_cell;
  if (cell == NULL || cell->version != version) {
    InkIdCell *fresh = calloc (1, sizeof *fresh);
    if (fresh == NULL) {
      pthread_mutex_unlock (&id_lock);
      return NULL;
    }
    fresh->refs = 1; /* the model's */
    fresh->version = version;
    old = cell;
    m->id_cell = cell = fresh;
  }
  cell->refs++;
  pthread_mutex_unlock (&id_lock);
  ink_id_cell_unref (old);
  return cell;
}

void
ink_id_cell_unref (InkIdCell *cell)
{
  bool last;

  if (cell == NULL)
    return;
  pthread_mutex_lock (&id_lock);
  last = --cell->refs == 0;
  pthread_mutex_unlock (&id_lock);
  if (last) {
    free (cell->id);
    free (cell);
  }
}

/* A copy of the cell's id, or NULL when not known (or out of memory). */
static char *
cell_get (InkIdCell *cell)
{
  char *id = NULL;

  if (cell == NULL)
    return NULL;
  pthread_mutex_lock (&id_lock);
  if (cell->id != NULL)
    id = ink_strdup (cell->id);
  pthread_mutex_unlock (&id_lock);
  return id;
}

static void
cell_set (InkIdCell *cell, const char *id)
{
  if (cell == NULL)
    return;
  pthread_mutex_lock (&id_lock);
  if (cell->id == NULL)
    cell->id = ink_strdup (id); /* out of memory: stays unknown */
  pthread_mutex_unlock (&id_lock);
}

/* model's id (see ink_model_get_id); cell, when not NULL, is a cell for
 * model's current content (or for a model with the same content), read
 * first and filled after computing. */
static char *
model_id (const InkModel *model, InkIdCell *cell, InkError *err)
{
  static const char prefix[] = "sha256:";
  const char *id;
  uint8_t *data = NULL;
  size_t size = 0;
  uint8_t digest[INK_SHA256_DIGEST_SIZE];
  char *out;

  if (model == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no model");
    return NULL;
  }
  id = lookup (model, INK_META_ID);
  if (id != NULL && id[0] != '\0') {
    out = ink_strdup (id);
    if (out == NULL)
      ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return out;
  }
  out = cell_get (cell);
  if (out != NULL)
    return out;
  if (ink_coreml_export_memory (model, &data, &size, err) != INK_OK) {
    ink_error_prefix (err, "cannot compute the model's id");
    return NULL;
  }
  ink_sha256 (data, size, digest);
  free (data);
  out = malloc (sizeof prefix - 1 + INK_SHA256_HEX_SIZE);
  if (out == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  memcpy (out, prefix, sizeof prefix - 1);
  ink_sha256_hex (digest, out + sizeof prefix - 1);
  cell_set (cell, out);
  return out;
}

char *
ink_model_get_id (const InkModel *model, InkError *err)
{
  InkIdCell *cell = ink_model_id_cell (model);
  char *id = model_id (model, cell, err);

  ink_id_cell_unref (cell);
  return id;
}

InkStatus
ink_provenance_base_init (InkProvenanceBase *pb, const InkModel *base, InkIdCell *base_cell,
                          InkError *err)
{
  InkProvenance prev;

  memset (pb, 0, sizeof *pb);
  if (ink_model_get_provenance (base, &prev)) {
    /* Already personalized: the record names the original base. */
    pb->base_id = ink_strdup (prev.base_id);
    pb->base_version = ink_strdup (prev.base_version != NULL ? prev.base_version : "");
    pb->examples = prev.examples;
  } else {
    pb->base_id = model_id (base, base_cell, err);
    if (pb->base_id == NULL)
      return err != NULL && err->status != INK_OK ? err->status : INK_ERR_NO_MEMORY;
    pb->base_version =
      ink_strdup (ink_description_metadata (ink_model_get_description (base)).version);
  }
  if (pb->base_id == NULL || pb->base_version == NULL) {
    ink_provenance_base_clear (pb);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  return INK_OK;
}

void
ink_provenance_base_clear (InkProvenanceBase *pb)
{
  if (pb == NULL)
    return;
  free (pb->base_id);
  free (pb->base_version);
  memset (pb, 0, sizeof *pb);
}

/* Drops a user metadata key (an updated model must not keep its base's
 * explicit id, or both would have the same one). */
static void
remove_user_metadata (InkModelDescription *d, const char *key)
{
  for (size_t i = 0; i < d->n_user; i++) {
    if (strcmp (d->user_keys[i], key) != 0)
      continue;
    free (d->user_keys[i]);
    free (d->user_values[i]);
    memmove (d->user_keys + i, d->user_keys + i + 1, (d->n_user - i - 1) * sizeof *d->user_keys);
    memmove (d->user_values + i, d->user_values + i + 1,
             (d->n_user - i - 1) * sizeof *d->user_values);
    d->n_user--;
    return;
  }
}

InkStatus
ink_provenance_record (InkModel *updated, const InkProvenanceBase *pb, int64_t n_examples,
                       InkError *err)
{
  char examples[32], when[32];
  time_t now = time (NULL);
  struct tm tm;

  if (updated == NULL || pb == NULL || pb->base_id == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no model or base to record");
  snprintf (examples, sizeof examples, "%" PRId64, pb->examples + n_examples);
  if (gmtime_r (&now, &tm) == NULL || strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    return ink_error_set (err, INK_ERR_IO, "cannot read the current time");
  ink_model_changed (updated);
  remove_user_metadata (&updated->desc, INK_META_ID);
  if (!ink_description_set_user_metadata (&updated->desc, INK_META_BASE_ID, pb->base_id) ||
      !ink_description_set_user_metadata (&updated->desc, INK_META_BASE_VERSION,
                                          pb->base_version != NULL ? pb->base_version : "") ||
      !ink_description_set_user_metadata (&updated->desc, INK_META_UPDATE_EXAMPLES, examples) ||
      !ink_description_set_user_metadata (&updated->desc, INK_META_UPDATE_TIME, when))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  return INK_OK;
}
