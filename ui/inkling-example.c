/* inkling-example.c: one example drawing of a sticker
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-example.h"

struct _InklingExample {
  GObject parent_instance;

  gint64 id;
  gint64 sticker_id;
  gint64 created;

  /* Owned References */
  char *strokes;
  GBytes *raster;
};

G_DEFINE_FINAL_TYPE (InklingExample, inkling_example, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_STICKER_ID,
  PROP_STROKES,
  PROP_RASTER,
  PROP_CREATED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

InklingExample *
inkling_example_new (gint64 id, gint64 sticker_id, const char *strokes, GBytes *raster,
                     gint64 created)
{
  InklingExample *self = g_object_new (INKLING_TYPE_EXAMPLE, NULL);

  g_return_val_if_fail (raster != NULL, self);

  self->id = id;
  self->sticker_id = sticker_id;
  self->strokes = g_strdup (strokes != NULL ? strokes : "");
  self->raster = g_bytes_ref (raster);
  self->created = created;
  return self;
}

gint64
inkling_example_get_id (InklingExample *self)
{
  g_return_val_if_fail (INKLING_IS_EXAMPLE (self), 0);

  return self->id;
}

gint64
inkling_example_get_sticker_id (InklingExample *self)
{
  g_return_val_if_fail (INKLING_IS_EXAMPLE (self), 0);

  return self->sticker_id;
}

const char *
inkling_example_get_strokes (InklingExample *self)
{
  g_return_val_if_fail (INKLING_IS_EXAMPLE (self), NULL);

  return self->strokes;
}

GBytes *
inkling_example_get_raster (InklingExample *self)
{
  g_return_val_if_fail (INKLING_IS_EXAMPLE (self), NULL);

  return self->raster;
}

gint64
inkling_example_get_created (InklingExample *self)
{
  g_return_val_if_fail (INKLING_IS_EXAMPLE (self), 0);

  return self->created;
}

static void
inkling_example_finalize (GObject *object)
{
  InklingExample *self = INKLING_EXAMPLE (object);

  g_clear_pointer (&self->strokes, g_free);
  g_clear_pointer (&self->raster, g_bytes_unref);

  G_OBJECT_CLASS (inkling_example_parent_class)->finalize (object);
}

static void
inkling_example_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  InklingExample *self = INKLING_EXAMPLE (object);

  switch (prop_id) {
  case PROP_ID: g_value_set_int64 (value, self->id); break;
  case PROP_STICKER_ID: g_value_set_int64 (value, self->sticker_id); break;
  case PROP_STROKES: g_value_set_string (value, self->strokes); break;
  case PROP_RASTER: g_value_set_boxed (value, self->raster); break;
  case PROP_CREATED: g_value_set_int64 (value, self->created); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
inkling_example_class_init (InklingExampleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = inkling_example_finalize;
  object_class->get_property = inkling_example_get_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_STICKER_ID] =
    g_param_spec_int64 ("sticker-id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_STROKES] = g_param_spec_string ("strokes", NULL, NULL, "", flags);
  properties[PROP_RASTER] = g_param_spec_boxed ("raster", NULL, NULL, G_TYPE_BYTES, flags);
  properties[PROP_CREATED] = g_param_spec_int64 ("created", NULL, NULL, 0, G_MAXINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
inkling_example_init (InklingExample *self)
{
}
