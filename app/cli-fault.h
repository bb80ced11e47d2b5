/* cli-fault.h: the faults `inkling-cli serve --fault SPEC` injects
 *
 * SPEC is KIND=PATH:VALUE[:TIMES] (docs/CLI.md, "serve"):
 *   status=PATH:CODE          answer with status CODE (300..599) instead
 *   retry-after=PATH:SECONDS  answer 503 with "Retry-After: SECONDS"
 *   delay=PATH:MS             wait MS milliseconds before answering
 *   drip=PATH:BYTES_PER_SEC   send the body at most this fast
 *   drop=PATH:BYTES           close the connection after BYTES of the body
 *   truncate=PATH:BYTES       serve only the first BYTES of the file
 *   pad=PATH:BYTES            serve the file with BYTES zero bytes appended
 *   corrupt=PATH:OFFSET       flip the bits of the byte at OFFSET of the file
 *   redirect=PATH:HOPS        answer 302 Found, leading back to PATH through
 *                             HOPS redirects in all (1 to 100)
 * PATH is a glob over the request's decoded path ('*' and '?' match any
 * character, '/' too: "*.mlmodel", "/manifest.json", "*"). TIMES, when
 * given, limits the fault to the first TIMES requests whose path matches.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CLI_FAULT_STATUS,
  CLI_FAULT_RETRY_AFTER,
  CLI_FAULT_DELAY,
  CLI_FAULT_DRIP,
  CLI_FAULT_DROP,
  CLI_FAULT_TRUNCATE,
  CLI_FAULT_PAD,
  CLI_FAULT_CORRUPT,
  CLI_FAULT_REDIRECT,
} CliFaultKind;

/* The longest chain of redirects a redirect fault makes. */
#define CLI_FAULT_MAX_REDIRECTS 100

typedef struct CliFaults CliFaults;

/* What the faults that apply to one request ask for. */
typedef struct {
  int status;         /* 0, or the status to answer with */
  gint64 retry_after; /* -1, or the Retry-After seconds (with status 503) */
  gint64 delay_ms;    /* 0, or how long to wait before answering */
  gint64 drip_rate;   /* 0, or the most body bytes per second */
  gint64 drop_after;  /* -1, or the body bytes to send before closing */
  gint64 truncate_to; /* -1, or the size the file is cut to */
  gint64 pad;         /* zero bytes added to the end of the file */
  GArray *corrupt;    /* of gint64: file offsets whose byte is flipped */
  int redirects;      /* 0, or the redirects before the answer */
  GString *applied;   /* the SPECs that apply, comma-separated, for the log */
} CliFaultPlan;

CliFaults *cli_faults_new (void);
void cli_faults_free (CliFaults *faults);

/* Parses SPEC and adds the fault; FALSE with error set when SPEC is
 * malformed (the message says why). */
gboolean cli_faults_add (CliFaults *faults, const char *spec, GError **error);

guint cli_faults_count (const CliFaults *faults);

/* Fills plan with the faults that apply to a request for path, and counts
 * the request against each fault's TIMES. A request that ends a chain of
 * redirects (redirected) is neither redirected again nor counted against
 * redirect faults. Thread-safe. Clear plan with cli_fault_plan_clear. */
void cli_faults_plan (CliFaults *faults, const char *path, gboolean redirected, CliFaultPlan *plan);
void cli_fault_plan_clear (CliFaultPlan *plan);

G_END_DECLS
