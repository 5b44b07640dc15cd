/*
 * mime.h - one raw RFC 5322 message parsed with GMime into plain data.
 *
 * Everything returned is valid UTF-8 (undecodable bytes become U+FFFD, an
 * unknown or false charset is read as UTF-8 or windows-1252) and free of
 * control characters where a header value is concerned.  Input that is
 * not a message by its first line is read as a body without headers,
 * unless a few lines of junk (an mbox "From " line, a banner) precede a
 * plain mail header: those are skipped and said in `warnings`.  The parse
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
/*
 * The header we put on every mail we send (compose.c writes it), to
 * recognise it coming back (mime_header.c reads it, classify.c judges it).
 * The one definition of its name, in the lowest layer that needs it.
 */
#define MIME_LOOP_HEADER "X-Casemail-Loop"

#define MIME_MAX_DEPTH 32
/* Authentication-Results kept: each server on the way adds one. */
#define MIME_MAX_AUTH_RESULTS 50
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
	/* From's first address; without one, Reply-To's, Sender's or
	 * Return-Path's (said in warnings; from_count stays 0). */
	struct mime_address from;
	GPtrArray *to, *cc, *reply_to;   /* struct mime_address * */
	int64_t date;           /* Unix seconds, 0 if none/unparsable */
	char *message_id;       /* "<id@host>"; derived from a hash if missing */
	int message_id_derived;
	char *in_reply_to;      /* "<id>" or NULL */
	GPtrArray *references;  /* char * "<id>", oldest first */
	/* The body as text (HTML converted), then the text of each forwarded
	 * message under a "---------- Forwarded message ----------" line. */
	char *text;
	int text_from_html;
	/* struct mime_part *: attachments and inline parts; a forwarded
	 * message is one message/rfc822 part (its own parts stay inside it);
	 * files uuencoded into a text body are parts too. */
	GPtrArray *parts;
	GPtrArray *warnings;    /* char *: what was not walked and why */
	/* To/Cc mailboxes past the first 1000 of a field: counted, not
	 * read (a list bomb), and said in warnings. */
	unsigned addresses_unread;
	/* Headers the classifier reads (raw, unfolded), NULL if absent. */
	char *auto_submitted, *precedence, *x_autoreply, *x_autorespond;
	char *x_auto_response_suppress, *return_path, *list_id, *x_loop;
	char *content_type;     /* of the top part, lower case */
	char *report_type;      /* multipart/report's report-type */
	GPtrArray *dsn_recipients; /* char *: Final-Recipient of a DSN */
	char *dsn_original_id;  /* Message-ID of the bounced mail, if given */
	/* char *: every Authentication-Results value, topmost (the last
	 * server's) first, single-line and clean as other headers; at most
	 * MIME_MAX_AUTH_RESULTS (the topmost ones). */
	GPtrArray *auth_results;
	int from_count;         /* addresses in From (several: nobody's) */
	/* A header RFC 5322 allows at most once (From, To, Cc, Subject,
	 * Date, Message-ID, In-Reply-To, References) that the message has
	 * more than once, or NULL: a static name, not owned.  DKIM signs the
	 * bottom-most copy, so a copy added on top of a signed mail would
	 * be read unsigned. */
	const char *repeated_header;
	/* The topmost Delivered-To and X-Original-To (raw, unfolded), NULL
	 * if absent: the envelope recipient, when the receiving MTA adds
	 * them (a sender can write them too: only a signed address counts). */
	char *delivered_to, *x_original_to;
};

/*
 * The limits checked before GMime sees a message ([store] max_*): GMime
 * builds the whole tree of a message in memory and recurses once per
 * level, so these bound its memory and stack whatever the message holds.
 */
struct mime_limits {
	size_t max_message_bytes;
	int max_parts;            /* boundary lines that open a part */
	int max_depth;            /* multiparts and messages inside each other */
	size_t max_header_bytes;  /* one header block (the message's or a part's) */
};

/* What mime_scan() measured. */
struct mime_scan_result {
	int parts;              /* parts opened by boundary lines */
	int depth;              /* deepest nesting seen */
	size_t header_bytes;    /* the largest header block */
	size_t top_header_len;  /* bytes of the message's own header block,
				 * its blank line included (0: none) */
};

/*
 * A header field longer than this is cut where the message is parsed
 * (Postfix's header_size_limit does the same) and the cut is reported in
 * `warnings`: nothing reads 100 KB of Subject or Cc usefully.
 */
#define MIME_MAX_FIELD_BYTES 102400

/*
 * One linear pass over the raw bytes (size: the message's real size when
 * data is only its start, else len), building nothing: checks lim, reading
 * the Content-Type boundary of each multipart as parts nest.  Returns 0,
 * or CM_EINPUT with err naming the first limit exceeded and the measured
 * value ("over [store] max_parts: 100001 parts (limit 1000)").  *r is
 * filled either way (as far as the scan went).
 */
int mime_scan(const char *data, size_t len, size_t size,
	      const struct mime_limits *lim, struct mime_scan_result *r,
	      struct cm_error *err);

/* Start GMime (once per process; safe to call again). */
void mime_init(void);

/*
 * Parse data (len bytes).  Returns 0 with a new *msg_r (free with
 * mime_message_free), or CM_EINPUT if data is empty or GMime cannot read
 * it even as a bare body.
 */
int mime_parse(const char *data, size_t len, struct mime_message **msg_r,
	       struct cm_error *err);

void mime_message_free(struct mime_message **msg);

/*
 * The leaves of a message's MIME tree in document order, for tools and
 * the fidelity tests (ingest uses mime_parse).  Nothing is chosen or
 * dropped: every text alternative, signature and attachment is reported,
 * a forwarded message is reported as a MIME_LEAF_MESSAGE leaf followed by
 * its own leaves one level deeper, and a multipart in which no part was
 * found (a broken boundary) as one text leaf holding its content.
 */
enum mime_leaf_kind {
	MIME_LEAF_TEXT,       /* any text type: `text` is set */
	MIME_LEAF_BINARY,     /* anything else */
	MIME_LEAF_MESSAGE,    /* message/rfc822 (even if base64 encoded) */
	MIME_LEAF_UUENCODED,  /* a "begin 644" block inside the text leaf
			       * before it (mime_parse stores it as an
			       * attachment); not a MIME entity */
};

/* Everything borrowed: valid only during the callback. */
struct mime_leaf {
	enum mime_leaf_kind kind;
	const char *path;          /* "1.2.1": position in the tree */
	int depth;                 /* forwarded messages count as a level */
	const char *content_type;  /* lower case, "text/plain" if undeclared */
	const char *charset;       /* as declared, or NULL */
	const char *disposition;   /* lower case as declared, or NULL */
	const char *filename;      /* decoded (RFC 2231/2047), not sanitised */
	const char *content_id;    /* without <>, or NULL */
	GBytes *data;              /* transfer-decoded, not charset-converted */
	const char *text;          /* TEXT: as UTF-8 the way mime_parse reads
				    * it (before it takes uuencoded blocks out) */
};

/* Return 0 to go on, anything else to stop the walk. */
typedef int (*mime_leaf_cb)(const struct mime_leaf *leaf, void *ctx);

/*
 * Walk the leaves of data (len bytes), calling cb for each, with the
 * limits of mime_parse (MIME_MAX_DEPTH, MIME_MAX_PARTS).  Returns 0 (also
 * when cb stopped the walk) or CM_EINPUT as mime_parse() would.
 */
int mime_walk_leaves(const char *data, size_t len, mime_leaf_cb cb, void *ctx,
		     struct cm_error *err);

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
