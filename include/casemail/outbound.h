/*
 * outbound.h - what the desk mails, and to whom: notifications of new
 * messages, acknowledgements of new cases, canned responses and free
 * replies.  Everything is rendered from templates, built by compose.c and
 * queued in the outbox in the caller's transaction, so the mail exists
 * exactly when the event that caused it does.  outbox.c sends it.
 *
 * Who is notified of a message on a case: its owners, watchers and
 * subscribed participants, each once (addresses compared without regard
 * to case), except the author, anyone the mail already went to directly
 * (its To and Cc), the desk's own addresses, people whose mail bounces,
 * and anyone over the token buckets ([smtp] limit_per_case_hour per
 * recipient and case, limit_global_hour in all): one mail per recipient.
 *
 * Ownership: struct outbound borrows its store, configuration and
 * template list, which must outlive it; it owns only the Message-ID key
 * it loads on first use (freed by outbound_clear()).  Arguments are
 * borrowed for the call; *preview_r is the caller's.
 *
 * Threads: a struct outbound belongs to one thread at a time, like the
 * store connection it uses (each daemon thread has its own pair).  The
 * configuration and the loaded templates are only read here, so several
 * struct outbound in different threads may share them as long as nobody
 * changes or frees them meanwhile (a reload swaps them only after the
 * threads that use them have stopped).
 */
#ifndef CASEMAIL_OUTBOUND_H
#define CASEMAIL_OUTBOUND_H

#include <glib.h>
#include <stdint.h>

#include "casemail/classify.h"
#include "casemail/config.h"
#include "casemail/error.h"
#include "casemail/mime.h"
#include "casemail/store.h"

struct outbound {
	struct store *store;       /* borrowed */
	const struct config *cfg;  /* borrowed */
	GPtrArray *templates;      /* borrowed; NULL: none loaded */
	char *key;                 /* Message-ID key, loaded on first use */
	int queued;                /* mails queued through this context */
	char *digest_notice;       /* during outbound_digest() only */
};

/* Set up (nothing is read yet); store, cfg and templates are borrowed. */
void outbound_init(struct outbound *o, struct store *store,
		   const struct config *cfg, GPtrArray *templates);
/* Forget the key; the borrowed objects are left alone. */
void outbound_clear(struct outbound *o);

/*
 * A message m (already stored on case_id) was added: notify the people
 * of the case (see above).  Needs an open transaction.
 */
int outbound_notify(struct outbound *o, int64_t case_id,
		    const struct store_message *m, int64_t now,
		    struct cm_error *err);

/*
 * A public note on case id by ctx->actor (case_add_note()), and the
 * notification of the case's people (owners, watchers, subscribed
 * participants; not the author) about it: what casectl note --public and
 * casemail-web's note form do.  Inside the caller's transaction.
 */
struct case_ctx;
int outbound_public_note(struct outbound *o, const struct case_ctx *ctx,
			 int64_t id, const char *text, struct cm_error *err);

/* The same for the desk's side only (owners and watchers): for what is
 * not meant for the customer or the carrier, like an agent's mail
 * command or an escalation to the outside support team. */
int outbound_notify_desk(struct outbound *o, int64_t case_id,
			 const struct store_message *m, int64_t now,
			 struct cm_error *err);

/*
 * Acknowledge a mail that opened case_id to its sender with the
 * "acknowledge" template: not for our own domains, at most once per
 * sender per [case] ack_interval.  No template: nothing is sent.
 */
int outbound_acknowledge(struct outbound *o, int64_t case_id,
			 const struct store_message *m, int64_t now,
			 struct cm_error *err);

/* A canned response or a free reply on a case. */
struct outbound_reply_req {
	const char *template_name;   /* NULL: a free reply (text needed) */
	GHashTable *fields;          /* NAME -> value for {{field.NAME}} */
	const char *text;            /* free text ({{field.text}} too) */
	const char *actor;           /* the agent's address */
	const char *actor_name;      /* or NULL */
	const char *const *to;       /* extra literal recipients */
	size_t n_to;
	const char *const *attach_files; /* paths to attach */
	size_t n_attach;
	int preview;                 /* render only: nothing is queued */
	/* An escalation (casectl escalate): to names the outside team.  A
	 * template addressing the "escalation" role is one anyway.  An
	 * escalation reaches the outside team and addresses in [case]
	 * organization_domains only, is stored as internal and notifies
	 * the desk's own people alone. */
	int escalate;
};

/*
 * Render and (unless preview) queue a reply on case_id, store it on the
 * case as an outgoing message, apply the template's Sets-Status, and
 * notify the people it was not addressed to (only the desk's side when
 * the template addresses none of the case's outside people).  *preview_r (if non-NULL)
 * receives the rendered message.  CM_EUSAGE when the template's
 * required fields are missing (listed) or it has no recipients.
 */
int outbound_reply(struct outbound *o, int64_t case_id,
		   const struct outbound_reply_req *r, int64_t now,
		   GString *preview_r, struct cm_error *err);

/* Confirm an unsubscription from case_id to address (once). */
int outbound_confirm_unsubscribe(struct outbound *o, int64_t case_id,
				 const char *address, int64_t now,
				 struct cm_error *err);

/*
 * The follow-up digest: one mail per owner (the "digest" template) listing
 * their Active cases whose follow-up time is past and those without
 * activity since stale_before; owners with nothing are not mailed.
 * *mails_r: how many were queued.
 */
int outbound_digest(struct outbound *o, int64_t now, int64_t stale_before,
		    int *mails_r, struct cm_error *err);

/*
 * Service-level warnings (outbound_sla.c, the "sla-warning" template):
 * for each Active case whose first-response or resolution clock
 * (sla.h) has reached [sla] warn_before short of its target, or the
 * target, one mail to each owner and [case] desk_lead, once per case,
 * target and stage (recorded in the store in the caller's transaction).
 * *mails_r: mails queued; *deferred_r: cases left for a later call by
 * the [sla] warn_per_hour bucket.  No template or no target: nothing.
 */
int outbound_sla_warnings(struct outbound *o, int64_t now, int *mails_r,
			  int *deferred_r, struct cm_error *err);

/* The store setting that holds why the mailbox is not read ("" or
 * absent: it is); the digest says so while it is set. */
#define OUTBOUND_ALERT_KEY "oauth2.alert"

/*
 * The case mailbox is not being read (why: one line, no secret) or is
 * read again (why NULL).  The first time after it was read: a mail to
 * [oauth2] admin when set, and from then on every digest says so until
 * it is read again; nothing more while it stays unread, whatever how
 * often this is called.  Needs an open transaction.
 */
int outbound_mailbox_alert(struct outbound *o, const char *why, int64_t now,
			   struct cm_error *err);

/* The Message-ID key (loads it); borrowed. */
int outbound_key(struct outbound *o, const char **key_r,
		 struct cm_error *err);

/* This desk's loop header value (msgid_loop_value() with our key and the
 * desk address); caller g_free()s *loop_r. */
int outbound_loop_value(struct outbound *o, char **loop_r,
			struct cm_error *err);

/*
 * Fill self for classify_message(): our loop value (in *loop_r, which the
 * caller g_free()s after classifying) and whether m's Message-ID carries
 * our signature.
 */
int outbound_classify_self(struct outbound *o, const struct mime_message *m,
			   struct classify_self *self, char **loop_r,
			   struct cm_error *err);

#endif
