/*
 * outbox.h - the sender: drains due mails from the store's outbox over
 * one SMTP session.
 *
 * Each mail is one SMTP transaction per pending recipient, each from an
 * envelope sender signed for that mail and recipient (VERP, see
 * mailtoken.h: a delivery report to it proves which delivery failed),
 * then one commit recording what happened to each: sent, failed for good (5xx, or
 * still failing after [smtp] max_age: an event on the case says "not
 * delivered to x: 550 ..."), or pending again with exponential backoff
 * ([smtp] retry_min, default 60 s, doubling up to OUTBOX_RETRY_MAX_SECS).  A crash
 * between the transaction and the commit sends that mail again with the
 * same Message-ID; nothing queued is ever lost.  An accepted delivery
 * clears the recipient's bouncing mark.
 */
#ifndef CASEMAIL_OUTBOX_H
#define CASEMAIL_OUTBOX_H

#include <signal.h>
#include <stdint.h>

#include "casemail/config.h"
#include "casemail/error.h"
#include "casemail/smtp.h"
#include "casemail/store.h"

#define OUTBOX_RETRY_MAX_SECS 3600
/* Mails looked at per drain: bounds one round's work. */
#define OUTBOX_BATCH 100

/* One sender per thread (it uses its store connection and SMTP session
 * alone); store and cfg are borrowed and must outlive it. */
struct outbox_sender {
	struct store *store;       /* borrowed */
	const struct config *cfg;  /* borrowed */
	struct smtp *smtp;         /* opened on first use */
	char *password;
	char *key;                 /* signs envelope senders; loaded on connect */
	int sent, failed, deferred;   /* recipients, since outbox_init */
	int warned_unconfigured;
};

void outbox_init(struct outbox_sender *ob, struct store *store,
		 const struct config *cfg);
/* Close the SMTP session and forget the password. */
void outbox_clear(struct outbox_sender *ob);

/*
 * Send every mail due at now (up to OUTBOX_BATCH, or until *stop).
 * Without [smtp] url nothing is sent (logged once).  CM_ETEMP when the
 * server could not be reached (the mails stay queued); store errors as
 * such.  *sent_r (may be NULL): recipients delivered this round.
 */
int outbox_drain(struct outbox_sender *ob, int64_t now, volatile sig_atomic_t *stop,
		 int *sent_r, struct cm_error *err);

/* When the next queued mail is due (0: none queued). */
int outbox_next_due(struct outbox_sender *ob, int64_t *when_r,
		    struct cm_error *err);

#endif
