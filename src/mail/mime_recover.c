/*
 * mime_recover.c - structure that a damaged message hides from GMime:
 * a header block after lines that are no header (an mbox "From " line, a
 * pasted banner), and the parts of a multipart whose boundary parameter
 * fell off (its header folded without indentation).
 *
 * Both err on the side of reading nothing: junk is skipped only when what
 * follows is plainly a mail header, and a boundary is taken only when
 * the same delimiter line opens a header block and occurs again.
 */
#include <string.h>

#include "mime_private.h"

/* A pasted banner is a line or a few; more is a body. */
#define RECOVER_MAX_JUNK_LINES 5
#define RECOVER_MAX_JUNK_BYTES 2048
/* Header lines looked at to judge a block. */
#define RECOVER_MAX_HEAD_LINES 200
/* A boundary longer than this is not recovered (RFC 2046 says 70). */
#define RECOVER_MAX_BOUNDARY 200

/* The line at data[at] (n bytes without its line end); the offset of the
 * next line, len at the end. */
static size_t
recover_line(const char *data, size_t len, size_t at, size_t *n_r)
{
	const char *nl = memchr(data + at, '\n', len - at);
	size_t end = nl != NULL ? (size_t)(nl - data) : len;
	size_t n = end - at;

	if (n > 0 && data[at + n - 1] == '\r')
		n--;
	*n_r = n;
	return nl != NULL ? end + 1 : len;
}

/* Fields a mail's own header has and a header quoted in a body (From,
 * Date, Subject, To of a forward) has not. */
static int
recover_transport_field(const char *line, size_t n)
{
	static const char *const names[] = {
		"received:", "return-path:", "message-id:", "mime-version:",
		"delivered-to:", "content-type:", "dkim-signature:",
		"x-original-to:", "authentication-results:",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		size_t k = strlen(names[i]);

		if (n >= k && g_ascii_strncasecmp(line, names[i], k) == 0)
			return 1;
	}
	return 0;
}

/* Does a header block start at data[at]: fields (and their folds) up to
 * a blank line or the end, with a From: or Subject: and a transport
 * field among them (or after an mbox "From " line, any two fields)? */
static int
recover_is_header(const char *data, size_t len, size_t at, int mbox)
{
	int fields = 0, known = 0, transport = 0;

	for (int i = 0; i < RECOVER_MAX_HEAD_LINES && at < len; i++) {
		size_t n, next = recover_line(data, len, at, &n);
		const char *line = data + at;

		if (n == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			if (fields == 0)
				return 0;
		} else if (mime_line_is_field(line, n)) {
			fields++;
			known += (n >= 5 && g_ascii_strncasecmp(line, "from:", 5) == 0) ||
				 (n >= 8 && g_ascii_strncasecmp(line, "subject:", 8) == 0);
			transport += recover_transport_field(line, n);
		} else {
			return 0;
		}
		at = next;
	}
	return mbox ? fields >= 2 : known > 0 && transport > 0;
}

size_t
mime_header_start(const char *data, size_t len)
{
	size_t at = 0, n;

	if (len == 0)
		return 0;
	recover_line(data, len, 0, &n);
	if (mime_line_is_field(data, n))
		return 0;
	for (int i = 0; i < RECOVER_MAX_JUNK_LINES; i++) {
		int mbox = i == 0 && len > 5 && memcmp(data, "From ", 5) == 0;

		at = recover_line(data, len, at, &n);
		/* A blank line ends a header, never a banner before one. */
		if (n == 0 || at >= len || at > RECOVER_MAX_JUNK_BYTES)
			return 0;
		if (recover_is_header(data, len, at, mbox))
			return at;
	}
	return 0;
}

/* The delimiter of text if its first "--" line opens a header block (or
 * an empty one) and occurs again: the boundary, or NULL. */
static char *
recover_boundary(const char *text, size_t len)
{
	size_t at = 0, n, next;
	char *b = NULL;
	int seen = 0;

	while (at < len) {
		const char *line = text + at;

		next = recover_line(text, len, at, &n);
		while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		if (b == NULL && n > 2 && n - 2 <= RECOVER_MAX_BOUNDARY &&
		    line[0] == '-' && line[1] == '-' && next < len) {
			size_t m;
			const char *after = text + next;

			recover_line(text, len, next, &m);
			if (m == 0 || mime_line_is_field(after, m)) {
				b = g_strndup(line + 2, n - 2);
				seen = 1;
			}
		} else if (b != NULL && n >= strlen(b) + 2 && line[0] == '-' &&
			   line[1] == '-' && strncmp(line + 2, b, strlen(b)) == 0 &&
			   (n == strlen(b) + 2 ||
			    (n == strlen(b) + 4 && line[n - 1] == '-' &&
			     line[n - 2] == '-'))) {
			seen++;
		}
		at = next;
	}
	if (b != NULL && (seen < 2 || strpbrk(b, "\"\\\r") != NULL)) {
		g_free(b);
		b = NULL;
	}
	return b;
}

GMimeMultipart *
mime_multipart_recover(GMimeMultipart *mp, GMimeParserOptions *opts)
{
	GBytes *orphan = mime_multipart_orphan(mp);
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(mp));
	const char *sub = ct != NULL ? g_mime_content_type_get_media_subtype(ct)
				     : NULL;
	GMimeMultipart *found = NULL;
	GMimeObject *obj;
	GMimeStream *stream;
	GMimeParser *parser;
	GString *whole;
	gsize len;
	const char *text;
	char *b;

	if (orphan == NULL)
		return NULL;
	text = g_bytes_get_data(orphan, &len);
	b = recover_boundary(text, len);
	if (sub == NULL || sub[strspn(sub, "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ-.0123456789")] != '\0')
		sub = "mixed";
	if (b == NULL) {
		g_bytes_unref(orphan);
		return NULL;
	}
	whole = g_string_new(NULL);
	g_string_printf(whole, "Content-Type: multipart/%s; boundary=\"%s\"\n\n",
			sub, b);
	g_string_append_len(whole, text, (gssize)len);
	stream = g_mime_stream_mem_new_with_buffer(whole->str, whole->len);
	parser = g_mime_parser_new_with_stream(stream);
	obj = g_mime_parser_construct_part(parser, opts);
	if (obj != NULL && GMIME_IS_MULTIPART(obj) &&
	    g_mime_multipart_get_count(GMIME_MULTIPART(obj)) > 0)
		found = GMIME_MULTIPART(g_steal_pointer(&obj));
	if (obj != NULL)
		g_object_unref(obj);
	g_object_unref(parser);
	g_object_unref(stream);
	g_string_free(whole, TRUE);
	g_free(b);
	g_bytes_unref(orphan);
	return found;
}
