/* inkling-bench.h: timing hooks for the benchmark (tests/bench/run)
 *
 * When $INKLING_BENCH_FILE is set, the application measures three things
 * and writes them there as one JSON object (atomically, each time a
 * measurement completes; docs/BENCHMARKS.md):
 *
 *  "first-frame-us"      from the process's start to the end of the main
 *                        window's first painted frame (the frame clock's
 *                        "after-paint"). The start is $INKLING_BENCH_START_US
 *                        (CLOCK_MONOTONIC microseconds, as
 *                        g_get_monotonic_time, taken by the launcher just
 *                        before it starts the process), else the process's
 *                        start time from /proc/self/stat (10 ms steps).
 *                        "first-frame-cpu-us": the CPU time (user and
 *                        system, all threads) the process used until then.
 *  "stroke-to-guess-us"  one entry per stroke: from the end of the stroke
 *                        (the Draw page's canvas reporting a finished
 *                        change) to the end of the first frame painted
 *                        after the guesses for that drawing were shown;
 *                        "stroke-to-shown-us" the part up to the guesses'
 *                        labels being set (the prediction's round trip),
 *                        "stroke-to-guess-frames" how many frames were
 *                        painted up to and with the one showing them (1:
 *                        the first frame after the stroke's end).
 *  "update-frames"       while the model manager is busy (an update, a
 *                        rebuild, training), the frame clock is kept
 *                        running (a tick callback) and the interval between
 *                        consecutive frames' frame times is recorded:
 *                        {"updates": n, "frames": n, "long": frames over
 *                        20 ms, "max-us": n, "intervals-us": [...]}.
 *
 * Without $INKLING_BENCH_FILE every function does nothing. Main thread only.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

#include "inkling-model-manager.h"

G_BEGIN_DECLS

/* A frame interval longer than this is a long frame (µs). */
#define INKLING_BENCH_LONG_FRAME_US 20000

/* The application's main window (first frame, frames while busy) and the
 * manager whose "busy" property marks updates (may be NULL). */
void inkling_bench_watch_window (GtkWindow *window, InklingModelManager *manager);
/* The Draw page's canvas finished a change (a stroke's end) at revision. */
void inkling_bench_stroke_ended (guint revision);
/* The Draw page now shows the guesses for revision. */
void inkling_bench_guesses_shown (guint revision);

G_END_DECLS
