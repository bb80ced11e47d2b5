/* inkling-bench.c: timing hooks for the benchmark (see inkling-bench.h)
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-bench.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  char *path; /* $INKLING_BENCH_FILE; NULL: disabled */
  gint64 start_us;

  GtkWindow *window; /* weak */
  GdkFrameClock *clock;
  gulong after_paint_id;
  gint64 first_frame_us; /* -1 until painted */
  gint64 first_frame_cpu_us;

  /* The latest stroke end, and whether its guesses await a paint. */
  guint stroke_revision;
  gint64 stroke_time;
  gint64 shown_time;       /* the guesses were shown; 0: not yet */
  GArray *stroke_to_guess; /* gint64 µs, to the paint */
  GArray *stroke_to_shown; /* gint64 µs, to the labels' change */
  gint64 frames_since_stroke;
  GArray *stroke_frames; /* gint64: frames painted up to the one with the guesses */

  /* Frames while the manager is busy. */
  InklingModelManager *manager; /* weak */
  guint tick_id;
  gint64 last_frame_time;
  guint updates;
  GArray *intervals; /* gint64 µs */
} Bench;

static Bench *
bench_get (void)
{
  static Bench bench;
  static gsize once;

  if (g_once_init_enter (&once)) {
    const char *path = g_getenv ("INKLING_BENCH_FILE");
    const char *start = g_getenv ("INKLING_BENCH_START_US");

    bench.first_frame_us = -1;
    bench.start_us = -1;
    if (path != NULL && path[0] != '\0') {
      bench.path = g_strdup (path);
      bench.stroke_to_guess = g_array_new (FALSE, FALSE, sizeof (gint64));
      bench.stroke_to_shown = g_array_new (FALSE, FALSE, sizeof (gint64));
      bench.stroke_frames = g_array_new (FALSE, FALSE, sizeof (gint64));
      bench.intervals = g_array_new (FALSE, FALSE, sizeof (gint64));
      if (start != NULL && start[0] != '\0')
        bench.start_us = g_ascii_strtoll (start, NULL, 10);
    }
    g_once_init_leave (&once, 1);
  }
  return bench.path != NULL ? &bench : NULL;
}

/* The process's start on the g_get_monotonic_time clock, from its start
 * time since boot in /proc/self/stat (field 22, in clock ticks); -1 when
 * unknown. */
static gint64
process_start_us (void)
{
  g_autofree char *stat = NULL;
  struct timespec boot;
  const char *p;
  unsigned long long ticks;
  long hz = sysconf (_SC_CLK_TCK);

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) || hz <= 0 ||
      clock_gettime (CLOCK_BOOTTIME, &boot) != 0)
    return -1;
  /* The command name, in parentheses, may hold spaces: fields are counted
   * from its closing one (field 2). */
  p = strrchr (stat, ')');
  for (int field = 2; p != NULL && field < 22; field++) {
    p = strchr (p + 1, ' ');
  }
  if (p == NULL || sscanf (p + 1, "%llu", &ticks) != 1)
    return -1;
  return g_get_monotonic_time () - ((gint64) boot.tv_sec * G_USEC_PER_SEC + boot.tv_nsec / 1000 -
                                    (gint64) (ticks * G_USEC_PER_SEC / (unsigned long long) hz));
}

static void
append_array (GString *s, const char *name, GArray *values)
{
  g_string_append_printf (s, "\"%s\": [", name);
  for (guint i = 0; i < values->len; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i > 0 ? ", " : "",
                            g_array_index (values, gint64, i));
  g_string_append (s, "]");
}

static void
bench_write (Bench *b)
{
  g_autoptr (GString) s = g_string_new ("{");
  g_autoptr (GError) error = NULL;
  guint n_long = 0;
  gint64 max = 0;

  for (guint i = 0; i < b->intervals->len; i++) {
    gint64 v = g_array_index (b->intervals, gint64, i);
    n_long += v > INKLING_BENCH_LONG_FRAME_US;
    max = MAX (max, v);
  }
  if (b->first_frame_us >= 0)
    g_string_append_printf (
      s, "\"first-frame-us\": %" G_GINT64_FORMAT ", \"first-frame-cpu-us\": %" G_GINT64_FORMAT ", ",
      b->first_frame_us, b->first_frame_cpu_us);
  append_array (s, "stroke-to-guess-us", b->stroke_to_guess);
  g_string_append (s, ", ");
  append_array (s, "stroke-to-shown-us", b->stroke_to_shown);
  g_string_append (s, ", ");
  append_array (s, "stroke-to-guess-frames", b->stroke_frames);
  g_string_append_printf (s,
                          ", \"update-frames\": {\"updates\": %u, \"frames\": %u, \"long\": %u, "
                          "\"max-us\": %" G_GINT64_FORMAT ", ",
                          b->updates, b->intervals->len, n_long, max);
  append_array (s, "intervals-us", b->intervals);
  g_string_append (s, "}}\n");
  if (!g_file_set_contents (b->path, s->str, (gssize) s->len, &error))
    g_warning ("Cannot write the benchmark file: %s", error->message);
}

static void
on_after_paint (GdkFrameClock *clock, Bench *b)
{
  gint64 now = g_get_monotonic_time ();
  gboolean changed = FALSE;

  if (b->first_frame_us < 0) {
    gint64 start = b->start_us >= 0 ? b->start_us : process_start_us ();
    struct rusage ru;
    b->first_frame_us = start >= 0 ? now - start : 0;
    if (getrusage (RUSAGE_SELF, &ru) == 0)
      b->first_frame_cpu_us = (gint64) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * G_USEC_PER_SEC +
                              ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    changed = TRUE;
  }
  if (b->stroke_time != 0)
    b->frames_since_stroke++;
  if (b->shown_time != 0) {
    gint64 latency = now - b->stroke_time, compute = b->shown_time - b->stroke_time;
    g_array_append_val (b->stroke_to_guess, latency);
    g_array_append_val (b->stroke_to_shown, compute);
    g_array_append_val (b->stroke_frames, b->frames_since_stroke);
    b->shown_time = 0;
    b->stroke_time = 0;
    changed = TRUE;
  }
  if (b->tick_id != 0) {
    gint64 frame_time = gdk_frame_clock_get_frame_time (clock);
    if (b->last_frame_time > 0) {
      gint64 interval = frame_time - b->last_frame_time;
      g_array_append_val (b->intervals, interval);
    }
    b->last_frame_time = frame_time;
  }
  /* Not while frames are being counted: the file is written after. */
  if (changed && b->tick_id == 0)
    bench_write (b);
}

static void
on_realize (GtkWidget *window, Bench *b)
{
  if (b->clock != NULL)
    return;
  b->clock = gtk_widget_get_frame_clock (window);
  if (b->clock != NULL) {
    g_object_ref (b->clock);
    b->after_paint_id = g_signal_connect (b->clock, "after-paint", G_CALLBACK (on_after_paint), b);
  }
}

/* Keeps frames coming while an update runs, so that a stalled main loop
 * shows as a long interval. */
static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
on_busy (InklingModelManager *manager, GParamSpec *pspec, Bench *b)
{
  gboolean busy = inkling_model_manager_get_busy (manager);

  if (b->window == NULL)
    return;
  if (busy && b->tick_id == 0) {
    b->last_frame_time = 0;
    b->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (b->window), on_tick, NULL, NULL);
  } else if (!busy && b->tick_id != 0) {
    gtk_widget_remove_tick_callback (GTK_WIDGET (b->window), b->tick_id);
    b->tick_id = 0;
    b->updates++;
    bench_write (b);
  }
}

void
inkling_bench_watch_window (GtkWindow *window, InklingModelManager *manager)
{
  Bench *b = bench_get ();

  g_return_if_fail (GTK_IS_WINDOW (window));

  if (b == NULL || b->window != NULL)
    return;
  b->window = window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &b->window);
  g_signal_connect_after (window, "realize", G_CALLBACK (on_realize), b);
  if (gtk_widget_get_realized (GTK_WIDGET (window)))
    on_realize (GTK_WIDGET (window), b);
  if (manager != NULL) {
    b->manager = manager;
    g_object_add_weak_pointer (G_OBJECT (manager), (gpointer *) &b->manager);
    g_signal_connect (manager, "notify::busy", G_CALLBACK (on_busy), b);
    if (inkling_model_manager_get_busy (manager))
      on_busy (manager, NULL, b);
  }
}

void
inkling_bench_stroke_ended (guint revision)
{
  Bench *b = bench_get ();

  if (b == NULL)
    return;
  b->stroke_revision = revision;
  b->stroke_time = g_get_monotonic_time ();
  b->shown_time = 0;
  b->frames_since_stroke = 0;
}

void
inkling_bench_guesses_shown (guint revision)
{
  Bench *b = bench_get ();

  if (b == NULL || b->stroke_time == 0 || revision != b->stroke_revision)
    return;
  b->shown_time = g_get_monotonic_time ();
}
