/* inkling-image-item.c: an image the user imported
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-image-item.h"

struct _InklingImageItem {
  GObject parent_instance;

  gint64 id;
  gint64 created;
  double confidence;

  /* Owned References */
  char *name;
  GBytes *data;
  char *predicted_label;
  char *user_label;
};

G_DEFINE_FINAL_TYPE (InklingImageItem, inkling_image_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_DATA,
  PROP_PREDICTED_LABEL,
  PROP_CONFIDENCE,
  PROP_USER_LABEL,
  PROP_LABEL,
  PROP_CREATED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

InklingImageItem *
inkling_image_item_new (gint64 id, const char *name, GBytes *data, const char *predicted_label,
                        double confidence, const char *user_label, gint64 created)
{
  InklingImageItem *self = g_object_new (INKLING_TYPE_IMAGE_ITEM, NULL);

  self->id = id;
  self->name = g_strdup (name != NULL ? name : "");
  self->data = data != NULL ? g_bytes_ref (data) : g_bytes_new (NULL, 0);
  self->predicted_label = g_strdup (predicted_label);
  self->confidence = confidence;
  self->user_label = g_strdup (user_label);
  self->created = created;
  return self;
}

gint64
inkling_image_item_get_id (InklingImageItem *self)
{
  g_return_val_if_fail (INKLING_IS_IMAGE_ITEM (self), 0);

  return self->id;
}

const char *
inkling_image_item_get_name (InklingImageItem *self)
{
  g_return_val_if_fail (INKLING_IS_IMAGE_ITEM (self), NULL);

  return self->name;
}

GBytes *
inkling_image_item_get_data (InklingImageItem *self)
{
  g_return_val_if_fail (INKLING_IS_IMAGE_ITEM (self), NULL);

  return self->data;
}

const char *
inkling_image_item_get_predicted_label (InklingImageItem *self)
{
  g_return_val_if_fail (INKLING_IS_IMAGE_ITEM (self), NULL);

  return self->predicted_label;
}

double
inkling_image_item_get_confidence (InklingImageItem *self)
{
  g_return_val_if_fail (INKLING_IS_IMAGE_ITEM (self), 0);

  return self->confidence;
}

const char *
inkling_image_item_get_user_label (InklingImageItem *self)
{
  g_return_val_if_fail (INKLING_IS_IMAGE_ITEM (self), NULL);

  return self->user_label;
}

const char *
inkling_image_item_get_label (InklingImageItem *self)
{
  g_return_val_if_fail (INKLING_IS_IMAGE_ITEM (self), NULL);

  return self->user_label != NULL ? self->user_label : self->predicted_label;
}

gint64
inkling_image_item_get_created (InklingImageItem *self)
{
  g_return_val_if_fail (INKLING_IS_IMAGE_ITEM (self), 0);

  return self->created;
}

void
inkling_image_item_set_predicted (InklingImageItem *self, const char *label, double confidence)
{
  g_return_if_fail (INKLING_IS_IMAGE_ITEM (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->predicted_label, label) != 0) {
    g_free (self->predicted_label);
    self->predicted_label = g_strdup (label);
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PREDICTED_LABEL]);
    if (self->user_label == NULL)
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABEL]);
  }
  if (self->confidence != confidence) {
    self->confidence = confidence;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONFIDENCE]);
  }
  g_object_thaw_notify (G_OBJECT (self));
}

void
inkling_image_item_set_user_label (InklingImageItem *self, const char *label)
{
  g_return_if_fail (INKLING_IS_IMAGE_ITEM (self));

  if (g_strcmp0 (self->user_label, label) == 0)
    return;
  g_free (self->user_label);
  self->user_label = g_strdup (label);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_LABEL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABEL]);
}

static void
inkling_image_item_finalize (GObject *object)
{
  InklingImageItem *self = INKLING_IMAGE_ITEM (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->data, g_bytes_unref);
  g_clear_pointer (&self->predicted_label, g_free);
  g_clear_pointer (&self->user_label, g_free);

  G_OBJECT_CLASS (inkling_image_item_parent_class)->finalize (object);
}

static void
inkling_image_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  InklingImageItem *self = INKLING_IMAGE_ITEM (object);

  switch (prop_id) {
  case PROP_ID: g_value_set_int64 (value, self->id); break;
  case PROP_NAME: g_value_set_string (value, self->name); break;
  case PROP_DATA: g_value_set_boxed (value, self->data); break;
  case PROP_PREDICTED_LABEL: g_value_set_string (value, self->predicted_label); break;
  case PROP_CONFIDENCE: g_value_set_double (value, self->confidence); break;
  case PROP_USER_LABEL: g_value_set_string (value, self->user_label); break;
  case PROP_LABEL: g_value_set_string (value, inkling_image_item_get_label (self)); break;
  case PROP_CREATED: g_value_set_int64 (value, self->created); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
inkling_image_item_class_init (InklingImageItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = inkling_image_item_finalize;
  object_class->get_property = inkling_image_item_get_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, "", flags);
  properties[PROP_DATA] = g_param_spec_boxed ("data", NULL, NULL, G_TYPE_BYTES, flags);
  properties[PROP_PREDICTED_LABEL] =
    g_param_spec_string ("predicted-label", NULL, NULL, NULL, flags);
  properties[PROP_CONFIDENCE] = g_param_spec_double ("confidence", NULL, NULL, 0, 1, 0, flags);
  properties[PROP_USER_LABEL] = g_param_spec_string ("user-label", NULL, NULL, NULL, flags);
  properties[PROP_LABEL] = g_param_spec_string ("label", NULL, NULL, NULL, flags);
  properties[PROP_CREATED] = g_param_spec_int64 ("created", NULL, NULL, 0, G_MAXINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
inkling_image_item_init (InklingImageItem *self)
{
}
