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
