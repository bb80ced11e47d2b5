/* cli-fault.c: the faults `inkling-cli serve --fault SPEC` injects
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli-fault.h"

#include <pthread.h>
#include <string.h>

typedef struct {
  CliFaultKind kind;
  char *spec; /* as given */
  char *pattern;
  gint64 value;
  gint64 times_left; /* -1: every request */
} Fault;

struct CliFaults {
  /* pthreads rather than GMutex: ThreadSanitizer sees them. */
  pthread_mutex_t lock; /* the faults' times_left */
  GPtrArray *faults;    /* of Fault */
};

static const struct {
  const char *name;
  CliFaultKind kind;
  gint64 min, max;
  const char *what; /* what VALUE is, for messages */
} kinds[] = {
  {"status", CLI_FAULT_STATUS, 300, 599, "an HTTP status code from 300 to 599"},
  {"retry-after", CLI_FAULT_RETRY_AFTER, 0, G_MAXINT32, "seconds"},
  {"delay", CLI_FAULT_DELAY, 0, 3600 * 1000, "milliseconds (at most an hour)"},
  {"drip", CLI_FAULT_DRIP, 1, G_MAXINT64, "bytes per second (1 or more)"},
  {"drop", CLI_FAULT_DROP, 0, G_MAXINT64, "a number of bytes"},
  {"truncate", CLI_FAULT_TRUNCATE, 0, G_MAXINT64, "a number of bytes"},
  {"pad", CLI_FAULT_PAD, 1, G_MAXINT32, "a number of bytes (1 or more)"},
  {"corrupt", CLI_FAULT_CORRUPT, 0, G_MAXINT64, "a byte offset"},
  {"redirect", CLI_FAULT_REDIRECT, 1, CLI_FAULT_MAX_REDIRECTS,
   "a number of redirects from 1 to " G_STRINGIFY (CLI_FAULT_MAX_REDIRECTS)},
};

static void
fault_free (gpointer data)
{
  Fault *fault = data;

  g_free (fault->spec);
  g_free (fault->pattern);
  g_free (fault);
}

CliFaults *
cli_faults_new (void)
{
  CliFaults *faults = g_new0 (CliFaults, 1);

  pthread_mutex_init (&faults->lock, NULL);
  faults->faults = g_ptr_array_new_with_free_func (fault_free);
  return faults;
}

void
cli_faults_free (CliFaults *faults)
{
  if (faults == NULL)
    return;
  g_ptr_array_free (faults->faults, TRUE);
  pthread_mutex_destroy (&faults->lock);
  g_free (faults);
}

guint
cli_faults_count (const CliFaults *faults)
{
  return faults->faults->len;
}

static gboolean
parse_number (const char *text, gint64 min, gint64 max, gint64 *out)
{
  return text[0] != '\0' && g_ascii_string_to_signed (text, 10, min, max, out, NULL);
}

gboolean
cli_faults_add (CliFaults *faults, const char *spec, GError **error)
{
  const char *eq = strchr (spec, '=');
  g_autofree char *name = NULL;
  g_auto (GStrv) fields = NULL;
  Fault *fault;
  guint n_fields;
  gsize k;

  if (eq == NULL || eq == spec) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--fault '%s': expected KIND=PATH:VALUE[:TIMES]", spec);
    return FALSE;
  }
  name = g_strndup (spec, (gsize) (eq - spec));
  for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
    if (strcmp (name, kinds[k].name) == 0)
      break;
  }
  if (k == G_N_ELEMENTS (kinds)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--fault '%s': unknown kind '%s' (status, retry-after, delay, drip, drop, "
                 "truncate, pad, corrupt, redirect)",
                 spec, name);
    return FALSE;
  }
  fields = g_strsplit (eq + 1, ":", -1);
  n_fields = g_strv_length (fields);
  if (n_fields < 2 || n_fields > 3 || fields[0][0] == '\0') {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--fault '%s': expected %s=PATH:VALUE[:TIMES], PATH a glob without ':'", spec,
                 name);
    return FALSE;
  }
  fault = g_new0 (Fault, 1);
  fault->kind = kinds[k].kind;
  fault->spec = g_strdup (spec);
  fault->pattern = g_strdup (fields[0]);
  fault->times_left = -1;
  if (!parse_number (fields[1], kinds[k].min, kinds[k].max, &fault->value)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--fault '%s': VALUE '%s' is not %s", spec, fields[1], kinds[k].what);
    fault_free (fault);
    return FALSE;
  }
  if (n_fields == 3 && !parse_number (fields[2], 1, G_MAXINT64, &fault->times_left)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--fault '%s': TIMES '%s' is not a number of requests (1 or more)", spec,
                 fields[2]);
    fault_free (fault);
    return FALSE;
  }
  g_ptr_array_add (faults->faults, fault);
  return TRUE;
}

static void
apply (const Fault *fault, CliFaultPlan *plan)
{
  switch (fault->kind) {
  case CLI_FAULT_STATUS:
    if (plan->status == 0)
      plan->status = (int) fault->value;
    break;
  case CLI_FAULT_RETRY_AFTER:
    if (plan->status == 0) {
      plan->status = 503;
      plan->retry_after = fault->value;
    }
    break;
  case CLI_FAULT_DELAY: plan->delay_ms += fault->value; break;
  case CLI_FAULT_DRIP:
    if (plan->drip_rate == 0 || fault->value < plan->drip_rate)
      plan->drip_rate = fault->value;
    break;
  case CLI_FAULT_DROP:
    if (plan->drop_after < 0 || fault->value < plan->drop_after)
      plan->drop_after = fault->value;
    break;
  case CLI_FAULT_TRUNCATE:
    if (plan->truncate_to < 0 || fault->value < plan->truncate_to)
      plan->truncate_to = fault->value;
    break;
  case CLI_FAULT_PAD: plan->pad += fault->value; break;
  case CLI_FAULT_CORRUPT: g_array_append_val (plan->corrupt, fault->value); break;
  case CLI_FAULT_REDIRECT: plan->redirects = MAX (plan->redirects, (int) fault->value); break;
  }
  if (plan->applied->len > 0)
    g_string_append_c (plan->applied, ',');
  g_string_append (plan->applied, fault->spec);
}

void
cli_faults_plan (CliFaults *faults, const char *path, gboolean redirected, CliFaultPlan *plan)
{
  *plan = (CliFaultPlan){
    .retry_after = -1,
    .drop_after = -1,
    .truncate_to = -1,
    .corrupt = g_array_new (FALSE, FALSE, sizeof (gint64)),
    .applied = g_string_new (NULL),
  };
  pthread_mutex_lock (&faults->lock);
  for (guint i = 0; i < faults->faults->len; i++) {
    Fault *fault = g_ptr_array_index (faults->faults, i);

    if (fault->times_left == 0 || (redirected && fault->kind == CLI_FAULT_REDIRECT) ||
        !g_pattern_match_simple (fault->pattern, path))
      continue;
    if (fault->times_left > 0)
      fault->times_left--;
    apply (fault, plan);
  }
  pthread_mutex_unlock (&faults->lock);
}

void
cli_fault_plan_clear (CliFaultPlan *plan)
{
  if (plan->corrupt != NULL)
    g_array_free (plan->corrupt, TRUE);
  if (plan->applied != NULL)
    g_string_free (plan->applied, TRUE);
  plan->corrupt = NULL;
  plan->applied = NULL;
}
