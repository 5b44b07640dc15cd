/*
 * outbound_private.h - internals shared by the files of the outbound
 * module:
 *
 *   outbound.c         the context, template variables, building and
 *                      queueing one mail (outbound_queue())
 *   outbound_rcpt.c    who a mail goes to, who is left out, rate limits
 *   outbound_notify.c  notifications, acknowledgements, confirmations
 *   outbound_reply.c   replies and canned responses
 *   outbound_digest.c  the daily follow-up digest
 *
 * Not part of the module's contract; nothing outside src/outbound/
 * includes it.  Static helpers keep the short ob_ prefix; what is shared
 * here is named outbound_.
 */
#ifndef CASEMAIL_OUTBOUND_PRIVATE_H
#define CASEMAIL_OUTBOUND_PRIVATE_H

#include <glib.h>
#include <stdint.h>

#include "casemail/casenum.h"
#include "casemail/compose.h"
#include "casemail/outbound.h"
#include "casemail/template.h"

/* ---- outbound.c --------------------------------------------------------- */

/* A case loaded for mailing about it. */
struct outbound_case {
	struct store_case *c;
	GPtrArray *msgs;             /* struct store_message *, oldest first */
	char num[CASENUM_BUF_SIZE];
	char *topic_index;           /* the case's Outlook Thread-Index */
};

/* Load case_id and its messages; clear oc with outbound_case_clear()
 * whatever this returns. */
int outbound_case_load(struct outbound *o, int64_t case_id,
		       struct outbound_case *oc, struct cm_error *err);
void outbound_case_clear(struct outbound_case *oc);

/* The attachments of one mail. */
struct outbound_files {
	GArray *parts;         /* struct compose_attachment */
	GPtrArray *bytes;      /* GBytes * to unref */
	GPtrArray *strings;    /* char *: names and types the parts borrow */
	GString *names;        /* every attachment's name, comma-separated */
};

void outbound_files_init(struct outbound_files *f);
void outbound_files_clear(struct outbound_files *f);
/* Attach data (taken) as filename of type (both borrowed: from the
 * caller, or kept alive in f->strings). */
void outbound_files_add(struct outbound_files *f, const char *filename,
			const char *type, GBytes *data);
/* Attach the blob sha256 (attach.h) by reference: the outbox row holds
 * a marker and the sender puts the file in (compose.h).  All borrowed. */
void outbound_files_add_ref(struct outbound_files *f, const char *filename,
			    const char *type, const char *sha256);
/* Append name to f->names. */
void outbound_files_name(struct outbound_files *f, const char *name);

/* One mail to build and queue: what differs between the kinds of mail.
 * Everything is borrowed for the call. */
struct outbound_mail {
	const char *kind;            /* the outbox row's kind */
	const struct outbound_case *oc; /* the case it is about, or NULL */
	const char *author;          /* From "author via desk"; NULL: desk */
	const struct compose_address *to;
	size_t n_to;
	const struct compose_address *cc;
	size_t n_cc;
	const char *subject;
	const char *body;
	const char *message_id;
	const char *answering;       /* the Message-ID answered, or NULL */
	int auto_generated;
	const char *list_unsubscribe; /* a mailto: URI, or NULL */
	const struct outbound_files *files; /* or NULL */
	const char *recipient;       /* the one person it is for, or NULL */
	const char *topic;           /* Thread-Topic; NULL: the case subject */
	int64_t due;                 /* send from then; 0: now */
	const char *why_later;       /* why it waits until due, or NULL */
};

/*
 * Build om and queue it in the outbox to every To and Cc address (from
 * the desk; about a case: Reply-To the desk, threaded into the case).
 * With preview_r, append the message to it and queue nothing.
 */
int outbound_queue(struct outbound *o, const struct outbound_mail *om,
		   int64_t now, GString *preview_r, struct cm_error *err);

/*
 * Render t with vars for om's one recipient (om->to[0]; recipient.email
 * and recipient.name are set in vars) and queue it.  om's subject, body
 * and Message-ID are filled in here and are valid only during the call.
 */
int outbound_queue_template(struct outbound *o, const struct template *t,
			    GHashTable *vars, struct outbound_mail *om,
			    int64_t now, struct cm_error *err);

/* A new Message-ID for mail on case_id (0: none) to rcpt (NULL: many);
 * *mid_r is g_free()d by the caller. */
int outbound_new_msgid(struct outbound *o, int64_t case_id,
		       const char *rcpt, char **mid_r, struct cm_error *err);

/* The desk's address ([case] address, or a placeholder). */
const char *outbound_desk_address(const struct outbound *o);

/* vars[name] = value (copied; NULL becomes ""). */
void outbound_set(GHashTable *vars, const char *name, const char *value);
/* The case.*, requester.* and desk.* variables of oc (new table). */
GHashTable *outbound_case_vars(const struct outbound *o,
			       const struct outbound_case *oc);
/* The case.field.NAME variables of case_id into v (outbound_fields.c):
 * every declared field, "" when unset. */
void outbound_field_vars(const struct outbound *o, int64_t case_id,
			 GHashTable *v);
/* The message.* variables of m into v. */
void outbound_message_vars(const struct outbound *o, GHashTable *v,
			   const struct store_message *m,
			   const char *attachment_names);

/* The last_error of a notification queued to wait for a rate limit. */
#define OUTBOUND_DEFERRED "deferred: over the rate limit"

/* How much of a stranger's subject and name an acknowledgement quotes. */
#define OUTBOUND_SHORT_SUBJECT 60
#define OUTBOUND_SHORT_NAME 40

/* text (may be NULL) cleaned for quoting: valid UTF-8, control characters
 * and runs of white space one space, at most max_chars characters (then
 * "..." after them).  g_free(). */
char *outbound_short_text(const char *text, long max_chars);
/* Replace the stranger's words in v (case.subject, requester.name) with
 * short, cleaned forms (outbound_short_text()). */
void outbound_stranger_vars(GHashTable *v, const struct outbound_case *oc);

/* ---- outbound_rcpt.c ---------------------------------------------------- */
/* The person the case is for (both may be NULL); borrowed from msgs or c. */
void outbound_requester(GPtrArray *msgs, const struct store_case *c,
			const char **name_r, const char **addr_r);

/* Whether list (char *) holds address, regardless of case. */
int outbound_has(GPtrArray *list, const char *address);
/* Add address lower-cased unless empty or already in list. */
void outbound_add_unique(GPtrArray *list, const char *address);
/* Ours: the desk address, its plus forms, the envelope sender. */
int outbound_is_desk(const struct outbound *o, const char *address);

/* Add the addresses one template role (requester, participants, owners,
 * watchers, shipper, carrier, escalation) or literal address stands for. */
void outbound_role(const struct outbound *o, const struct outbound_case *oc,
		   const char *role, GPtrArray *out);
/* Everyone to be told of a message on oc, before the per-person
 * exclusions; with desk_only the desk's side (owners, watchers) alone. */
GPtrArray *outbound_audience(const struct outbound *o,
			     const struct outbound_case *oc, int desk_only);
/* Why who is not notified of m at now (*why_r, a constant: the
 * author, got it directly, the desk, bouncing), or *why_r NULL. */
int outbound_excluded(const struct outbound *o, const struct store_message *m,
		      const char *who, int64_t now, const char **why_r,
		      struct cm_error *err);
/* Take a token from who's bucket on case_id and the global one, ahead
 * of time when either is empty (store_rate_reserve()): *due_r is when
 * the mail may go, now or later. */
int outbound_allowed(struct outbound *o, int64_t case_id, const char *who,
		     int64_t now, int64_t *due_r, struct cm_error *err);

/* ---- outbound_escalate.c ------------------------------------------------ */

/* Whether a reply with template t (NULL: free text) is an escalation:
 * r->escalate, or t addresses the "escalation" role. */
int outbound_is_escalation(const struct template *t,
			   const struct outbound_reply_req *r);
/* Move every address of list (char *) that is neither in [case]
 * organization_domains nor the outside team (the configured escalation
 * address, r->to, c's recorded team) into withheld. */
void outbound_escalation_filter(const struct outbound *o,
				const struct store_case *c,
				const struct outbound_reply_req *r,
				GPtrArray *list, GPtrArray *withheld);
/* CM_EUSAGE when an address of list outside the organisation is one of
 * c's people (who would get the team's mail as the customer's). */
int outbound_escalation_check(const struct outbound *o,
			      const struct store_case *c, GPtrArray *list,
			      struct cm_error *err);
/* The To of a free-text escalation: the case's outside team, else (no
 * r->to either) the configured escalation address. */
void outbound_escalation_team(const struct outbound *o,
			      const struct outbound_case *oc,
			      const struct outbound_reply_req *r,
			      GPtrArray *to);
/* After an escalation is stored: its addressees outside the organisation
 * join the case's outside team, each withheld address is logged and
 * noted on the case.  Needs an open transaction. */
int outbound_escalation_record(struct outbound *o, const struct store_case *c,
			       const struct outbound_reply_req *r,
			       GPtrArray *sent_to, GPtrArray *withheld,
			       int64_t now, struct cm_error *err);
/* The caller.* variables of c into v (rname, raddr: the requester). */
void outbound_contact_vars(GHashTable *v, const struct store_case *c,
			   const char *rname, const char *raddr);
/* A mail command's or --set's name, company, phone and email fields
 * (fields may be NULL) override caller.* in v. */
void outbound_caller_fields(GHashTable *v, GHashTable *fields);

#endif
