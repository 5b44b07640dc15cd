/*
 * mime_scan.c - the bounds of a message, measured on its raw bytes before
 * GMime builds anything, and the cutting of overlong header fields.
 *
 * GMime builds the whole tree of a message before we can look at it (a
 * 9 MB message of 1.5 million empty parts took 2 GB) and recurses once
 * per nesting level, so limits applied while walking its tree come too
 * late.  The scan reads the bytes once, line by line, and keeps only a
 * stack of the open multiparts (at most max_depth of them): it reads the
 * Content-Type of every header block, follows the boundary lines of the
 * multiparts as they nest, and counts parts, levels and header bytes.
 *
 * It errs on the side of counting more than GMime would build: a line
 * counts as a boundary when it starts with "--" and the boundary (GMime
 * also wants nothing but white space after it), a multipart whose
 * boundary cannot be read (none, RFC 2231 encoded, too long) takes every
 * "--" line as one of its parts, and a header block with two
 * Content-Type fields counts as a multipart when either says so.
 */
#include "casemail/mime.h"

#include <string.h>

#include "mime_private.h"

/* RFC 2046 allows 70 characters; a longer one is matched loosely. */
#define SCAN_MAX_BOUNDARY 200
/* The part of a Content-Type value read for its type and boundary. */
#define SCAN_MAX_CTYPE 8192

enum scan_kind { SCAN_MULTIPART, SCAN_MESSAGE };

/* One open container: a multipart (its boundary) or a message inside. */
struct scan_level {
	enum scan_kind kind;
	int wildcard;     /* boundary unreadable: every "--" line is a part */
	int digest;       /* multipart/digest: a bare part is a message */
	size_t blen;
	guint64 hash;     /* FNV-1a of the boundary */
	char boundary[SCAN_MAX_BOUNDARY];
};

/* What a header block's Content-Type fields say. */
struct scan_ctype {
	GString *value;   /* the field being read, unfolded, bounded */
	int in_ctype;     /* the current field is a Content-Type */
	int seen;         /* a Content-Type was read */
	struct scan_level found;  /* multipart or message, if one said so */
	int multipart, message;
};

struct scan {
	const char *data;
	size_t len;
	size_t size;           /* the message's, when data is its start */
	const struct mime_limits *lim;
	struct mime_scan_result *r;
	struct scan_level *stack;
	int depth;             /* levels open */
	int in_header;
	int parent_digest;     /* the header being read is a digest's part */
	size_t header_bytes;   /* of the block being read */
	int too_deep;
	struct scan_ctype ct;
};

static guint64
scan_hash_step(guint64 h, unsigned char c)
{
	return (h ^ c) * 0x100000001b3ULL;
}

#define SCAN_HASH_INIT 0xcbf29ce484222325ULL

/* A multipart's boundary from a Content-Type value (after the type). */
static void
scan_read_boundary(const char *p, struct scan_level *lv)
{
	lv->wildcard = 1;
	while ((p = strchr(p, ';')) != NULL) {
		const char *name, *end;
		size_t nlen, n = 0;

		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		name = p;
		p += strcspn(p, "=;");
		for (end = p; end > name && (end[-1] == ' ' || end[-1] == '\t');)
			end--;
		nlen = (size_t)(end - name);
		if (nlen >= 9 && g_ascii_strncasecmp(name, "boundary*", 9) == 0)
			return;  /* RFC 2231 form: not read, matched loosely */
		if (*p != '=' || nlen != 8 ||
		    g_ascii_strncasecmp(name, "boundary", 8) != 0)
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (n + 1 >= sizeof(lv->boundary))
					return;
				lv->boundary[n++] = *p;
			}
		} else {
			for (; *p != '\0' && !strchr("; \t", *p); p++) {
				if (n + 1 >= sizeof(lv->boundary))
					return;
				lv->boundary[n++] = *p;
			}
		}
		if (n == 0)
			return;
		lv->blen = n;
		lv->hash = SCAN_HASH_INIT;
		for (size_t i = 0; i < n; i++)
			lv->hash = scan_hash_step(lv->hash,
						  (unsigned char)lv->boundary[i]);
		lv->wildcard = 0;
		return;
	}
}

/* The Content-Type field just read: what it makes of the block. */
static void
scan_ctype_done(struct scan_ctype *ct)
{
	const char *v = ct->value->str;
	size_t tlen;
	struct scan_level lv = { 0 };

	ct->in_ctype = 0;
	while (*v == ' ' || *v == '\t')
		v++;
	tlen = strcspn(v, "; \t(");
	if (!ct->seen && tlen == 14 &&
	    (g_ascii_strncasecmp(v, "message/rfc822", 14) == 0 ||
	     g_ascii_strncasecmp(v, "message/global", 14) == 0))
		ct->message = 1;
	ct->seen = 1;
	if (tlen < 10 || g_ascii_strncasecmp(v, "multipart/", 10) != 0 ||
	    (ct->multipart && !ct->found.wildcard))
		return;
	lv.kind = SCAN_MULTIPART;
	lv.digest = tlen == 16 && g_ascii_strncasecmp(v, "multipart/digest",
						      16) == 0;
	scan_read_boundary(v + tlen, &lv);
	ct->found = lv;
	ct->multipart = 1;
}

static void
scan_header_begin(struct scan *s)
{
	s->in_header = 1;
	s->header_bytes = 0;
	g_string_truncate(s->ct.value, 0);
	s->ct.in_ctype = s->ct.seen = s->ct.multipart = s->ct.message = 0;
}

/* Open a container; 0, or nonzero when that is one level too many. */
static int
scan_push(struct scan *s, const struct scan_level *lv)
{
	if (s->depth >= s->lim->max_depth) {
		s->too_deep = 1;
		s->r->depth = s->depth + 1;
		return -1;
	}
	s->stack[s->depth++] = *lv;
	s->r->depth = MAX(s->r->depth, s->depth);
	return 0;
}

/* The header block ended: a multipart opens, a message's header follows,
 * or a body does. */
static int
scan_header_end(struct scan *s)
{
	struct scan_level msg = { SCAN_MESSAGE, 0, 0, 0, 0, { 0 } };
	int digest_part = s->parent_digest && !s->ct.seen;

	if (s->ct.in_ctype)
		scan_ctype_done(&s->ct);
	s->in_header = 0;
	s->parent_digest = 0;
	s->r->header_bytes = MAX(s->r->header_bytes, s->header_bytes);
	if (s->ct.multipart)
		return scan_push(s, &s->ct.found);
	if (s->ct.message || digest_part) {
		if (scan_push(s, &msg) != 0)
			return -1;
		scan_header_begin(s);
	}
	return 0;
}

/* The innermost open multipart whose boundary starts line (after "--"),
 * or -1; *closing_r: it is the closing one ("--b--"). */
static int
scan_match(const struct scan *s, const char *line, size_t n, int *closing_r)
{
	guint64 ph[SCAN_MAX_BOUNDARY];
	size_t have = MIN(n, (size_t)SCAN_MAX_BOUNDARY - 1);
	guint64 h = SCAN_HASH_INIT;

	/* ph[k]: the hash of line's first k bytes, so each level costs one
	 * comparison whatever the boundaries have in common. */
	ph[0] = h;
	for (size_t k = 0; k < have; k++)
		ph[k + 1] = h = scan_hash_step(h, (unsigned char)line[k]);
	for (int i = s->depth - 1; i >= 0; i--) {
		const struct scan_level *lv = &s->stack[i];

		if (lv->kind != SCAN_MULTIPART)
			continue;
		if (lv->wildcard) {
			*closing_r = 0;
			return i;
		}
		if (lv->blen > have || ph[lv->blen] != lv->hash ||
		    memcmp(line, lv->boundary, lv->blen) != 0)
			continue;
		*closing_r = n >= lv->blen + 2 && line[lv->blen] == '-' &&
			     line[lv->blen + 1] == '-';
		return i;
	}
	return -1;
}

/* A line of a body: a boundary opens the next part or closes its
 * multipart (and everything inside it).  Returns 1 when it was one. */
static int
scan_body_line(struct scan *s, const char *line, size_t n)
{
	int closing = 0, i;

	if (n < 2 || line[0] != '-' || line[1] != '-' || s->depth == 0)
		return 0;
	if ((i = scan_match(s, line + 2, n - 2, &closing)) < 0)
		return 0;
	s->depth = closing ? i : i + 1;
	if (!closing) {
		s->r->parts++;
		scan_header_begin(s);
		s->parent_digest = s->stack[i].digest;
	}
	return 1;
}

/* A field name, then optional white space, then a colon. */
static int
scan_is_field(const char *line, size_t n)
{
	size_t i = 0;

	while (i < n && line[i] > ' ' && line[i] < 127 && line[i] != ':')
		i++;
	if (i == 0)
		return 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i < n && line[i] == ':';
}

int
mime_line_is_field(const char *line, size_t n)
{
	return scan_is_field(line, n);
}

static void
scan_ctype_add(struct scan_ctype *ct, const char *text, size_t n)
{
	size_t room = SCAN_MAX_CTYPE - MIN(ct->value->len, SCAN_MAX_CTYPE);

	g_string_append_len(ct->value, text, (gssize)MIN(n, room));
}

/* A line of a header block (raw, with its line end: raw_n bytes).
 * Returns 1 when it belongs to the block, 0 when the block ended before
 * it (the line is then a body's), -1 when the block ended with it. */
static int
scan_header_line(struct scan *s, const char *line, size_t n, size_t raw_n)
{
	if (n == 0) {
		s->header_bytes += raw_n;
		return -1;
	}
	if (line[0] == ' ' || line[0] == '\t') {
		if (s->header_bytes == 0)
			return 0;
		if (s->ct.in_ctype)
			scan_ctype_add(&s->ct, line, n);
	} else if (scan_is_field(line, n)) {
		if (s->ct.in_ctype)
			scan_ctype_done(&s->ct);
		if (n > 13 && g_ascii_strncasecmp(line, "content-type", 12) == 0 &&
		    (line[12] == ':' || line[12] == ' ' || line[12] == '\t')) {
			const char *colon = memchr(line, ':', n);

			s->ct.in_ctype = 1;
			g_string_truncate(s->ct.value, 0);
			scan_ctype_add(&s->ct, colon + 1,
				       n - (size_t)(colon + 1 - line));
		}
	} else {
		return 0;
	}
	s->header_bytes += raw_n;
	return 1;
}

/* One line (n bytes without its line end, raw_n with it) at offset at. */
static int
scan_line(struct scan *s, const char *line, size_t n, size_t raw_n,
	  size_t at)
{
	int top = s->r->parts == 0 && s->depth == 0;
	int h;

	if (s->in_header) {
		/* A boundary ends a part's header as it ends a body. */
		if (s->depth > 0 && scan_body_line(s, line, n))
			return 0;
		h = scan_header_line(s, line, n, raw_n);
		if (h > 0)
			return 0;
		if (top && s->r->top_header_len == 0)
			s->r->top_header_len = h < 0 ? at + raw_n : at;
		if (scan_header_end(s) != 0 || h < 0)
			return s->too_deep ? -1 : 0;
	}
	scan_body_line(s, line, n);
	return 0;
}

/* The first limit the scan found exceeded, in err; 0 if none. */
static int
scan_verdict(const struct scan *s, struct cm_error *err)
{
	const struct mime_limits *lim = s->lim;
	const struct mime_scan_result *r = s->r;

	/* Even then the scan ran, for where the header block ends. */
	if (s->size > lim->max_message_bytes)
		return cm_error_set(err, CM_EINPUT, "over [store] "
				    "max_message_bytes: %zu bytes (limit %zu)",
				    s->size, lim->max_message_bytes);
	if (s->too_deep)
		return cm_error_set(err, CM_EINPUT, "over [store] max_depth: "
				    "at least %d nested levels (limit %d)",
				    s->r->depth, lim->max_depth);
	if (r->header_bytes > lim->max_header_bytes)
		return cm_error_set(err, CM_EINPUT, "over [store] "
				    "max_header_bytes: a header of %zu bytes "
				    "(limit %zu)", r->header_bytes,
				    lim->max_header_bytes);
	if (r->parts > lim->max_parts)
		return cm_error_set(err, CM_EINPUT, "over [store] max_parts: "
				    "%d parts (limit %d)", r->parts,
				    lim->max_parts);
	return 0;
}

int
mime_scan(const char *data, size_t len, size_t size,
	  const struct mime_limits *lim, struct mime_scan_result *r,
	  struct cm_error *err)
{
	struct scan s = { 0 };
	size_t at = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	s.size = size;
	s.data = data;
	s.len = len;
	s.lim = lim;
	s.r = r;
	s.stack = g_new0(struct scan_level, MAX(lim->max_depth, 1));
	s.ct.value = g_string_sized_new(256);
	scan_header_begin(&s);
	while (at < len) {
		const char *line = data + at;
		const char *nl = memchr(line, '\n', len - at);
		size_t raw_n = nl != NULL ? (size_t)(nl - line) + 1 : len - at;
		size_t n = nl != NULL ? raw_n - 1 : raw_n;

		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (scan_line(&s, line, n, raw_n, at) != 0)
			break;
		at += raw_n;
	}
	if (s.in_header && !s.too_deep) {
		if (r->parts == 0 && s.depth == 0 && r->top_header_len == 0)
			r->top_header_len = len;
		scan_header_end(&s);
	}
	rc = scan_verdict(&s, err);
	g_string_free(s.ct.value, TRUE);
	g_free(s.stack);
	return rc;
}

/* ---- cutting overlong fields ------------------------------------------- */

/* Where the field starting at data[at] ends (its last line end included). */
static size_t
cut_field_end(const char *data, size_t len, size_t at)
{
	for (;;) {
		const char *nl = memchr(data + at, '\n', len - at);

		if (nl == NULL)
			return len;
		at = (size_t)(nl - data) + 1;
		if (at >= len || (data[at] != ' ' && data[at] != '\t'))
			return at;
	}
}

/* Bytes of p (n long, not NUL-terminated) before the first byte of
 * stop, or n: raw mail is not a C string. */
static size_t
scan_span(const char *p, size_t n, const char *stop)
{
	size_t i = 0;

	while (i < n && p[i] != '\0' && strchr(stop, p[i]) == NULL)
		i++;
	return i;
}

/* Append the field data[at, end) cut to MIME_MAX_FIELD_BYTES, at its last
 * fold if it has one there, and note it in warnings. */
static void
cut_field(GString *out, const char *data, size_t at, size_t end,
	  GPtrArray *warnings)
{
	size_t keep = MIME_MAX_FIELD_BYTES;
	size_t name = scan_span(data + at, end - at, ":\n");
	const char *fold = g_strrstr_len(data + at, (gssize)keep, "\n");
	int crlf = end - at >= 2 && data[end - 2] == '\r';

	if (fold != NULL && (size_t)(fold - (data + at)) > name)
		keep = (size_t)(fold - (data + at));
	while (keep > 0 && data[at + keep - 1] == '\r')
		keep--;
	g_string_append_len(out, data + at, (gssize)keep);
	g_string_append(out, crlf ? "\r\n" : "\n");
	if (warnings != NULL && warnings->len < 20)
		g_ptr_array_add(warnings, g_strdup_printf(
			"header field %.*s of %zu bytes cut to %zu (over %d)",
			(int)MIN(name, 64), data + at, end - at, keep,
			MIME_MAX_FIELD_BYTES));
}

char *
mime_cut_fields(const char *data, size_t len, size_t *len_r,
		GPtrArray *warnings)
{
	GString *out = NULL;
	size_t at = 0, copied = 0;

	/* Fields run until the blank line; a message that starts with no
	 * field is read as a body (mime_construct_with()): nothing to cut. */
	if (!scan_is_field(data, scan_span(data, len, "\n")))
		return NULL;
	while (at < len && data[at] != '\n' &&
	       !(data[at] == '\r' && at + 1 < len && data[at + 1] == '\n')) {
		size_t end = cut_field_end(data, len, at);

		if (end - at > MIME_MAX_FIELD_BYTES) {
			if (out == NULL)
				out = g_string_sized_new(len);
			g_string_append_len(out, data + copied,
					    (gssize)(at - copied));
			cut_field(out, data, at, end, warnings);
			copied = end;
		}
		at = end;
	}
	if (out == NULL)
		return NULL;
	g_string_append_len(out, data + copied, (gssize)(len - copied));
	*len_r = out->len;
	return g_string_free(out, FALSE);
}
