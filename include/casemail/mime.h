/*
 * mime.h - one raw RFC 5322 message parsed with GMime into plain data.
 *
 * Everything returned is valid UTF-8 (undecodable bytes become U+FFFD) and
 * free of control characters where a header value is concerned.  The parse
 * is bounded: at most MIME_MAX_DEPTH levels of nesting and MIME_MAX_PARTS
 * leaf parts are looked at; what lies beyond is reported in `warnings`.
 * No I/O, no SQL: the ingest path decides what to keep.
 */
#ifndef CASEMAIL_MIME_H
#define CASEMAIL_MIME_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "casemail/error.h"

/* Deeper nesting than this is not real mail; it is an attack. */
#define MIME_MAX_DEPTH 32
/* More leaf parts than this are summarised, not walked. */
#define MIME_MAX_PARTS 1000

struct mime_address {
	char *name;      /* display name or NULL */
	char *address;   /* lower case */
};

struct mime_part {
	char *filename;      /* sanitised for display, or NULL */
	char *content_type;  /* "image/png" (lower case) */
	char *content_id;    /* without <>, or NULL */
	int inline_part;     /* shown in the body (e.g. an image with CID) */
	GBytes *data;        /* transfer-decoded bytes */
};

struct mime_message {
	char *subject;          /* decoded, "" if none */
	struct mime_address from;
	GPtrArray *to, *cc, *reply_to;   /* struct mime_address * */
	int64_t date;           /* Unix seconds, 0 if none/unparsable */
	char *message_id;       /* "<id@host>"; derived from a hash if missing */
	int message_id_derived;
	char *in_reply_to;      /* "<id>" or NULL */
	GPtrArray *references;  /* char * "<id>", oldest first */
	char *text;             /* the body as text (HTML converted) */
	int text_from_html;
	GPtrArray *parts;       /* struct mime_part *: attachments, inline */
	GPtrArray *warnings;    /* char *: what was not walked and why */
	/* Headers the classifier reads (raw, unfolded), NULL if absent. */
	char *auto_submitted, *precedence, *x_autoreply, *x_autorespond;
	char *x_auto_response_suppress, *return_path, *list_id, *x_loop;
	char *content_type;     /* of the top part, lower case */
	char *report_type;      /* multipart/report's report-type */
	GPtrArray *dsn_recipients; /* char *: Final-Recipient of a DSN */
	char *dsn_original_id;  /* Message-ID of the bounced mail, if given */
};

/* Start GMime (once per process; safe to call again). */
void mime_init(void);

/*
 * Parse data (len bytes).  Returns 0 with a new *msg_r (free with
 * mime_message_free), or CM_EINPUT if this is not a message at all.
 */
int mime_parse(const char *data, size_t len, struct mime_message **msg_r,
	       struct cm_error *err);

void mime_message_free(struct mime_message **msg);

/*
 * Make a display-safe filename: no path separators, control characters or
 * leading dots, valid UTF-8, at most 200 bytes.  Returns NULL for NULL or
 * an empty result.  Caller g_free()s.
 */
char *mime_safe_filename(const char *name);

/* Valid UTF-8 with every control character (but \n and \t) replaced,
 * CR LF turned into LF.  Caller g_free()s. */
char *mime_clean_text(const char *text, gssize len);

/* A header value made single-line and valid UTF-8 (caller g_free()s). */
char *mime_clean_header(const char *value);

#endif
