/* cli-update.c: `inkling-cli update MODEL -o OUT ...`, an update task
 * (Core ML's MLUpdateTask) from the command line
 *
 * The task runs on the engine's worker thread. Its callbacks only queue
 * what happened and wake the main thread, which prints everything, reacts
 * to SIGINT and SIGTERM (GLib's handler only writes to a wake-up pipe; the
 * main thread then cancels the task) and writes OUT once the task has
 * completed. OUT is replaced atomically, so MODEL may be OUT.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli-examples.h"
#include "ink-update.h"

#include <glib-unix.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InkUpdateConfig, ink_update_config_free)

/* Reports waiting for the main thread, at most: beyond, the worker waits
 * (a slow reader of the output slows the task rather than filling memory). */
#define MAX_PENDING_REPORTS 1024

/* What the worker thread hands the main thread: an event, or the end. */
typedef struct {
  unsigned event; /* an InkUpdateEvent, or 0 when the task has ended */
  InkUpdateMetrics metrics;
} Report;

typedef struct {
  GMainContext *context;
  /* pthreads rather than GMutex: GLib's futex-based locks are invisible to
   * ThreadSanitizer, which checks this hand-over. */
  pthread_mutex_t lock;
  pthread_cond_t drained;
  GQueue reports; /* of Report, under lock */
  InkUpdateTask *task;
  size_t n_examples;
  gboolean cancel_requested;
  gboolean json;
} Run;

/* ---- The worker thread's side ---- */

static void
post_report (Run *run, unsigned event, const InkUpdateMetrics *metrics)
{
  Report *report = g_new0 (Report, 1);

  report->event = event;
  if (metrics != NULL)
    report->metrics = *metrics;
  pthread_mutex_lock (&run->lock);
  while (event != 0 && run->reports.length >= MAX_PENDING_REPORTS)
    pthread_cond_wait (&run->drained, &run->lock);
  g_queue_push_tail (&run->reports, report);
  pthread_mutex_unlock (&run->lock);
  g_main_context_wakeup (run->context);
}

static void
on_progress (InkUpdateTask *task, InkUpdateEvent event, const InkUpdateMetrics *metrics,
             void *user_data)
{
  post_report (user_data, (unsigned) event, metrics);
}

static void
on_completion (InkUpdateTask *task, void *user_data)
{
  post_report (user_data, 0, NULL);
}

/* ---- The main thread's side ---- */

/* Dispatched on the main thread after GLib's signal handler woke it. */
static gboolean
on_signal (gpointer user_data)
{
  Run *run = user_data;

  run->cancel_requested = TRUE;
  ink_update_task_cancel (run->task);
  return G_SOURCE_CONTINUE;
}

static void
add_metrics (cJSON *json, const InkUpdateMetrics *m)
{
  cJSON_AddItemToObject (json, "epoch", cli_json_int64 (m->epoch));
  cJSON_AddItemToObject (json, "miniBatch", cli_json_int64 (m->mini_batch));
  if (isfinite (m->loss))
    cJSON_AddNumberToObject (json, "loss", m->loss);
  else
    cJSON_AddNullToObject (json, "loss");
  cJSON_AddItemToObject (json, "examplesSeen", cli_json_int64 (m->examples_seen));
  cJSON_AddItemToObject (json, "epochs", cli_json_int64 (m->epochs));
  cJSON_AddItemToObject (json, "miniBatches", cli_json_int64 (m->mini_batches));
}

static const char *
plural (int64_t n, const char *one, const char *many)
{
  return n == 1 ? one : many;
}

static void
print_report (const Run *run, const Report *r)
{
  const InkUpdateMetrics *m = &r->metrics;

  if (run->json) {
    g_autoptr (cJSON) json = cJSON_CreateObject ();

    cJSON_AddStringToObject (json, "event", ink_update_event_to_string (r->event));
    add_metrics (json, m);
    cli_print_json_line (json);
    return;
  }
  if (r->event == INK_EVENT_TRAINING_BEGIN) {
    printf ("training on %zu %s: %" G_GINT64_FORMAT " %s of %" G_GINT64_FORMAT " %s\n",
            run->n_examples, plural ((int64_t) run->n_examples, "example", "examples"),
            (gint64) m->epochs, plural (m->epochs, "epoch", "epochs"), (gint64) m->mini_batches,
            plural (m->mini_batches, "mini-batch", "mini-batches"));
  } else if (r->event == INK_EVENT_EPOCH_END) {
    printf ("epoch %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, (gint64) m->epoch + 1,
            (gint64) m->epochs);
    if (isfinite (m->loss))
      printf ("  loss %.4f", m->loss);
    putchar ('\n');
  }
  fflush (stdout);
}

/* Runs the task to its end, printing its events as they come; returns the
 * final state. */
static InkTaskState
run_task (Run *run, InkError *err)
{
  guint sigint, sigterm;
  gboolean ended = FALSE;

  sigint = g_unix_signal_add (SIGINT, on_signal, run);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, run);
  if (ink_update_task_resume (run->task, err) == INK_OK) {
    while (!ended) {
      GQueue pending;
      Report *report;

      g_main_context_iteration (run->context, TRUE);
      pthread_mutex_lock (&run->lock);
      pending = run->reports;
      g_queue_init (&run->reports);
      pthread_cond_signal (&run->drained);
      pthread_mutex_unlock (&run->lock);
      while ((report = g_queue_pop_head (&pending)) != NULL) {
        if (report->event == 0)
          ended = TRUE;
        else
          print_report (run, report);
        g_free (report);
      }
    }
  }
  /* A signal that came as the task ended still counts: nothing is written. */
  while (g_main_context_pending (run->context))
    g_main_context_iteration (run->context, FALSE);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  return ink_update_task_wait (run->task);
}

static InkStatus
write_model (const InkModel *model, const char *path, InkError *err)
{
  size_t n = strlen (path);

  if (n >= 8 && g_ascii_strcasecmp (path + n - 8, ".mlmodel") == 0)
    return ink_coreml_export (model, path, err);
  return ink_model_save (model, path, err);
}

static cJSON *
provenance_to_json (const InkModel *model)
{
  InkProvenance p = {0};
  cJSON *json;

  if (model == NULL || !ink_model_get_provenance (model, &p))
    return cJSON_CreateNull ();
  json = cJSON_CreateObject ();
  cJSON_AddItemToObject (json, "baseId",
                         p.base_id ? cJSON_CreateString (p.base_id) : cJSON_CreateNull ());
  cJSON_AddItemToObject (json, "baseVersion",
                         p.base_version ? cJSON_CreateString (p.base_version)
                                        : cJSON_CreateNull ());
  cJSON_AddItemToObject (json, "examples", cli_json_int64 (p.examples));
  cJSON_AddItemToObject (json, "updatedAt",
                         p.updated_at ? cJSON_CreateString (p.updated_at) : cJSON_CreateNull ());
  return json;
}

/* The final JSON line: {"event": "result", "state", "model", "output",
 * "examples", "metrics", "provenance"[, "error"]}. */
static void
print_result_json (const Run *run, InkTaskState state, const char *model_path, const char *output,
                   const InkModel *updated, const InkError *err)
{
  g_autoptr (cJSON) json = cJSON_CreateObject ();
  InkUpdateMetrics metrics = ink_update_task_get_metrics (run->task);

  cJSON_AddStringToObject (json, "event", "result");
  cJSON_AddStringToObject (json, "state", ink_task_state_to_string (state));
  cJSON_AddStringToObject (json, "model", model_path);
  if (output != NULL)
    cJSON_AddStringToObject (json, "output", output);
  else
    cJSON_AddNullToObject (json, "output");
  cJSON_AddItemToObject (json, "examples", cli_json_int64 ((int64_t) run->n_examples));
  add_metrics (cJSON_AddObjectToObject (json, "metrics"), &metrics);
  cJSON_AddItemToObject (json, "provenance", provenance_to_json (updated));
  if (err != NULL)
    cJSON_AddStringToObject (json, "error",
                             err->message[0] ? err->message : ink_status_to_string (err->status));
  cli_print_json_line (json);
}

/* Writes the updated model and reports how the task ended. */
static int
finish (Run *run, InkTaskState state, const char *model_path, const char *output)
{
  g_autoptr (InkModel) updated = NULL;
  InkError err = {0};

  if (run->cancel_requested || state == INK_TASK_CANCELLED) {
    ink_error_set (&err, INK_ERR_CANCELLED, "cancelled");
    if (run->json)
      print_result_json (run, INK_TASK_CANCELLED, model_path, NULL, NULL, &err);
    return cli_fail ("update cancelled; %s unchanged", model_path);
  }
  if (state != INK_TASK_COMPLETED) {
    ink_update_task_get_error (run->task, &err);
    if (run->json)
      print_result_json (run, state, model_path, NULL, NULL, &err);
    return cli_fail_engine (&err);
  }
  updated = ink_update_task_take_model (run->task);
  if (updated == NULL || write_model (updated, output, &err) != INK_OK) {
    if (updated == NULL)
      ink_error_set (&err, INK_ERR_INVALID_ARGUMENT, "the completed task has no model");
    if (run->json)
      print_result_json (run, state, model_path, NULL, updated, &err);
    return cli_fail_engine (&err);
  }
  if (run->json) {
    print_result_json (run, state, model_path, output, updated, NULL);
  } else {
    InkUpdateMetrics metrics = ink_update_task_get_metrics (run->task);

    printf ("updated %s with %zu %s: wrote %s", model_path, run->n_examples,
            plural ((int64_t) run->n_examples, "example", "examples"), output);
    if (isfinite (metrics.loss))
      printf (" (loss %.4f)", metrics.loss);
    putchar ('\n');
  }
  return cli_finish_output ();
}

/* ---- The command line ---- */

/* --param KEY=VALUE: VALUE a number, or true/false. */
static int
add_parameter (InkUpdateConfig *config, const char *arg)
{
  const char *eq = strchr (arg, '=');
  g_autofree char *key = NULL;
  g_autofree char *text = NULL;
  char *end = NULL;
  double value;
  InkError err = {0};

  if (eq == NULL || eq == arg)
    return cli_usage_error ("update", "--param takes KEY=VALUE, not '%s'", arg);
  key = g_strndup (arg, (gsize) (eq - arg));
  text = g_strstrip (g_strdup (eq + 1));
  if (g_ascii_strcasecmp (text, "true") == 0) {
    value = 1;
  } else if (g_ascii_strcasecmp (text, "false") == 0) {
    value = 0;
  } else {
    value = g_ascii_strtod (text, &end);
    if (text[0] == '\0' || *end != '\0' || !isfinite (value))
      return cli_usage_error ("update", "--param %s: '%s' is not a number (or true/false)", key,
                              text);
  }
  if (ink_update_config_set_parameter (config, key, value, &err) != INK_OK)
    return cli_usage_error ("update", "--param %s: %s", key,
                            err.message[0] ? err.message : ink_status_to_string (err.status));
  return CLI_EXIT_OK;
}

static int
check_usage (char **remaining, const char *output, const char *examples, const char *label,
             char **images, int threads)
{
  int status = cli_check_arguments ("update", remaining, 1, "MODEL");

  if (status != CLI_EXIT_OK)
    return status;
  if (output == NULL)
    return cli_usage_error ("update", "missing -o OUT, where to write the updated model");
  if (examples != NULL && (label != NULL || images != NULL))
    return cli_usage_error ("update", "give either --examples or --label with --image, not both");
  if (examples == NULL && label == NULL && images == NULL)
    return cli_usage_error ("update", "missing examples: --examples DIR, or --label L --image "
                                      "FILE...");
  if (examples == NULL && label == NULL)
    return cli_usage_error ("update", "--image needs --label, the label of the images");
  if (examples == NULL && images == NULL)
    return cli_usage_error ("update", "--label needs at least one --image FILE");
  if (threads != G_MININT && threads < 0)
    return cli_usage_error ("update", "--threads takes 0 (one per processor) or more");
  return CLI_EXIT_OK;
}

/* Refuses an OUT whose folder is missing before any work is done. */
static int
check_output_folder (const char *output)
{
  g_autofree char *folder = g_path_get_dirname (output);

  if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
    return cli_fail ("cannot write %s: %s is not a folder", output, folder);
  return CLI_EXIT_OK;
}

int
cli_update (int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree char *output = NULL;
  g_autofree char *examples_path = NULL;
  g_autofree char *label = NULL;
  g_auto (GStrv) images = NULL;
  g_auto (GStrv) params = NULL;
  g_auto (GStrv) remaining = NULL;
  int threads = G_MININT; /* not given */
  const GOptionEntry entries[] = {
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
     "Write the updated model to OUT (.inkmodel; .mlmodel for Core ML)", "OUT"},
    {"examples", 0, 0, G_OPTION_ARG_FILENAME, &examples_path,
     "Read examples from DIR (one folder per label holding images) or a CSV file", "DIR"},
    {"label", 0, 0, G_OPTION_ARG_STRING, &label, "The label of the --image files", "L"},
    {"image", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &images,
     "An example image, PNG or JPEG (repeatable)", "FILE"},
    {"param", 0, 0, G_OPTION_ARG_STRING_ARRAY, &params,
     "Override an update parameter (epochs, learningRate, miniBatchSize, momentum, beta1, "
     "beta2, eps, shuffle, seed, numberOfNeighbors; repeatable)",
     "KEY=VALUE"},
    {"threads", 0, 0, G_OPTION_ARG_INT, &threads,
     "Compute threads (default 1; 0: one per processor)", "N"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json,
     "Print a JSON line per progress event, then one with the result", NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &remaining, NULL, "MODEL"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (InkUpdateConfig) config = ink_update_config_new ();
  g_autoptr (InkModel) model = NULL;
  g_autoptr (InkBatch) examples = NULL;
  const InkModelDescription *d;
  Run run = {0};
  InkError err = {0};
  InkTaskState state;
  int status;

  g_option_context_set_summary (
    context, "Updates (personalizes) an updatable MODEL with labelled examples, as Core ML's\n"
             "MLUpdateTask, and writes the result to OUT. MODEL is never changed, unless OUT\n"
             "is MODEL: then it is replaced atomically, and only when the update succeeds.");
  g_option_context_set_description (
    context, "Examples: --label L --image FILE... (images of one label), or --examples DIR\n"
             "(DIR/LABEL/IMAGE files), or --examples FILE.csv (a header row naming the\n"
             "training inputs, then a row per example; see docs/CLI.md).\n"
             "Progress prints on standard output as it happens: 'epoch 3/10  loss 0.1234'.\n"
             "Ctrl-C cancels the update: nothing is written, exit status 1.\n");
  g_option_context_add_main_entries (context, entries, NULL);
  status = cli_parse_options (context, "update", &argc, &argv);
  if (status == CLI_EXIT_OK)
    status = check_usage (remaining, output, examples_path, label, images, threads);
  for (guint i = 0; status == CLI_EXIT_OK && params != NULL && params[i] != NULL; i++)
    status = add_parameter (config, params[i]);
  if (status != CLI_EXIT_OK)
    return status;
  if (threads != G_MININT)
    ink_update_config_set_threads (config, threads);

  model = cli_load_model (remaining[0], &err);
  if (model == NULL)
    return cli_fail_engine (&err);
  d = ink_model_get_description (model);
  if (!ink_description_is_updatable (d))
    return cli_fail ("%s is not updatable (a Core ML model says so with isUpdatable)",
                     remaining[0]);
  status = check_output_folder (output);
  if (status != CLI_EXIT_OK)
    return status;
  if (examples_path != NULL)
    examples = cli_examples_read (d, examples_path, &err);
  else
    examples = cli_examples_from_images (d, label, (const char *const *) images, &err);
  if (examples == NULL)
    return cli_fail_engine (&err);

  run.context = g_main_context_default ();
  run.json = json;
  run.n_examples = ink_batch_count (examples);
  pthread_mutex_init (&run.lock, NULL);
  pthread_cond_init (&run.drained, NULL);
  g_queue_init (&run.reports);
  run.task = ink_update_task_new (
    model, examples, config, json ? INK_EVENT_ALL : INK_EVENT_TRAINING_BEGIN | INK_EVENT_EPOCH_END,
    on_progress, on_completion, &run, &err);
  if (run.task == NULL) {
    status = cli_fail_engine (&err);
  } else {
    state = run_task (&run, &err);
    status = state == INK_TASK_CREATED ? cli_fail_engine (&err)
                                       : finish (&run, state, remaining[0], output);
    ink_update_task_free (run.task);
  }
  g_queue_clear_full (&run.reports, g_free);
  pthread_cond_destroy (&run.drained);
  pthread_mutex_destroy (&run.lock);
  return status;
}
