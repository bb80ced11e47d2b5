/* inkling-sticker.c: one of the user's stickers
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-sticker.h"

#include "inkling-example.h"

struct _InklingSticker {
  GObject parent_instance;

  gint64 id;
  gint64 created;

  /* Owned References */
  char *emoji;
  char *label;
  GListStore *examples;
};

G_DEFINE_FINAL_TYPE (InklingSticker, inkling_sticker, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_EMOJI,
  PROP_LABEL,
  PROP_CREATED,
  PROP_N_EXAMPLES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

InklingSticker *
inkling_sticker_new (gint64 id, const char *emoji, const char *label, gint64 created)
{
  InklingSticker *self = g_object_new (INKLING_TYPE_STICKER, NULL);

  self->id = id;
  self->emoji = g_strdup (emoji != NULL ? emoji : "");
  self->label = g_strdup (label != NULL ? label : "");
  self->created = created;
  return self;
}

gint64
inkling_sticker_get_id (InklingSticker *self)
{
  g_return_val_if_fail (INKLING_IS_STICKER (self), 0);

  return self->id;
}

const char *
inkling_sticker_get_emoji (InklingSticker *self)
{
  g_return_val_if_fail (INKLING_IS_STICKER (self), NULL);

  return self->emoji;
}

void
inkling_sticker_set_emoji (InklingSticker *self, const char *emoji)
{
  g_return_if_fail (INKLING_IS_STICKER (self));

  if (g_strcmp0 (self->emoji, emoji) == 0)
    return;
  g_free (self->emoji);
  self->emoji = g_strdup (emoji != NULL ? emoji : "");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EMOJI]);
}

const char *
inkling_sticker_get_label (InklingSticker *self)
{
  g_return_val_if_fail (INKLING_IS_STICKER (self), NULL);

  return self->label;
}

gint64
inkling_sticker_get_created (InklingSticker *self)
{
  g_return_val_if_fail (INKLING_IS_STICKER (self), 0);

  return self->created;
}

GListModel *
inkling_sticker_get_examples (InklingSticker *self)
{
  g_return_val_if_fail (INKLING_IS_STICKER (self), NULL);

  return G_LIST_MODEL (self->examples);
}

guint
inkling_sticker_get_n_examples (InklingSticker *self)
{
  g_return_val_if_fail (INKLING_IS_STICKER (self), 0);

  return g_list_model_get_n_items (G_LIST_MODEL (self->examples));
}

static void
inkling_sticker_examples_changed (GListModel *list, guint position, guint removed, guint added,
                                  gpointer user_data)
{
  InklingSticker *self = user_data;

  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_EXAMPLES]);
}

static void
inkling_sticker_finalize (GObject *object)
{
  InklingSticker *self = INKLING_STICKER (object);

  g_clear_object (&self->examples);
  g_clear_pointer (&self->emoji, g_free);
  g_clear_pointer (&self->label, g_free);

  G_OBJECT_CLASS (inkling_sticker_parent_class)->finalize (object);
}

static void
inkling_sticker_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  InklingSticker *self = INKLING_STICKER (object);

  switch (prop_id) {
  case PROP_ID: g_value_set_int64 (value, self->id); break;
  case PROP_EMOJI: g_value_set_string (value, self->emoji); break;
  case PROP_LABEL: g_value_set_string (value, self->label); break;
  case PROP_CREATED: g_value_set_int64 (value, self->created); break;
  case PROP_N_EXAMPLES: g_value_set_uint (value, inkling_sticker_get_n_examples (self)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
inkling_sticker_class_init (InklingStickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = inkling_sticker_finalize;
  object_class->get_property = inkling_sticker_get_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_EMOJI] = g_param_spec_string ("emoji", NULL, NULL, "", flags);
  properties[PROP_LABEL] = g_param_spec_string ("label", NULL, NULL, "", flags);
  properties[PROP_CREATED] = g_param_spec_int64 ("created", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_N_EXAMPLES] =
    g_param_spec_uint ("n-examples", NULL, NULL, 0, G_MAXUINT, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
inkling_sticker_init (InklingSticker *self)
{
  self->examples = g_list_store_new (INKLING_TYPE_EXAMPLE);
  g_signal_connect_object (self->examples, "items-changed",
                           G_CALLBACK (inkling_sticker_examples_changed), self, 0);
}

GListStore *
inkling_sticker_get_example_store (InklingSticker *self)
{
  g_return_val_if_fail (INKLING_IS_STICKER (self), NULL);

  return self->examples;
}
