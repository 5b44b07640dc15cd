/*
 * outbox.h - the sender: drains due mails from the store's outbox over
 * one or more SMTP sessions.
 *
 * Send once, record before and after.  A round claims up to OUTBOX_GROUP
 * due mails in one statement: each gets a lease (this sender's identity,
 * host:pid:random, until now + [smtp] lease) and its attempt is counted,
 * committed before anything is sent.  The group is shared between
 * [smtp] sessions (default 2), each mail one SMTP transaction per pending
 * recipient, each from an envelope sender signed for that mail and
 * recipient (VERP, see mailtoken.h).  Then one commit records the whole
 * group: sent, failed for good (5xx, or still failing after [smtp]
 * max_age: an event on the case says "not delivered to x: 550 ..."), or
 * pending again with exponential backoff ([smtp] retry_min doubling up
 * to OUTBOX_RETRY_MAX_SECS), and the leases end.
 *
 * When that commit fails (store busy, full, read-only) the outcomes stay
 * in memory as "sent, to record": the sender sends nothing else until
 * they are written, and never sends those mails again itself.  A sender
 * that dies between the send and the record leaves its leases: when they
 * expire (at once, for a process of this host that is gone) another
 * sender sends those mails again with the same Message-ID.  So: at least
 * once, and at most once per lease.
 *
 * A session the server refuses (421 or another 4xx, a dropped
 * connection) while another works hands its mail to the others and the
 * sender uses fewer sessions; it tries one more after
 * OUTBOX_SESSIONS_REGROW_SECS.  An accepted delivery clears the
 * recipient's bouncing mark.
 */
#ifndef CASEMAIL_OUTBOX_H
#define CASEMAIL_OUTBOX_H

#include <signal.h>
#include <stdint.h>

#include <glib.h>

#include "casemail/config.h"
#include "casemail/error.h"
#include "casemail/smtp.h"
#include "casemail/store.h"

#define OUTBOX_RETRY_MAX_SECS 3600
/* Mails looked at per drain: bounds one round's work. */
#define OUTBOX_BATCH 100
/* Mails claimed, sent and recorded together: one commit for the claim and
 * one for the results of up to this many mails. */
#define OUTBOX_GROUP 50
/* After a server refused a session: try one more this much later. */
#define OUTBOX_SESSIONS_REGROW_SECS 600
/* [smtp] sessions' upper bound (config.c). */
#define OUTBOX_SESSIONS_MAX 8
/* host:pid:random, with room for a 255-byte host name. */
#define OUTBOX_OWNER_SIZE 300

struct outbox_session;

/* One sender per process (its lease identity names the process); its
 * store connection is used by the calling thread only, the SMTP sessions
 * by threads of its own during outbox_drain().  store and cfg are
 * borrowed and must outlive it. */
struct outbox_sender {
	struct store *store;       /* borrowed */
	const struct config *cfg;  /* borrowed */
	struct outbox_session *sessions[OUTBOX_SESSIONS_MAX];
	int sessions_now;          /* in use: [smtp] sessions or fewer */
	int64_t sessions_cut_at;   /* when the server last refused one */
	int64_t lease_renew_at;    /* renew the leases held from then on */
	char owner[OUTBOX_OWNER_SIZE]; /* lease identity: host:pid:random */
	char *password;
	char *key;                 /* signs envelope senders; loaded on connect */
	GPtrArray *unrecorded;     /* sent, to record: struct outbox_job * */
	int sent, failed, deferred;   /* recipients, since outbox_init */
	int warned_unconfigured;
};

void outbox_init(struct outbox_sender *ob, struct store *store,
		 const struct config *cfg);

/*
 * Log in to [smtp] as the sender would (password or OAuth2, a refused
 * token replaced once) and say NOOP, sending no mail: casemaild check
 * --connect.  Errors as smtp_check().
 */
int outbox_check_smtp(const struct config *cfg, struct cm_error *err);
/* Close the SMTP sessions and forget the password.  Outcomes still not
 * recorded are logged and dropped (their leases stay: see above). */
void outbox_clear(struct outbox_sender *ob);

/*
 * Send every mail due at now (up to OUTBOX_BATCH, or until *stop), after
 * writing any outcomes still in memory.  Without [smtp] url nothing is
 * sent (logged once).  CM_ETEMP when the server could not be reached
 * (the mails stay queued); store errors as such (then outbox_unrecorded()
 * may say mails wait to be recorded).  *sent_r (may be NULL): recipients
 * delivered and recorded this round.
 */
int outbox_drain(struct outbox_sender *ob, int64_t now, volatile sig_atomic_t *stop,
		 int *sent_r, struct cm_error *err);

/* Mails sent whose outcome is not yet in the store. */
int outbox_unrecorded(const struct outbox_sender *ob);

/* Write the outcomes still in memory (0 when there are none). */
int outbox_flush(struct outbox_sender *ob, struct cm_error *err);

/* When the next queued mail is due (0: none queued). */
int outbox_next_due(struct outbox_sender *ob, int64_t *when_r,
		    struct cm_error *err);

#endif
