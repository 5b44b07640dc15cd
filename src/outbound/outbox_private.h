/*
 * outbox_private.h - what the outbox sender's files share:
 *
 *   outbox.c       claiming, recording, the drain
 *   outbox_send.c  the SMTP sessions and their threads: sending a group
 *
 * Nothing outside src/outbound/ includes it.
 */
#ifndef CASEMAIL_OUTBOX_PRIVATE_H
#define CASEMAIL_OUTBOX_PRIVATE_H

#include "casemail/outbox.h"

/* One claimed mail on its way: what was sent to whom so far. */
struct outbox_job {
	struct store_outbox *m;   /* loaded after the claim: attempts counted */
	GPtrArray *rcpts;         /* pending addresses, borrowed from m */
	guint next;               /* rcpts before it have an outcome */
	GPtrArray *results;       /* struct smtp_rcpt_result *, in order */
	int64_t now;              /* the round's time, for the record */
	GPtrArray *skipped;       /* char *: files left out (compose_expand()),
				   * or NULL */
	char why[CM_ERROR_MSG_MAX]; /* why a session gave it back, or "" */
};

void outbox_job_free(gpointer job);

/*
 * Send every job of jobs (struct outbox_job *) over up to ob->sessions_now
 * sessions, in threads; the calling thread renews the leases meanwhile
 * (outbox_lease_tick()).  A session that fails hands its job back to the
 * others; jobs left when every session failed keep the recipients from
 * their next on without an outcome.  Returns 0, CM_ETEMP when some job
 * could not be finished (err says why), or an error opening a session.
 */
int outbox_send_group(struct outbox_sender *ob, GPtrArray *jobs,
		      struct cm_error *err);

/* Close every session. */
void outbox_sessions_close(struct outbox_sender *ob);

/* outbox.c: renew the leases ob holds when half their time has passed. */
void outbox_lease_tick(struct outbox_sender *ob);

#endif
