/*
 * store_sla.h - what the service levels read and write in the store
 * (store_sla.c): a case's clock (its times and the events that pause
 * it), the cases that may need a warning, and the warnings sent.
 *
 * Same rules as store.h: prepared statements, caller-owned results, the
 * common error codes.
 */
#ifndef CASEMAIL_STORE_SLA_H
#define CASEMAIL_STORE_SLA_H

#include <glib.h>
#include <stdint.h>

#include "casemail/error.h"
#include "casemail/store.h"

/* An event that may stop or start the clock. */
struct store_sla_event {
	int64_t at;
	int waiting;       /* 1: "waiting" (value: on whom, NULL: no
			    * longer); 0: "status" (value: the new one) */
	char *value;
};

/* A case as the service levels see it. */
struct store_sla_case {
	int64_t id;
	char *type;
	char *priority;
	enum store_case_status status;
	int64_t created_at;
	int64_t first_response_at;  /* 0: not answered yet */
	int64_t solved_at;          /* 0: not solved */
	char *waiting_on;           /* NULL: not waiting */
	GArray *events;             /* struct store_sla_event, oldest first */
};

/* A new GArray for struct store_sla_event that frees their values. */
GArray *store_sla_events_new(void);

/* Free; accepts NULL and clears the pointer. */
void store_sla_case_free(struct store_sla_case **c);

/* Load case id with its events.  CM_ENOTFOUND if there is none. */
int store_sla_case_get(struct store *s, int64_t id,
		       struct store_sla_case **c_r, struct cm_error *err);

/*
 * Active cases created at or before created_before that have not had
 * their last warning (resolution, at the breach): the ones casemaild
 * looks at.  A GArray of int64_t ids, oldest first; caller unrefs.
 */
int store_sla_candidates(struct store *s, int64_t created_before,
			 GArray **ids_r, struct cm_error *err);

/*
 * Record the warning of stage ("before" or "at") for target
 * ("first_response" or "resolution") of case_id, due at due, sent at now;
 * *added_r is 0 when it was recorded already (then nothing changes).
 * Call it in the transaction that queues the mail.  The common codes;
 * CM_EREFUSED for another target or stage, or no such case.
 */
int store_sla_warning_add(struct store *s, int64_t case_id,
			  const char *target, const char *stage, int64_t due,
			  int64_t now, int *added_r, struct cm_error *err);

/* Whether that warning was recorded (*found_r). */
int store_sla_warned(struct store *s, int64_t case_id, const char *target,
		     const char *stage, int *found_r, struct cm_error *err);

/*
 * The events of every case created in [from, to): a hash of
 * int64_t case id (g_int64_hash; the key is owned by the table) to a
 * GArray of struct store_sla_event (store_sla_events_new()), for reports.
 */
int store_sla_events_created(struct store *s, int64_t from, int64_t to,
			     GHashTable **events_r, struct cm_error *err);

#endif
