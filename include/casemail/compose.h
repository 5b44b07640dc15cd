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
	GBytes *data;              /* the bytes, or NULL: by reference */
	const char *sha256;        /* with data NULL: the blob's 64 hex digits */
};

/*
 * Attachments by reference.  An attachment without data is written as a
 * base64 part whose whole body is one marker line:
 *
 *	NUL "casemail-blob:" <64 lower-case hex digits> NUL
 *
 * An outbox row then holds a few hundred bytes per file instead of the
 * file, and compose_expand() puts the blob's base64 in when the mail is
 * sent.  Nothing else in a composed mail can hold a NUL: every header,
 * the text and the template output are C strings (cleaned, then
 * quoted-printable or 7bit), and attachment bytes are base64; so no text
 * of a customer's can make a marker, and compose_expand() also takes a
 * marker only as the whole body of a part whose header block (written by
 * GMime for us) says base64 and follows a boundary line.
 */
#define COMPOSE_BLOB_MARKER "casemail-blob:"


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

/*
 * The mail to send from raw (len bytes, as compose_build() wrote it):
 * every marker replaced by its blob under dir (attach.h) in base64 lines
 * of 76 columns.  A blob that is missing, does not match its digest or
 * would bring the mail's files over max_bytes is left out: its part
 * becomes a short text/plain note, and a line "<sha256>: <why>" is added
 * to *skipped_r (NULL when none; g_ptr_array_unref()).  A raw without
 * markers comes back as a new reference to the same bytes.
 */
GBytes *compose_expand(GBytes *raw, const char *dir, int64_t max_bytes,
		       GPtrArray **skipped_r);

/* A header-safe copy: valid UTF-8, every control character (CR and LF
 * included) turned into a space, runs of spaces kept.  g_free(). */
char *compose_clean(const char *text);

/* Outlook's Thread-Index for a conversation started at t with a stable
 * 16-byte identity derived from seed (caller g_free()s). */
char *compose_thread_index(int64_t t, const char *seed);

#endif
