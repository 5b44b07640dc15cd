/*
 * mime_private.h - internals shared by mime.c (the ingest parse),
 * mime_leaf.c (the leaf walk), mime_text.c (charsets, uuencode) and
 * mime_words.c (encoded words, base64).
 * Not part of the module's contract; nothing outside mime*.c includes it.
 */
#ifndef CASEMAIL_MIME_PRIVATE_H
#define CASEMAIL_MIME_PRIVATE_H

#include <gmime/gmime.h>

#include "casemail/mime.h"

/*
 * Parse data into a GMime message with the options every caller must use
 * (fallback charsets, loose RFC 2047/address/parameter rules), so the
 * fidelity walk sees exactly what ingest sees.  Returns NULL if GMime
 * finds no message; *opts_r is set either way and freed by the caller
 * with g_mime_parser_options_free().
 */
GMimeMessage *mime_construct(const char *data, size_t len,
			     GMimeParserOptions **opts_r);

/* The same with given options (for messages inside messages). */
GMimeMessage *mime_construct_with(const char *data, size_t len,
				  GMimeParserOptions *opts);

/*
 * data with every field of its header block that is over
 * MIME_MAX_FIELD_BYTES cut to that (at a fold where there is one), each
 * cut noted in warnings: a new string of *len_r bytes (caller g_free()s),
 * or NULL when no field is that long.
 */
char *mime_cut_fields(const char *data, size_t len, size_t *len_r,
		      GPtrArray *warnings);

/* Free a struct mime_address (a GPtrArray free func). */
void mime_address_free(gpointer p);

/*
 * One address field's (unfolded) value as GMime reads it, read again
 * leniently (mime_addr.c) when GMime finds fewer addresses than the field
 * holds addr-specs.  Returns a new list (caller unrefs) or NULL.
 */
InternetAddressList *mime_addr_parse(const char *value,
				     GMimeParserOptions *opts);

/* Subject, addresses, date and the classifier's headers into m. */
void mime_read_headers(struct mime_message *m, GMimeMessage *gm,
		       GMimeParserOptions *opts);
/* Message-ID (derived from a hash of data if missing), In-Reply-To and
 * References into m. */
void mime_read_ids(struct mime_message *m, GMimeMessage *gm,
		   GMimeParserOptions *opts, const char *data, size_t len);

/* "<id>" from a bare id; NULL if empty or with spaces (caller g_free()s). */
char *mime_bracket_id(const char *id);

/* "type/subtype" in lower case, application/octet-stream if unknown.
 * Caller g_free()s. */
char *mime_type_of(GMimeObject *obj);

/* The transfer-decoded bytes of a leaf (never NULL; caller unrefs). */
GBytes *mime_part_bytes(GMimePart *part);

/* A text leaf as clean UTF-8 (mime_clean_text rules); caller g_free()s. */
char *mime_part_text(GMimePart *part);
/* The same for bytes in charset (NULL: undeclared). */
char *mime_bytes_text(GBytes *b, const char *charset);

/*
 * A multipart in which GMime found no part (no boundary line it accepts:
 * longer than RFC 2046's 70 characters, or with junk after it) holds all
 * of its content in the prologue: returned as bytes so it is read as
 * text, not lost.  NULL if the multipart has parts or the prologue is
 * blank.
 */
GBytes *mime_multipart_orphan(GMimeMultipart *mp);

/*
 * The same multipart rebuilt from its prologue when that holds parts
 * under a boundary the header no longer says (its parameter fell off):
 * the first "--x" line that opens a header block and occurs again is
 * taken as the boundary.  A new multipart with at least one part (caller
 * unrefs), or NULL.
 */
GMimeMultipart *mime_multipart_recover(GMimeMultipart *mp,
				       GMimeParserOptions *opts);

/* Is line (n bytes, no line end) a header field: a name, a colon? */
int mime_line_is_field(const char *line, size_t n);

/*
 * Where the header block starts in data whose first line is no header
 * field: after at most a few lines (an mbox "From " line, a pasted
 * banner) when a block follows that is plainly a mail's own header (a
 * From or Subject and a field such as Received or Message-ID that a
 * header quoted in a body lacks).  0 when the first line is a field or no
 * such block follows: a body-only text gets no header invented.
 */
size_t mime_header_start(const char *data, size_t len);

/*
 * The message inside a message/rfc822 leaf: GMime builds a message part
 * when the leaf is 7bit/8bit, but leaves a base64 or quoted-printable
 * encoded one as a plain part; that one is decoded and parsed here.
 * Returns a new reference or NULL (not a message, or too deep).
 */
GMimeMessage *mime_inner_message(GMimeObject *obj, GMimeParserOptions *opts);

/*
 * Bytes in the given charset (NULL: undeclared) to valid UTF-8.  Never
 * fails: an unknown charset is read as UTF-8 or windows-1252, and bytes
 * the charset cannot decode become U+FFFD.  Caller g_free()s.
 */
char *mime_text_to_utf8(const char *data, size_t len, const char *charset);

/*
 * The same, or NULL unless every byte decodes in charset without error
 * and the text is plausible (no C1 controls, private-use characters or
 * U+FFFD): for guessing the charset of raw 8-bit header bytes.
 */
char *mime_text_to_utf8_strict(const char *data, size_t len,
			       const char *charset);

/* ---- mime_words.c: header text and base64 before GMime reads them ---- */

/*
 * Base64 without losing bytes: characters outside the alphabet are
 * skipped (RFC 2045 6.8), data after a '=' pad goes on when the rest is
 * base64 and line breaks only (chunked encoders), and with keep_partial a
 * part quantum at the end of clean base64 (missing padding) is kept.
 * Appends to out.
 */
void mime_base64_lenient(const char *in, size_t len, int keep_partial,
			 GByteArray *out);

/* The base64 content of a part decoded by mime_base64_lenient(), a part
 * quantum kept for text parts (caller unrefs). */
GBytes *mime_base64_content(GMimePart *part);

/*
 * A raw header value with each run of adjacent encoded words (B or Q,
 * blanks between) decoded per charset, joined and put back as one UTF-8
 * base64 word, and raw 8-bit bytes that are not UTF-8 converted to UTF-8
 * (the first of charsets they read cleanly in, else windows-1252).  A new
 * string (caller g_free()s), or NULL when value needed neither.
 */
char *mime_words_fix(const char *value, const char *const *charsets);

/*
 * The charsets obj's message declares (top-level Content-Type, then its
 * parts), canonical, without UTF-8 and US-ASCII; NULL-terminated, owned
 * by gm.
 */
const char *const *mime_declared_charsets(GMimeMessage *gm);

/*
 * obj's first field called name decoded through mime_words_fix(), or
 * NULL when the field is missing or GMime's own decoding is right
 * (caller g_free()s).
 */
char *mime_header_text(GMimeObject *obj, const char *name,
		       GMimeParserOptions *opts, const char *const *charsets);

/*
 * obj's filename (Content-Disposition filename, else Content-Type name)
 * with its fields read through mime_words_fix(); NULL if none (caller
 * g_free()s).
 */
char *mime_part_filename(GMimeObject *obj, GMimeParserOptions *opts,
			 const char *const *charsets);

/* A file's type from its extension, else application/octet-stream
 * (caller g_free()s). */
char *mime_type_from_name(const char *name);

/* A uuencoded file found in a text part ("begin 644 name" ... "end"). */
struct mime_uu_file {
	char *name;        /* as written after the mode, or NULL */
	GBytes *data;      /* decoded bytes */
};

/*
 * Take the uuencoded blocks out of text (UTF-8, LF line ends): each block
 * is decoded into a struct mime_uu_file appended to files_r (free func
 * mime_uu_file_free) and removed from the text.  Returns the new text
 * (caller g_free()s) or NULL when the text holds no block.
 */
char *mime_uu_extract(const char *text, GPtrArray *files_r);
void mime_uu_file_free(gpointer p);

#endif
