/*
 * imap_private.h - what the imap*.c files share; not part of the module's
 * contract, and nothing outside src/net/imap*.c includes it.
 *
 *   imap.c          the session: errors and the server's words, LOGOUT,
 *                   LIST/CREATE, SELECT, UID SEARCH, UID sets, the FETCH
 *                   command and its batch, MOVE (or COPY + \Deleted)
 *   imap_connect.c  connecting: TLS, STARTTLS, our GnuTLS check of the
 *                   peer chain and host name, capabilities, LOGIN
 *   imap_fetch.c    reading FETCH answers: sizes and message bodies
 *   imap_idle.c     waiting for news: IDLE rounds, or NOOP without IDLE
 *   imap_diag.c     why a connect failed: unknown host, refused,
 *                   unreachable, timed out, TLS
 */
#ifndef CASEMAIL_IMAP_PRIVATE_H
#define CASEMAIL_IMAP_PRIVATE_H

#include <libetpan/libetpan.h>

#include "casemail/imap.h"

struct imap {
	mailimap *session;
	char *host;          /* for messages, and SNI */
	char *where;         /* "host:port" for messages */
	int broken;          /* stream unusable: close without LOGOUT */
	int has_idle;
	int has_move;
	int has_uidplus;
};

/* One message out of a FETCH response, pointing into libetpan's list. */
struct imap_fetched {
	uint32_t uid;
	const char *data;
	size_t len;
};

/* A FETCH answer kept whole: the messages point into result. */
struct imap_batch {
	clist *result;
	GArray *msgs;   /* struct imap_fetched, ascending UID */
};

/*
 * Record "imap: HOST:PORT: what: libetpan's reason: server's text" in err
 * for libetpan's result r and return code; a stream error marks the
 * session broken.
 */
int imap_fail(struct imap *im, int code, int r, struct cm_error *err,
	      const char *what);

/* The response code (RFC 5530) of the last tagged answer, or "". */
const char *imap_resp_code(const struct imap *im);

/* What went wrong when connecting (imap_diag.c). */
enum imap_fault {
	IMAP_FAULT_UNKNOWN_HOST,   /* the resolver does not know the name */
	IMAP_FAULT_REFUSED,        /* nothing listens on the port */
	IMAP_FAULT_UNREACHABLE,    /* no route to the network or host */
	IMAP_FAULT_TIMEOUT,        /* no answer within [imap] timeout */
	IMAP_FAULT_TLS,            /* TCP works, the TLS handshake did not */
	IMAP_FAULT_CLOSED,         /* TCP works, but no IMAP greeting */
};

/* Words for f, as the error message shows them. */
const char *imap_fault_name(enum imap_fault f);

/*
 * Which fault made a connect to host:port fail, libetpan having returned
 * r after waiting waited_usecs of a timeout_secs timeout (tls_first: TLS
 * from the first byte).  Resolves the host and tries one TCP connect of
 * its own (at most 5 s); detail (size bytes) gets the resolver's or our
 * words, or "".
 */
enum imap_fault imap_diagnose(const char *host, int port, int tls_first,
			      int r, int64_t waited_usecs, int timeout_secs,
			      char *detail, size_t size);

/* A failed connect: mark im broken and set err (CM_ETEMP) to "imap:
 * HOST:PORT: connect failed: FAULT: detail" (imap_diagnose()). */
int imap_connect_failed(struct imap *im, const struct imap_conf *conf, int r,
			int64_t waited_usecs, int timeout_secs,
			struct cm_error *err);

/* qsort()/bsearch() order of uint32_t UIDs. */
int imap_uid_cmp(const void *a, const void *b);

/*
 * UID FETCH of UID and either BODY.PEEK[] (body) or RFC822.SIZE for these
 * UIDs: *result_r is the answer (mailimap_fetch_list_free()), NULL when
 * there was nothing to ask or nothing came.
 */
int imap_uid_fetch(struct imap *im, const uint32_t *uids, size_t n, int body,
		   uint32_t head_bytes,
		   clist **result_r, struct cm_error *err);

#endif
