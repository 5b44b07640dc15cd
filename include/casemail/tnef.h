/*
 * tnef.h - Outlook's winmail.dat (application/ms-tnef) unpacked into the
 * files it carries, with libytnef.
 *
 * Outlook and Exchange sometimes wrap a message's attachments (and its
 * rich body) in one TNEF stream, so a case worker sees only "winmail.dat".
 * This module returns the real files in TNEF order, named as Outlook shows
 * them (long MAPI name before the 8.3 title), and the body if there is one.
 *
 * The stream is hostile input, and libytnef has had memory-safety bugs
 * and (Debian's 2.0) refuses streams current Outlook writes.  So the
 * stream's framing is checked here first: every attribute must fit in the
 * buffer and carry its checksum (no declared length is trusted), counts
 * are bounded by the limits below, and bytes after the last whole
 * attribute are ignored.  libytnef parses only the attributes we read
 * (the list of files, titles, data, plain body, code page), each once and
 * none empty; the MAPI property blocks are walked here, bounded, and
 * compressed RTF is decompressed here (see src/tnef_scan.c, tnef_rtf.c).
 *
 * It sits beside mime.c: mime.c calls tnef_expand_last_part() while it
 * collects attachments, and this module uses mime.h's part struct and
 * filename rules.  No I/O, no SQL.
 */
#ifndef CASEMAIL_TNEF_H
#define CASEMAIL_TNEF_H

#include <glib.h>
#include <stddef.h>

#include "casemail/error.h"
#include "casemail/mime.h"

/* The default [store] max_message_bytes: a larger winmail.dat would not
 * be stored at the default anyway, and unpacking holds up to four copies
 * of it (ours, libytnef's, the files, the part), so it is kept whole. */
#define TNEF_MAX_INPUT_BYTES ((size_t)50 * 1024 * 1024)
/* Real streams have a dozen message attributes and about seven per
 * attachment; libytnef walks its attachment list once per attribute, so
 * both counts bound its time as well as ours. */
#define TNEF_MAX_ATTRIBUTES 4096
#define TNEF_MAX_FILES 256
/* A decompressed RTF body larger than this is not a letter; the stream is
 * kept whole and the body skipped. */
#define TNEF_MAX_BODY_BYTES ((size_t)16 * 1024 * 1024)

/* The name of an attachment without one (MimeKit's and the corpus's). */
#define TNEF_UNTITLED "Untitled Attachment"

struct tnef_file {
	char *name;          /* mime_safe_filename() rules; never NULL */
	char *content_type;  /* lower case: the MAPI MIME tag, else guessed
			      * from the extension, else
			      * application/octet-stream */
	char *content_id;    /* without <>, or NULL */
	GBytes *data;        /* the file's bytes as the sender attached it */
};

struct tnef_result {
	GPtrArray *files;    /* struct tnef_file *, in TNEF order */
	/* The message body inside the stream, each NULL if absent: the
	 * decompressed RTF (PR_RTF_COMPRESSED), the HTML (PR_HTML) and the
	 * plain text (attBody or PR_BODY): bytes as stored, which for
	 * 8-bit text is the sender's code page; Unicode ones as UTF-8. */
	GBytes *body_rtf, *body_html, *body_text;
	size_t trailing_bytes;  /* after the last whole attribute: padding,
				 * or damage when there are more than a few */
};

/*
 * Unpack len bytes of a TNEF stream.  Returns 0 with a new *res_r (free
 * with tnef_result_free; it may hold no files), or CM_EINPUT when data is
 * not TNEF, is over TNEF_MAX_INPUT_BYTES or the counts above, or libytnef
 * rejects it (err says which).  data is only read.
 */
int tnef_unpack(const void *data, size_t len, struct tnef_result **res_r,
		struct cm_error *err);

/* Free a result and clear the pointer; NULL is fine. */
void tnef_result_free(struct tnef_result **res);

/* Whether a part is Outlook's TNEF: application/ms-tnef (or
 * vnd.ms-tnef), or a file named winmail.dat.  Either may be NULL. */
int tnef_is_tnef(const char *content_type, const char *filename);

/*
 * The hook for mime.c: if the last part of msg->parts is TNEF, append its
 * files as further parts (names through mime_safe_filename(), at most up
 * to MIME_MAX_PARTS parts in all).  The winmail.dat part itself is always
 * kept; when it cannot be unpacked a line says why in msg->warnings.
 * Returns the number of parts added.
 */
int tnef_expand_last_part(struct mime_message *msg);

/*
 * Decompress an RTF body stored as PR_RTF_COMPRESSED (MS-OXRTFCP: "LZFu"
 * compressed or "MELA" uncompressed), at most max_out bytes.  Returns 0
 * with a new *out_r, or CM_EINPUT if the header is damaged, the type is
 * unknown or the declared size is over max_out.  Exposed for the tests.
 */
int tnef_rtf_decompress(const void *data, size_t len, size_t max_out,
			GBytes **out_r, struct cm_error *err);

#endif
