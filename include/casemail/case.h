/*
 * case.h - the case model: what a valid case is and how it may change.
 *
 * These functions apply one change to one case and record it in the audit
 * trail.  They do not open transactions: the caller wraps one or more of
 * them in store_begin()/store_commit() (casectl does one command per
 * transaction; the ingest path does one message per transaction), and rolls
 * back on any error, so a refused change leaves nothing behind.
 */
#ifndef CASEMAIL_CASE_H
#define CASEMAIL_CASE_H

#include <stdint.h>

#include "casemail/casenum.h"
#include "casemail/config.h"
#include "casemail/error.h"
#include "casemail/store.h"

/* Who is acting, and when.  All borrowed. */
struct case_ctx {
	struct store *store;
	const struct config *cfg;
	const char *actor;   /* an address or an agent name; NULL: "unknown" */
	int64_t now;
};

/* Longest accepted subject, shipment reference and CRM number. */
#define CASE_SUBJECT_MAX 998
#define CASE_REF_MAX 128
/* Longest internal note (1 MiB): a note is typed, not a file dump. */
#define CASE_NOTE_MAX ((size_t)1024 * 1024)

/* Fields to set; NULL leaves a field as it is, "" clears an optional one. */
struct case_fields {
	const char *subject;
	const char *type;
	const char *priority;
	const char *kind;
	const char *source;
	const char *shipment;
	const char *crm_shipper;
	const char *crm_carrier;
	int set_follow_up;   /* nonzero: follow_up applies */
	int64_t follow_up;   /* 0 clears */
};

/*
 * The side of the one owner of a case on a desk without sides ([case]
 * sides = none).
 */
#define CASE_SIDE_DESK "desk"

/* CM_EUSAGE naming field unless v (NULL: nothing to check) is valid
 * UTF-8 of at most max bytes without control characters, and not empty
 * unless may_be_empty. */
int case_check_text(struct cm_error *err, const char *field, const char *v,
		    size_t max, int may_be_empty);

/* The priorities, lowest first, NULL-terminated. */
const char *const *case_priority_names(void);

/* Parse "CV123" / "cv000123" into the case id; CM_EUSAGE otherwise. */
int case_parse_number(const struct config *cfg, const char *text,
		      int64_t *id_r, struct cm_error *err);

/* Format a case id as its number ("CV000123") into buf. */
void case_format_number(const struct config *cfg, int64_t id, char *buf,
			size_t size);

/*
 * Check every non-NULL field against the rules (type in the configured
 * list, known priority/kind/source, lengths, no control characters).
 * Returns CM_EUSAGE naming the field and the allowed values.
 */
int case_check_fields(const struct config *cfg, const struct case_fields *f,
		      struct cm_error *err);

/*
 * Copy checked fields in to out with canonical spellings ("HIGH" becomes
 * "high", "Damaged" the configured "damaged"); the strings in out are
 * borrowed from in, the configuration or constant tables.
 */
void case_canonical(const struct config *cfg, const struct case_fields *in,
		    struct case_fields *out);

/*
 * Create a case from f (subject required; defaults: type "other" or the
 * first configured type, priority normal, kind client, source user).
 * Returns its id in *id_r.
 */
int case_create(const struct case_ctx *ctx, const struct case_fields *f,
		int64_t *id_r, struct cm_error *err);

/* Apply f to case id, one audit event per changed field; *changed_r
 * counts the changes (0 is not an error). */
int case_set(const struct case_ctx *ctx, int64_t id,
	     const struct case_fields *f, int *changed_r,
	     struct cm_error *err);

/* Solve (records solved_at) or reopen (audited); CM_EREFUSED if the case
 * is already in that state. */
int case_solve(const struct case_ctx *ctx, int64_t id, struct cm_error *err);
int case_reopen(const struct case_ctx *ctx, int64_t id, struct cm_error *err);

/*
 * Mark an Active case as waiting on someone outside (on, e.g. "outside
 * support"), or clear it (NULL); audited.  Solving clears it.
 */
int case_set_waiting(const struct case_ctx *ctx, int64_t id, const char *on,
		     struct cm_error *err);

/* The owner of side ("shipper" or "carrier") on c, borrowed from c, or NULL. */
const struct store_person *case_owner_of(const struct store_case *c,
					 const char *side);

/*
 * The oldest bouncing mark that still counts at now: a person marked
 * before it gets mail again ([smtp] bounce_clear_days).  A mark also
 * clears at the next accepted delivery (outbox.c) or by an agent.
 */
int64_t case_bounce_cutoff(const struct config *cfg, int64_t now);

/* Whether person p (as store_case_get() loads it) is bouncing at now. */
int case_person_bouncing(const struct config *cfg,
			 const struct store_person *p, int64_t now);

/*
 * Apply the status a template sets (its Sets-Status: "solved", "pending"
 * or "active"; NULL: nothing) after an agent's reply on case c, as loaded
 * before the reply.  solved solves the case unless it already is; pending
 * marks it waiting on "outside support" (which reopens a solved case);
 * active reopens a solved case and clears the waiting.  Audited like the
 * changes it makes; returns their errors.
 */
int case_apply_template_status(const struct case_ctx *ctx,
			       const struct store_case *c, const char *status,
			       struct cm_error *err);

/* Append an audit event by ctx->actor at ctx->now. */
int case_event_add(const struct case_ctx *ctx, int64_t id, const char *what,
		   const char *old_v, const char *new_v, const char *detail,
		   struct cm_error *err);

/*
 * Make address the owner of one side ("shipper"/"carrier").  side NULL:
 * the person's recorded side.  A side that has another owner is refused
 * (CM_EREFUSED): at most one owner per side, two in all.  *side_r (may be
 * NULL) receives the side used, a constant string.  With [case] sides =
 * none a case has one owner (side CASE_SIDE_DESK) and giving a side is
 * CM_EUSAGE.
 */
int case_assign(const struct case_ctx *ctx, int64_t id, const char *address,
		const char *side, const char **side_r, struct cm_error *err);

/* Remove the owner given by address, or else by side.  CM_ENOTFOUND if
 * there is no such owner. */
int case_unassign(const struct case_ctx *ctx, int64_t id,
		  const char *address, const char *side,
		  struct cm_error *err);

/* Add or remove a watcher; *changed_r is 0 when nothing changed. */
int case_watch(const struct case_ctx *ctx, int64_t id, const char *address,
	       int *changed_r, struct cm_error *err);
int case_unwatch(const struct case_ctx *ctx, int64_t id, const char *address,
		 int *changed_r, struct cm_error *err);

/* Add a subscribed participant (display name may be NULL); the case's
 * outside team is refused (CM_EREFUSED): it never becomes one of the
 * case's people. */
int case_add_participant(const struct case_ctx *ctx, int64_t id,
			 const char *address, const char *name,
			 int *changed_r, struct cm_error *err);

/* Add an internal note (stored as an internal message, searchable). */
int case_note(const struct case_ctx *ctx, int64_t id, const char *text,
	      struct cm_error *err);

/*
 * Add a note; public (non-zero) stores it as a message of the desk's
 * ("out") that the caller then notifies the case's people of, internal
 * ones stay with the agents.  *m_r (if non-NULL) receives the stored
 * message, owned by the caller (store_message_free()).
 */
int case_add_note(const struct case_ctx *ctx, int64_t id, const char *text,
		  int public, struct store_message **m_r,
		  struct cm_error *err);

/* ---- the desk's workflows (case_desk.c) --------------------------------- */

/* A case's contact to set; NULL leaves a field, "" clears it. */
struct case_contact_fields {
	const char *requester;       /* an address */
	const char *requester_name;
	const char *caller_name;
	const char *caller_company;
	const char *caller_phone;
	const char *caller_email;    /* an address */
};

/* Longest name, company or phone number of a contact. */
#define CASE_CONTACT_MAX 200

/*
 * Apply f to case id's contact, one audit event per changed field
 * (*changed_r counts them).  A requester becomes a subscribed participant:
 * the customer's replies are the case's and they hear of its news.
 * CM_EUSAGE for an address that is none or a text that breaks
 * case_check_text(); CM_ENOTFOUND for no such case.
 */
int case_set_contact(const struct case_ctx *ctx, int64_t id,
		     const struct case_contact_fields *f, int *changed_r,
		     struct cm_error *err);

/*
 * Put address on case id's outside team (the escalation's addressees):
 * audited when new (*added_r).  Someone who is already one of the case's
 * people (owner, watcher, participant) is refused (CM_EREFUSED): the
 * outside team never shares the customer's thread.
 */
int case_add_outside(const struct case_ctx *ctx, int64_t id,
		     const char *address, int *added_r, struct cm_error *err);

/* The role address has on c ("owner", "watcher" or "participant", the
 * first that applies; else "requester" or "caller" when it is the
 * contact's requester or caller email), or NULL. */
const char *case_role_of(const struct store_case *c, const char *address);

/* Whether address is on case c's outside team. */
int case_is_outside(const struct store_case *c, const char *address);

/*
 * [case] creator_owns: make the acting agent (ctx->actor, an address)
 * owner of the new case id, on side (NULL: their known side; none needed
 * with [case] sides = none).  Nothing happens (0, *side_r NULL) when the
 * key is off, the actor is no address, or their side is unknown.
 */
int case_creator_owns(const struct case_ctx *ctx, int64_t id,
		      const char *side, const char **side_r,
		      struct cm_error *err);

#endif
