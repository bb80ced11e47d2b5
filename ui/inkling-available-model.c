/* inkling-available-model.c: one model of the server's manifest
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-available-model.h"

struct _InklingAvailableModel {
  GObject parent_instance;

  char *id;
  char *version;
  char *channel;
  char *notes;
  char *reason;
  gint64 published;
  gint64 size;
  int compare;
  gboolean applies;
  gboolean active;
  gboolean previous;
};

G_DEFINE_FINAL_TYPE (InklingAvailableModel, inkling_available_model, G_TYPE_OBJECT)

InklingAvailableModel *
inkling_available_model_new (const InkRemoteAvailable *available)
{
  InklingAvailableModel *self;
  const InkManifestModel *m;

  g_return_val_if_fail (available != NULL, NULL);

  m = &available->model;
  self = g_object_new (INKLING_TYPE_AVAILABLE_MODEL, NULL);
  self->id = g_strdup (m->id != NULL ? m->id : "");
  self->version = g_strdup (m->version != NULL ? m->version : "");
  self->channel = g_strdup (m->channel != NULL ? m->channel : INK_MANIFEST_DEFAULT_CHANNEL);
  self->notes = g_strdup (m->notes != NULL ? m->notes : "");
  self->reason = g_strdup (available->reason);
  self->published = m->published;
  self->size = m->size;
  self->compare = available->compare;
  self->applies = available->applies;
  self->active = available->active;
  self->previous = available->previous;
  return self;
}

const char *
inkling_available_model_get_id (InklingAvailableModel *self)
{
  g_return_val_if_fail (INKLING_IS_AVAILABLE_MODEL (self), NULL);
  return self->id;
}

const char *
inkling_available_model_get_version (InklingAvailableModel *self)
{
  g_return_val_if_fail (INKLING_IS_AVAILABLE_MODEL (self), NULL);
  return self->version;
}

const char *
inkling_available_model_get_install_name (InklingAvailableModel *self)
{
  g_return_val_if_fail (INKLING_IS_AVAILABLE_MODEL (self), NULL);
  return self->version[0] != '\0' ? self->version : self->id;
}

const char *
inkling_available_model_get_channel (InklingAvailableModel *self)
{
  g_return_val_if_fail (INKLING_IS_AVAILABLE_MODEL (self), NULL);
  return self->channel;
}

const char *
inkling_available_model_get_notes (InklingAvailableModel *self)
{
  g_return_val_if_fail (INKLING_IS_AVAILABLE_MODEL (self), NULL);
  return self->notes;
}

gint64
inkling_available_model_get_published (InklingAvailableModel *self)
{
  g_return_val_if_fail (INKLING_IS_AVAILABLE_MODEL (self), 0);
  return self->published;
}

gint64
inkling_available_model_get_size (InklingAvailableModel *self)
{
  g_return_val_if_fail (INKLING_IS_AVAILABLE_MODEL (self), -1);
  return self->size;
}

gboolean
inkling_available_model_get_applies (InklingAvailableModel *self)
{
  g_return_val_if_fail (INKLING_IS_AVAILABLE_MODEL (self), FALSE);
  return self->applies;
}

const char *
inkling_available_model_get_reason (InklingAvailableModel *self)
{
  g_return_val_if_fail (INKLING_IS_AVAILABLE_MODEL (self), NULL);
  return self->reason;
}

int
inkling_available_model_get_compare (InklingAvailableModel *self)
{
  g_return_val_if_fail (INKLING_IS_AVAILABLE_MODEL (self), 0);
  return self->compare;
}

gboolean
inkling_available_model_get_active (InklingAvailableModel *self)
{
  g_return_val_if_fail (INKLING_IS_AVAILABLE_MODEL (self), FALSE);
  return self->active;
}

gboolean
inkling_available_model_get_previous (InklingAvailableModel *self)
{
  g_return_val_if_fail (INKLING_IS_AVAILABLE_MODEL (self), FALSE);
  return self->previous;
}

static void
inkling_available_model_finalize (GObject *object)
{
  InklingAvailableModel *self = INKLING_AVAILABLE_MODEL (object);

  g_free (self->id);
  g_free (self->version);
  g_free (self->channel);
  g_free (self->notes);
  g_free (self->reason);

  G_OBJECT_CLASS (inkling_available_model_parent_class)->finalize (object);
}

static void
inkling_available_model_class_init (InklingAvailableModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = inkling_available_model_finalize;
}

static void
inkling_available_model_init (InklingAvailableModel *self)
{
}
