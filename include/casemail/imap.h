/*
 * imap.h - one IMAP session (libetpan): TLS, login, UID search and fetch,
 * MOVE (or COPY + \Deleted + UID EXPUNGE), IDLE.  No SQL and no policy:
 * fetch.c decides what to fetch and where it goes.
 *
 * TLS: Debian's libetpan does not verify certificates, so after connect
 * (imaps) and after STARTTLS the peer chain is checked here with GnuTLS
 * against ca_file (or the system trust) and the host name (an IP address
 * must match an IP SAN).  A failed check closes the connection, without
 * sending the password, and returns CM_ECONFIG saying why.
 *
 * Errors: network trouble, a dropped connection or a NO/BAD answer to a
 * command that should work return CM_ETEMP (try again later, reconnect);
 * refused credentials or a failed certificate check return CM_ECONFIG
 * (a refused OAuth2 access token: CM_EREFUSED).
 * After any CM_ETEMP the session must be closed and opened again.
 *
 * imap_connect() sets SIGPIPE to SIG_IGN unless the program has its own
 * handler: libetpan writes with plain send(), and a server hanging up
 * must not kill the process.
 */
#ifndef CASEMAIL_IMAP_H
#define CASEMAIL_IMAP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "casemail/error.h"

enum imap_tls {
	IMAP_TLS_IMAPS,    /* TLS from the first byte (port 993) */
	IMAP_TLS_STARTTLS, /* plain connect, then STARTTLS before login */
	IMAP_TLS_NONE,     /* no TLS at all (tests, loopback) */
};

/* Connection settings; every pointer is borrowed for the call. */
struct imap_conf {
	const char *host;
	int port;
	enum imap_tls tls;
	int tls_verify;          /* check the chain and the host name */
	const char *ca_file;     /* PEM; NULL: the system trust store */
	const char *user;
	const char *password;
	/* Non-NULL: log in with SASL XOAUTH2 and this OAuth2 access token
	 * instead of LOGIN (password unused); a refused token is
	 * CM_EREFUSED, so the caller can fetch a new one and try again. */
	const char *access_token;
	int timeout_secs;        /* per network operation */
};

struct imap;

/* Connect, TLS (and verify), log in.  *im_r is freed with imap_close(). */
int imap_connect(const struct imap_conf *conf, struct imap **im_r,
		 struct cm_error *err);

/* LOGOUT (best effort) and free; accepts NULL and clears the pointer. */
void imap_close(struct imap **im);

/* Nonzero when the server announced IDLE (RFC 2177). */
int imap_has_idle(const struct imap *im);

/* Create mailbox when it does not exist yet (and subscribe to it). */
int imap_ensure_mailbox(struct imap *im, const char *mailbox,
			struct cm_error *err);

/*
 * SELECT mailbox (read-write); report its UIDVALIDITY and UIDNEXT (0 when
 * the server did not say).  A read-only mailbox is CM_ECONFIG.
 */
int imap_select(struct imap *im, const char *mailbox, uint32_t *uidvalidity_r,
		uint32_t *uidnext_r, struct cm_error *err);

/*
 * UIDs of the selected mailbox greater than after, ascending, into a new
 * GArray of guint32 (*uids_r, caller g_array_unref()s).  Messages already
 * flagged \Deleted are left out.
 */
int imap_uids_after(struct imap *im, uint32_t after, GArray **uids_r,
		    struct cm_error *err);

/*
 * RFC822.SIZE of each of these UIDs (ascending) into sizes[i] (n entries,
 * caller's), 0 for a UID the server no longer has.  Lets the caller cut
 * its FETCHes by bytes before it asks for any body.
 */
int imap_sizes(struct imap *im, const uint32_t *uids, size_t n,
	       uint32_t *sizes, struct cm_error *err);

/*
 * Called once per fetched message with its full raw bytes (borrowed for
 * the call).  A nonzero return stops the fetch and is returned by
 * imap_fetch() as is.
 */
typedef int (*imap_message_cb)(uint32_t uid, const char *data, size_t len,
			       void *ctx);

/*
 * UID FETCH BODY.PEEK[] for these UIDs (no \Seen side effect), calling cb
 * in UID order.  The caller batches: one FETCH response is held in memory
 * whole, so n and the sizes involved bound memory.  UIDs the server no
 * longer has are skipped silently.
 */
int imap_fetch(struct imap *im, const uint32_t *uids, size_t n,
	       imap_message_cb cb, void *ctx, struct cm_error *err);

/*
 * The same FETCH, with the answer handed over whole instead of walked:
 * *batch_r (free with imap_batch_free(), from any thread) holds the
 * messages in UID order.  The pipelined poll keeps one batch while the
 * connection fetches the next.
 */
struct imap_batch;

int imap_fetch_batch(struct imap *im, const uint32_t *uids, size_t n,
		     struct imap_batch **batch_r, struct cm_error *err);
/* The same with only the first head_bytes of each message
 * (BODY.PEEK[]<0.head_bytes>; 0: whole): for a message too big to be
 * read whole, its header is enough. */
int imap_fetch_heads(struct imap *im, const uint32_t *uids, size_t n,
		     uint32_t head_bytes, struct imap_batch **batch_r,
		     struct cm_error *err);
/* How many messages came (0 for NULL). */
size_t imap_batch_count(const struct imap_batch *batch);
/* Message i (< count): its UID and raw bytes, borrowed from the batch. */
void imap_batch_get(const struct imap_batch *batch, size_t i, uint32_t *uid_r,
		    const char **data_r, size_t *len_r);
void imap_batch_free(struct imap_batch **batch);

/*
 * Move these UIDs of the selected mailbox to mailbox: UID MOVE (RFC 6851)
 * where the server has it, else UID COPY, \Deleted and UID EXPUNGE
 * (RFC 4315) or EXPUNGE.
 */
int imap_move(struct imap *im, const uint32_t *uids, size_t n,
	      const char *mailbox, struct cm_error *err);

/*
 * IDLE on the selected mailbox until the server reports a change, or
 * timeout_secs pass, or *stop becomes nonzero (checked at least once a
 * second; may be NULL).  *changed_r is set nonzero when the server
 * reported something (EXISTS, EXPUNGE, ...).  Ends with DONE.
 */
int imap_idle(struct imap *im, int timeout_secs, volatile sig_atomic_t *stop,
	      int *changed_r, struct cm_error *err);

/* NOOP: keeps the session alive and lets the server report news. */
int imap_noop(struct imap *im, struct cm_error *err);

#endif
