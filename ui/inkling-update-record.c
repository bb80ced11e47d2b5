/* inkling-update-record.c: one entry of the update history
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-update-record.h"

struct _InklingUpdateRecord {
  GObject parent_instance;

  gint64 id;
  gint64 time;
  gint64 examples;

  /* Owned References */
  char *kind;
  char *model_version;
  char *result;
};

G_DEFINE_FINAL_TYPE (InklingUpdateRecord, inkling_update_record, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_TIME,
  PROP_KIND,
  PROP_EXAMPLES,
  PROP_MODEL_VERSION,
  PROP_RESULT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

InklingUpdateRecord *
inkling_update_record_new (gint64 id, gint64 time, const char *kind, gint64 examples,
                           const char *model_version, const char *result)
{
  InklingUpdateRecord *self = g_object_new (INKLING_TYPE_UPDATE_RECORD, NULL);

  self->id = id;
  self->time = time;
  self->kind = g_strdup (kind != NULL ? kind : "");
  self->examples = examples;
  self->model_version = g_strdup (model_version != NULL ? model_version : "");
  self->result = g_strdup (result != NULL ? result : "");
  return self;
}

gint64
inkling_update_record_get_id (InklingUpdateRecord *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATE_RECORD (self), 0);

  return self->id;
}

gint64
inkling_update_record_get_time (InklingUpdateRecord *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATE_RECORD (self), 0);

  return self->time;
}

const char *
inkling_update_record_get_kind (InklingUpdateRecord *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATE_RECORD (self), NULL);

  return self->kind;
}

gint64
inkling_update_record_get_examples (InklingUpdateRecord *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATE_RECORD (self), 0);

  return self->examples;
}

const char *
inkling_update_record_get_model_version (InklingUpdateRecord *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATE_RECORD (self), NULL);

  return self->model_version;
}

const char *
inkling_update_record_get_result (InklingUpdateRecord *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATE_RECORD (self), NULL);

  return self->result;
}

static void
inkling_update_record_finalize (GObject *object)
{
  InklingUpdateRecord *self = INKLING_UPDATE_RECORD (object);

  g_clear_pointer (&self->kind, g_free);
  g_clear_pointer (&self->model_version, g_free);
  g_clear_pointer (&self->result, g_free);

  G_OBJECT_CLASS (inkling_update_record_parent_class)->finalize (object);
}

static void
inkling_update_record_get_property (GObject *object, guint prop_id, GValue *value,
                                    GParamSpec *pspec)
{
  InklingUpdateRecord *self = INKLING_UPDATE_RECORD (object);

  switch (prop_id) {
  case PROP_ID: g_value_set_int64 (value, self->id); break;
  case PROP_TIME: g_value_set_int64 (value, self->time); break;
  case PROP_KIND: g_value_set_string (value, self->kind); break;
  case PROP_EXAMPLES: g_value_set_int64 (value, self->examples); break;
  case PROP_MODEL_VERSION: g_value_set_string (value, self->model_version); break;
  case PROP_RESULT: g_value_set_string (value, self->result); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
inkling_update_record_class_init (InklingUpdateRecordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = inkling_update_record_finalize;
  object_class->get_property = inkling_update_record_get_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_TIME] = g_param_spec_int64 ("time", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_KIND] = g_param_spec_string ("kind", NULL, NULL, "", flags);
  properties[PROP_EXAMPLES] = g_param_spec_int64 ("examples", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_MODEL_VERSION] = g_param_spec_string ("model-version", NULL, NULL, "", flags);
  properties[PROP_RESULT] = g_param_spec_string ("result", NULL, NULL, "", flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
inkling_update_record_init (InklingUpdateRecord *self)
{
}
