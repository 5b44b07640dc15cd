/*
 * fetch.h - one poll of the IMAP mailbox: fetch what is new, ingest it in
 * batches, commit each batch durably, and only then move its messages to
 * the processed or review mailbox.
 *
 * Crash safety: a message is moved only after its batch is committed.  If
 * we die between the commit and the move, the next poll fetches it again,
 * finds its Message-ID (or mailbox UID) already stored, and moves it to
 * where its stored outcome says.  Nothing is lost, nothing is stored twice.
 *
 * Threads: every function runs on the caller's thread, which owns the IMAP
 * session.  fetch_poll() (and fetch_once() and fetch_run(), which call
 * it) starts one store worker thread per poll and lends it the ingest,
 * with its store and outbound, until the poll returns; the caller's
 * thread meanwhile fetches, parses and moves, and reads only the ingest's
 * configuration and stop flag.  fetch_run() calls its hook on the
 * caller's thread.  *stop may be set by a signal handler at any time.
 *
 * Ownership: the imap session and the ingest are borrowed for the call;
 * fetch_once() and fetch_run() open and close their own sessions.
 */
#ifndef CASEMAIL_FETCH_H
#define CASEMAIL_FETCH_H

#include <signal.h>

#include "casemail/config.h"
#include "casemail/error.h"
#include "casemail/imap.h"
#include "casemail/ingest.h"
#include "casemail/store.h"

/* Fill an imap_conf from the configuration; *password_r is read from
 * [imap] password_file, or with [imap] auth = oauth2 is an access token
 * (oauth2_shared()) set as conf->access_token (caller wipes and
 * g_free()s either). */
int fetch_imap_conf(const struct config *cfg, struct imap_conf *conf,
		    char **password_r, struct cm_error *err);

/*
 * Connect and log in as the configuration says (*im_r: imap_close()).
 * With OAuth2, a refused access token is replaced once and tried again.
 * Errors as imap_connect(), and CM_EREFUSED when OAuth2 has no usable
 * refresh token (an admin must run casectl oauth login).
 */
int fetch_connect(const struct config *cfg, struct imap **im_r,
		  struct cm_error *err);

/*
 * Process every message in the configured mailbox (the session must be
 * logged in).  Adds to ing->stats.  CM_ETEMP on network or store trouble:
 * what was committed stays committed; the rest is retried next time.
 */
int fetch_poll(struct imap *im, struct ingest *ing, struct cm_error *err);

/*
 * Connect, poll once, log out: casemaild --once.  0 when everything in
 * the mailbox was handled; CM_ETEMP (retry later) or CM_ECONFIG.
 */
int fetch_once(struct ingest *ing, struct cm_error *err);

/* Longest a session waits in IDLE before re-issuing it: servers may drop
 * an IDLE after 30 minutes (RFC 2177). */
#define FETCH_IDLE_REISSUE_SECS (25 * 60)
/* Reconnect backoff after a failure: 1 s doubling up to 5 minutes. */
#define FETCH_BACKOFF_MIN_SECS 1
#define FETCH_BACKOFF_MAX_SECS 300
/* Without an OAuth2 login the refresh token file is looked at this
 * often (no network: see oauth2_token()). */
#define FETCH_LOGIN_RECHECK_SECS 10

/*
 * The fetcher's loop: keep a session, poll, then wait for news with IDLE
 * (where the server has it and [imap] idle is on) or poll_interval; on
 * any failure close, back off and reconnect.  Refused credentials or an
 * untrusted certificate are retried too, at the longest backoff (an auth
 * backend may come back; the operator sees one error line).  Each state
 * change is logged once.  Returns 0 once *stop becomes nonzero (checked
 * at least once a second); errors never end the loop.
 */
/* Called with polled 1 after every poll, and with polled 0 at least every
 * FETCH_HOOK_SECS while waiting, connecting or backing off (the daemon
 * reports health and feeds systemd's watchdog there).  error is the
 * connection's last error, "" while it works. */
typedef void (*fetch_hook_cb)(void *ctx, int polled, const char *error);
#define FETCH_HOOK_SECS 30

int fetch_run(struct ingest *ing, volatile sig_atomic_t *stop,
	      fetch_hook_cb hook, void *hook_ctx, struct cm_error *err);

#endif
