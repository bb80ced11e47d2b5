/* inkling-draw-page.c: the Draw page
 *
 * A canvas and the model's top three guesses, asked for after every stroke
 * and, throttled by the canvas, while a long stroke is drawn. Predictions
 * run on the model manager's threads; an answer is shown only when it is
 * the one for the latest request (older ones are dropped). Teach adds the
 * drawing to a sticker, which updates the model at once.
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-draw-page.h"

#include "inkling-bench.h"
#include "inkling-guess-row.h"
#include "inkling-state.h"

#define N_GUESSES 3

struct _InklingDrawPage {
  AdwBin parent_instance;

  /* Template Widgets */
  InklingCanvas *canvas;
  GtkStack *guesses_stack; /* the hint, or guess_rows */
  GtkBox *guess_rows;
  GtkMenuButton *teach_button;

  /* Borrowed References */
  InklingModelManager *manager;

  /* Owned References */
  GMenu *teach_menu;

  InklingGuessRow *rows[N_GUESSES]; /* in guess_rows */
  guint generation;                 /* of the latest prediction request */
  guint pending;                    /* requests not answered yet */
  guint guessed_revision;           /* of the canvas, that the shown guesses are for */
  /* Guesses while a stroke is drawn (the canvas's throttled updates): the
   * requests made, the answers shown, and whether those shown are such. */
  guint live_requests;
  guint live_answers;
  gboolean provisional;
};

G_DEFINE_FINAL_TYPE (InklingDrawPage, inkling_draw_page, ADW_TYPE_BIN)

typedef struct {
  InklingDrawPage *self; /* a reference */
  guint generation;
  guint revision;
  gboolean live; /* asked while a stroke was being drawn */
} Request;

static void
request_free (Request *request)
{
  g_object_unref (request->self);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_free)

static void
inkling_draw_page_show_guesses (InklingDrawPage *self, GPtrArray *guesses)
{
  guint n = guesses != NULL ? guesses->len : 0;

  /* A new guess only repaints its row. The rows stay visible (measured)
   * under the hint, which keeps the page's layout as it is; only a model
   * with fewer than N_GUESSES classes hides some. */
  for (guint i = 0; i < n && i < N_GUESSES; i++)
    inkling_guess_row_set_guess (self->rows[i], i + 1, g_ptr_array_index (guesses, i));
  for (guint i = 0; n > 0 && i < N_GUESSES; i++)
    gtk_widget_set_visible (GTK_WIDGET (self->rows[i]), i < n);
  gtk_stack_set_visible_child_name (self->guesses_stack, n > 0 ? "guesses" : "hint");
}

static void
on_predicted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Request) request = user_data;
  InklingDrawPage *self = request->self;
  g_autoptr (GPtrArray) guesses = NULL;
  g_autoptr (GError) error = NULL;

  self->pending--;
  guesses = inkling_model_manager_predict_finish (INKLING_MODEL_MANAGER (source), result, &error);
  /* The page was disposed meanwhile. */
  if (self->manager == NULL)
    return;
  if (guesses == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_warning ("Cannot guess the drawing: %s", error->message);
    return;
  }
  /* An answer to an older request, overtaken by a newer one. */
  if (request->generation != self->generation)
    return;
  self->guessed_revision = request->revision;
  self->provisional = request->live;
  self->live_answers += request->live;
  inkling_draw_page_show_guesses (self, guesses);
  inkling_bench_guesses_shown (request->revision);
}

/* live: for the canvas's throttled update while a stroke is drawn. */
static void
inkling_draw_page_predict (InklingDrawPage *self, gboolean live)
{
  Request *request;

  if (self->manager == NULL || inkling_model_manager_get_model (self->manager) == NULL)
    return;

  request = g_new0 (Request, 1);
  request->self = g_object_ref (self);
  request->generation = ++self->generation;
  request->revision = inkling_canvas_get_revision (self->canvas);
  request->live = live;

  if (inkling_canvas_get_is_empty (self->canvas)) {
    /* Nothing to guess: no need to ask. */
    self->guessed_revision = request->revision;
    self->provisional = FALSE;
    inkling_draw_page_show_guesses (self, NULL);
    request_free (request);
    return;
  }
  self->pending++;
  self->live_requests += live;
  inkling_model_manager_predict_async (self->manager, inkling_canvas_get_drawing (self->canvas),
                                       N_GUESSES, NULL, on_predicted, request);
}

static void
on_strokes_changed (InklingCanvas *canvas, gboolean finished, InklingDrawPage *self)
{
  if (finished)
    inkling_bench_stroke_ended (inkling_canvas_get_revision (canvas));
  inkling_draw_page_predict (self, !finished && inkling_canvas_get_in_stroke (canvas));
}

/* The Teach menu: the labels the user can teach to, then a new sticker. */
static void
inkling_draw_page_update_teach_menu (InklingDrawPage *self)
{
  g_auto (GStrv) labels = NULL;
  g_autoptr (GMenu) stickers = g_menu_new ();
  g_autoptr (GMenu) other = g_menu_new ();

  g_menu_remove_all (self->teach_menu);
  if (self->manager == NULL)
    return;

  labels = inkling_model_manager_dup_labels (self->manager);
  for (guint i = 0; labels != NULL && labels[i] != NULL; i++) {
    g_autofree char *emoji = inkling_model_manager_dup_emoji (self->manager, labels[i]);
    g_autofree char *text =
      emoji != NULL ? g_strdup_printf ("%s  %s", emoji, labels[i]) : g_strdup (labels[i]);
    g_autoptr (GMenuItem) item = g_menu_item_new (text, NULL);

    g_menu_item_set_action_and_target_value (item, "win.teach", g_variant_new_string (labels[i]));
    g_menu_append_item (stickers, item);
  }
  g_menu_append (other, "New Sticker…", "win.new-sticker");
  g_menu_append_section (self->teach_menu, NULL, G_MENU_MODEL (stickers));
  g_menu_append_section (self->teach_menu, NULL, G_MENU_MODEL (other));
}

static void
on_model_changed (InklingModelManager *manager, InklingDrawPage *self)
{
  inkling_draw_page_update_teach_menu (self);
  inkling_draw_page_predict (self, inkling_canvas_get_in_stroke (self->canvas));
}

static void
on_stickers_changed (GListModel *list, guint position, guint removed, guint added,
                     InklingDrawPage *self)
{
  inkling_draw_page_update_teach_menu (self);
}

void
inkling_draw_page_set_manager (InklingDrawPage *self, InklingModelManager *manager)
{
  InklingStore *store;

  g_return_if_fail (INKLING_IS_DRAW_PAGE (self));
  g_return_if_fail (INKLING_IS_MODEL_MANAGER (manager));
  g_return_if_fail (self->manager == NULL);

  self->manager = manager;
  g_signal_connect_object (manager, "model-changed", G_CALLBACK (on_model_changed), self, 0);
  store = inkling_model_manager_get_store (manager);
  if (store != NULL)
    g_signal_connect_object (inkling_store_get_stickers (store), "items-changed",
                             G_CALLBACK (on_stickers_changed), self, 0);
  inkling_draw_page_update_teach_menu (self);
}

InklingCanvas *
inkling_draw_page_get_canvas (InklingDrawPage *self)
{
  g_return_val_if_fail (INKLING_IS_DRAW_PAGE (self), NULL);

  return self->canvas;
}

void
inkling_draw_page_set_presenting (InklingDrawPage *self, gboolean presenting, double stroke_width)
{
  g_return_if_fail (INKLING_IS_DRAW_PAGE (self));

  if (presenting)
    gtk_widget_add_css_class (GTK_WIDGET (self), "presenter");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "presenter");
  inkling_canvas_set_stroke_width (self->canvas, stroke_width);
}

static void
on_taught (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (InklingDrawPage) self = user_data;
  g_autoptr (InklingSticker) sticker = NULL;
  g_autoptr (GError) error = NULL;

  sticker = inkling_model_manager_teach_finish (INKLING_MODEL_MANAGER (source), result, &error);
  if (sticker == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
    g_autofree char *text = g_strdup_printf ("Cannot teach the sticker: %s", error->message);

    if (overlay != NULL)
      adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
    g_warning ("%s", text);
  }
}

gboolean
inkling_draw_page_teach (InklingDrawPage *self, const char *label, const char *emoji,
                         GError **error)
{
  const InkDrawing *drawing;

  g_return_val_if_fail (INKLING_IS_DRAW_PAGE (self), FALSE);
  g_return_val_if_fail (label != NULL, FALSE);

  if (self->manager == NULL || inkling_canvas_get_is_empty (self->canvas)) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         "Draw something to teach first");
    return FALSE;
  }
  drawing = inkling_canvas_get_drawing (self->canvas);
  /* The manager copies the drawing and stores it before returning. */
  inkling_model_manager_teach_async (self->manager, label, emoji, &drawing, 1, NULL, on_taught,
                                     g_object_ref (self));
  inkling_canvas_clear (self->canvas);
  return TRUE;
}

GVariant *
inkling_draw_page_describe (InklingDrawPage *self)
{
  GVariantDict dict;
  GVariantBuilder guesses;

  g_return_val_if_fail (INKLING_IS_DRAW_PAGE (self), NULL);

  /* The guesses as the rows show them. */
  g_variant_builder_init (&guesses, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < N_GUESSES; i++)
    if (gtk_stack_get_visible_child (self->guesses_stack) == GTK_WIDGET (self->guess_rows) &&
        gtk_widget_get_visible (GTK_WIDGET (self->rows[i])))
      g_variant_builder_add_value (&guesses, inkling_guess_row_describe (self->rows[i]));

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert_value (&dict, "guesses", g_variant_builder_end (&guesses));
  g_variant_dict_insert (&dict, "strokes", "u", inkling_canvas_get_stroke_count (self->canvas));
  g_variant_dict_insert (&dict, "in-stroke", "b", inkling_canvas_get_in_stroke (self->canvas));
  g_variant_dict_insert (&dict, "revision", "u", inkling_canvas_get_revision (self->canvas));
  g_variant_dict_insert (&dict, "guessed-revision", "u", self->guessed_revision);
  g_variant_dict_insert (&dict, "pending", "u", self->pending);
  g_variant_dict_insert (&dict, "generation", "u", self->generation);
  g_variant_dict_insert (&dict, "live-requests", "u", self->live_requests);
  g_variant_dict_insert (&dict, "live-answers", "u", self->live_answers);
  g_variant_dict_insert (&dict, "provisional", "b", self->provisional);
  g_variant_dict_insert (&dict, "stroke-width", "d",
                         inkling_canvas_get_stroke_width (self->canvas));
  g_variant_dict_insert_value (&dict, "canvas",
                               inkling_state_describe_bounds (GTK_WIDGET (self->canvas)));
  return g_variant_dict_end (&dict);
}

static void
inkling_draw_page_build_rows (InklingDrawPage *self)
{
  for (guint i = 0; i < N_GUESSES; i++) {
    self->rows[i] = INKLING_GUESS_ROW (inkling_guess_row_new ());
    gtk_box_append (self->guess_rows, GTK_WIDGET (self->rows[i]));
  }
}

static void
inkling_draw_page_dispose (GObject *object)
{
  InklingDrawPage *self = INKLING_DRAW_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), INKLING_TYPE_DRAW_PAGE);
  g_clear_object (&self->teach_menu);
  self->manager = NULL;

  G_OBJECT_CLASS (inkling_draw_page_parent_class)->dispose (object);
}

static void
inkling_draw_page_class_init (InklingDrawPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = inkling_draw_page_dispose;

  g_type_ensure (INKLING_TYPE_CANVAS);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/inkling/Inkling/inkling-draw-page.ui");
  gtk_widget_class_bind_template_child (widget_class, InklingDrawPage, canvas);
  gtk_widget_class_bind_template_child (widget_class, InklingDrawPage, guesses_stack);
  gtk_widget_class_bind_template_child (widget_class, InklingDrawPage, guess_rows);
  gtk_widget_class_bind_template_child (widget_class, InklingDrawPage, teach_button);
}

static void
inkling_draw_page_init (InklingDrawPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  inkling_draw_page_build_rows (self);
  self->teach_menu = g_menu_new ();
  gtk_menu_button_set_menu_model (self->teach_button, G_MENU_MODEL (self->teach_menu));
  g_signal_connect_object (self->canvas, "strokes-changed", G_CALLBACK (on_strokes_changed), self,
                           0);
}
