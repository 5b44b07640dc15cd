/*
 * compose.h - outgoing RFC 5322 messages built with GMime, safe by
 * construction: every header value passes through compose_clean() (no CR,
 * LF or other control characters can reach the header block, so nothing
 * can inject a header) and non-ASCII text is RFC 2047-encoded by GMime.
 */
#ifndef CASEMAIL_COMPOSE_H
#define CASEMAIL_COMPOSE_H

#include <glib.h>
#include <stdint.h>

#include "casemail/error.h"

struct compose_address {
	const char *name;      /* display name or NULL */
	const char *address;   /* must be a plain addr-spec */
};

struct compose_attachment {
	const char *filename;
	const char *content_type;  /* "type/subtype"; anything else: octet-stream */
	GBytes *data;
};

/* Everything borrowed for the call. */
struct compose_mail {
	struct compose_address from;
	const char *reply_to;          /* or NULL */
	const struct compose_address *to;
	size_t n_to;
	const struct compose_address *cc;
	size_t n_cc;
	const char *subject;
	const char *message_id;        /* with <> */
	const char *in_reply_to;       /* with <>, or NULL */
	const char *const *references; /* with <>, oldest first */
	size_t n_references;
	const char *thread_topic;      /* Outlook threading, or NULL */
	const char *thread_index;      /* base64, or NULL */
	int auto_generated;            /* RFC 3834 + X-Auto-Response-Suppress */
	const char *loop_token;        /* MIME_LOOP_HEADER value or NULL */
	const char *list_unsubscribe;  /* a mailto: URI, or NULL */
	const char *case_number;       /* X-Casemail-Case, or NULL */
	int64_t date;                  /* Unix seconds */
	const char *body;              /* UTF-8 text */
	const struct compose_attachment *attachments;
	size_t n_attachments;
};

/*
 * Build the message.  CM_EUSAGE when an address is not a plain
 * addr-spec or a Message-ID is malformed.  *raw_r: LF line ends.
 */
int compose_build(const struct compose_mail *m, GBytes **raw_r,
		  struct cm_error *err);

/* A header-safe copy: valid UTF-8, every control character (CR and LF
 * included) turned into a space, runs of spaces kept.  g_free(). */
char *compose_clean(const char *text);

/* Outlook's Thread-Index for a conversation started at t with a stable
 * 16-byte identity derived from seed (caller g_free()s). */
char *compose_thread_index(int64_t t, const char *seed);

#endif
