/*
 * daemon.h - casemaild's long-running service.
 *
 * Two threads, each with its own store connection (SQLite in WAL mode
 * lets them work side by side; writes are short transactions):
 *
 *   fetcher (the caller's thread)  IMAP session, IDLE or polling, ingest,
 *                                  durable commit, then MOVE (fetch.c);
 *   sender                         drains the outbox (outbox.c), sends
 *                                  the daily follow-up digest.
 *
 * So a slow or dead SMTP server never delays fetching, and a slow IMAP
 * server never delays sending.  The fetcher kicks the sender after each
 * poll, so a notification leaves within moments of its cause; otherwise
 * the sender wakes every DAEMON_SEND_SECS for retries that came due.
 *
 * Signals (set flags only; the loops look at them at least once a
 * second): SIGTERM/SIGINT finish the message in hand, commit, close and
 * return; SIGHUP reloads the configuration and templates, and a broken
 * new set is refused with its error logged while the old one keeps
 * running.  sd_notify: READY=1 after the first successful poll, STATUS=
 * with a one-line summary, WATCHDOG=1 when WatchdogSec is set,
 * RELOADING=1 and STOPPING=1.  The same health is kept in the store for
 * `casectl status`.
 */
#ifndef CASEMAIL_DAEMON_H
#define CASEMAIL_DAEMON_H

#include <signal.h>
#include <stdint.h>

#include "casemail/config.h"
#include "casemail/error.h"

#define DAEMON_SEND_SECS 5

/* Flags the signal handlers set. */
struct daemon_signals {
	volatile sig_atomic_t stop; /* any of the below: leave the loops */
	volatile sig_atomic_t term; /* SIGTERM/SIGINT seen */
	volatile sig_atomic_t hup;  /* SIGHUP seen */
};

/*
 * Run until SIGTERM/SIGINT (then 0).  config_path is read at start and at
 * every SIGHUP.  A configuration that cannot work at start is
 * CM_ECONFIG; later errors are logged and retried, never fatal.
 */
int daemon_run(const char *config_path, struct daemon_signals *sig,
	       struct cm_error *err);

/*
 * casemaild check's part for the logins: the [oauth2] files offline (the
 * client secret's permissions, the refresh token's presence); with
 * connect, a login to [imap] and [smtp] each, reported on its own line.
 * 0 when all is well, else the first failure's code with err.
 */
int daemon_check(const struct config *cfg, int connect, struct cm_error *err);

#endif
