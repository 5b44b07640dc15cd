/*
 * mime_words.c - header text and base64 read before GMime sees them.
 *
 * GMime 3.2.13 (Debian 12) stops decoding a run of base64 encoded words
 * at the first word that ends in '=' padding ("=?UTF-8?B?SGVsbG8=?=
 * =?UTF-8?B?IHdvcmxk?=" gives "Hello", its upstream issue #133), and its
 * base64 body decoder stops at a '=' in mid-stream and drops the last
 * bytes of data that lacks its padding (issue #150).  Here every run of
 * adjacent encoded words is decoded to bytes, joined per charset (a
 * character split over two words comes out whole) and converted once;
 * the run goes back to GMime as one UTF-8 word, so addresses and
 * parameters keep their structure.  Raw 8-bit header bytes that are not
 * UTF-8 are read in the charsets the message declares before
 * windows-1252.
 */
#include <string.h>

#include "mime_private.h"

/* RFC 2047 allows 75 characters a word; a charset name is short. */
#define WORDS_MAX_CHARSET 64
/*
 * RFC 2047's words are 75 characters; real ones run longer (a whole
 * subject in one word), none this long.  The bound keeps a field full of
 * unterminated "=?" from being scanned once for each of them.
 */
#define WORDS_MAX_TEXT 2048
/* More declared charsets than this are noise, not a message's languages. */
#define WORDS_MAX_DECLARED 8
#define WORDS_DATA_KEY "casemail-declared-charsets"

/* ---- base64 ------------------------------------------------------------ */

/* The value of each base64 character, -1 for the others (set once). */
static signed char b64_table[256];

static void
b64_table_init(void)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static gsize done;

	if (g_once_init_enter(&done)) {
		memset(b64_table, -1, sizeof(b64_table));
		for (int i = 0; alphabet[i] != '\0'; i++)
			b64_table[(unsigned char)alphabet[i]] = (signed char)i;
		g_once_init_leave(&done, 1);
	}
}

static int
b64_value(unsigned char c)
{
	return b64_table[c];
}

/*
 * After a '=' pad, more data follows only when the rest is base64 and
 * line breaks (chunks joined by a careless or hostile encoder).  Text
 * after the pad ("Cg== ignored") ends the data, as RFC 2045 6.8 says.
 * The tail made only of those is found once, from the end, so a stream
 * of many pads ("QQ=QQ=...") is not scanned again after each of them:
 * *clean_r is where it starts, *last_r its last base64 character (NULL
 * if none).
 */
static void
b64_tail(const char *in, const char *end, const char **clean_r,
	 const char **last_r)
{
	const char *p = end, *last = NULL;

	for (; p > in; p--) {
		unsigned char c = (unsigned char)p[-1];

		if (b64_value(c) >= 0) {
			if (last == NULL)
				last = p - 1;
		} else if (c != '=' && c != '\r' && c != '\n') {
			break;
		}
	}
	*clean_r = p;
	*last_r = last;
}

/* Write a quantum of n characters (2 or 3 give 1 or 2 bytes, 4 give 3)
 * at *o and move *o past it. */
static void
b64_flush(guint32 acc, int n, guint8 **o)
{
	guint8 *b = *o;

	if (n < 2)
		return;
	acc <<= 6 * (4 - n);
	b[0] = (guint8)(acc >> 16);
	if (n > 2)
		b[1] = (guint8)(acc >> 8);
	if (n > 3)
		b[2] = (guint8)acc;
	*o = b + n - 1;
}

/*
 * The decoding writes straight into out, grown once to the most the
 * input can give (three bytes for each four characters; a part quantum
 * gives fewer): a call per quantum to append was most of the time of a
 * message with an attachment.
 */
void
mime_base64_lenient(const char *in, size_t len, int keep_partial,
		    GByteArray *out)
{
	const char *p = in, *end, *clean = NULL, *last = NULL;
	guint32 acc = 0;
	guint start = out->len;
	guint8 *o;
	int n = 0, junk = 0;

	/* An empty stream may come as NULL (GByteArray's data), and
	 * NULL + 0 is undefined. */
	if (in == NULL || len == 0)
		return;
	b64_table_init();
	end = in + len;
	g_byte_array_set_size(out, start + (guint)(len / 4 * 3 + 3));
	o = out->data + start;
	for (; p < end; p++) {
		int v = b64_value((unsigned char)*p);

		if (v >= 0) {
			acc = (acc << 6) | (guint32)v;
			if (++n == 4) {
				b64_flush(acc, 4, &o);
				acc = 0;
				n = 0;
			}
			continue;
		}
		junk = junk || *p == '\0' || strchr("= \t\r\n", *p) == NULL;
		if (*p == '=') {
			b64_flush(acc, n, &o);
			acc = 0;
			n = 0;
			while (p + 1 < end && p[1] == '=')
				p++;
			if (clean == NULL)
				b64_tail(in, end, &clean, &last);
			/* the rest is base64 and line breaks, with data */
			if (p + 1 < clean || last == NULL || last < p + 1)
				break;
		}
	}
	/*
	 * Clean base64 that lacks its padding: the bytes are there all the
	 * same.  After junk (text that is no base64) the odd characters are
	 * noise, dropped as RFC 2045 6.8 and other decoders do.
	 */
	if (keep_partial && !junk)
		b64_flush(acc, n, &o);
	g_byte_array_set_size(out, (guint)(o - out->data));
}

/*
 * The raw bytes of stream: a part of a message parsed from memory is a
 * window on the message's buffer (GMime's memory substreams share it),
 * read in place; any other stream is copied into *copy.
 */
static const char *
b64_raw(GMimeStream *raw, size_t *len_r, GMimeStream **copy)
{
	GByteArray *ba;

	*copy = NULL;
	if (GMIME_IS_STREAM_MEM(raw) &&
	    (ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(raw))) != NULL &&
	    raw->bound_start >= 0 && raw->bound_start <= (gint64)ba->len) {
		gint64 end = raw->bound_end < 0 || raw->bound_end > (gint64)ba->len
			? (gint64)ba->len : raw->bound_end;

		if (end < raw->bound_start)
			end = raw->bound_start;
		*len_r = (size_t)(end - raw->bound_start);
		return *len_r > 0 ? (const char *)ba->data + raw->bound_start
				  : NULL;
	}
	*copy = g_mime_stream_mem_new();
	g_mime_stream_reset(raw);
	g_mime_stream_write_to_stream(raw, *copy);
	g_mime_stream_reset(raw);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(*copy));
	*len_r = ba->len;
	return (const char *)ba->data;
}

GBytes *
mime_base64_content(GMimePart *part)
{
	GMimeDataWrapper *wrapper = g_mime_part_get_content(part);
	GMimeStream *raw = g_mime_data_wrapper_get_stream(wrapper);
	GMimeStream *copy;
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	const char *media = ct != NULL ? g_mime_content_type_get_media_type(ct)
				       : NULL;
	GByteArray *out;
	size_t len;
	const char *data = b64_raw(raw, &len, &copy);
	/*
	 * Text whose base64 lacks its padding loses its last characters to
	 * GMime, and a reader sees that.  A binary part ending in a part
	 * quantum is as often a cut-off fragment (message/partial, a
	 * truncated forward), where GMime, mime4j and RFC 2045 drop it.
	 */
	int keep_partial = media != NULL && g_ascii_strcasecmp(media, "text") == 0;

	out = g_byte_array_sized_new((guint)(len / 4 * 3 + 3));
	mime_base64_lenient(data, len, keep_partial, out);
	if (copy != NULL)
		g_object_unref(copy);
	return g_byte_array_free_to_bytes(out);
}

/* ---- encoded words ----------------------------------------------------- */

struct word {
	const char *start, *end;     /* "=?" .. past "?=" */
	char charset[WORDS_MAX_CHARSET + 1];
	char enc;                    /* 'B' or 'Q' */
	const char *text, *text_end; /* the encoded text */
};

/* An encoded word starting at p ("=?cs?B?text?="), or FALSE. */
static gboolean
word_at(const char *p, struct word *w)
{
	const char *cs = p + 2, *q = cs, *star;
	size_t cs_len;

	if (p[0] != '=' || p[1] != '?')
		return FALSE;
	while (*q != '\0' && *q != '?' && (unsigned char)*q > ' ')
		q++;
	cs_len = (size_t)(q - cs);
	if (*q != '?' || cs_len == 0 || cs_len > WORDS_MAX_CHARSET ||
	    strchr("BbQq", q[1]) == NULL || q[1] == '\0' || q[2] != '?')
		return FALSE;
	w->enc = g_ascii_toupper(q[1]);
	w->text = q + 3;
	for (q = w->text; *q != '\0' && (unsigned char)*q > ' ' &&
	     q - w->text < WORDS_MAX_TEXT; q++)
		if (q[0] == '?' && q[1] == '=')
			break;
	if (q[0] != '?' || q[1] != '=')
		return FALSE;
	w->text_end = q;
	w->start = p;
	w->end = q + 2;
	memcpy(w->charset, cs, cs_len);
	w->charset[cs_len] = '\0';
	/* RFC 2231 5: "charset*language" */
	if ((star = strchr(w->charset, '*')) != NULL)
		w->charset[star - w->charset] = '\0';
	return TRUE;
}

static void
word_decode(const struct word *w, GByteArray *out)
{
	const char *p;

	if (w->enc == 'B') {
		mime_base64_lenient(w->text, (size_t)(w->text_end - w->text),
				    1, out);
		return;
	}
	for (p = w->text; p < w->text_end; p++) {
		guint8 c = (guint8)*p;

		if (c == '_') {
			c = ' ';
		} else if (c == '=' && p + 2 < w->text_end &&
			   g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2])) {
			c = (guint8)(g_ascii_xdigit_value(p[1]) * 16 +
				     g_ascii_xdigit_value(p[2]));
			p += 2;
		}
		/* Raw 8-bit bytes (Outlook 2000) are the charset's bytes. */
		g_byte_array_append(out, &c, 1);
	}
}

/* Only blanks between a and b: RFC 2047 6.2 drops them. */
static gboolean
words_adjacent(const char *a_end, const char *b_start)
{
	return strspn(a_end, " \t\r\n") >= (size_t)(b_start - a_end);
}

/*
 * The run of adjacent words starting with the one at p as UTF-8 appended
 * to utf8; returns where the run ends.
 */
static const char *
words_run(const char *p, GString *utf8)
{
	GByteArray *bytes = g_byte_array_new();
	struct word w, next;
	gboolean more;

	word_at(p, &w);
	do {
		const char *q;

		word_decode(&w, bytes);
		q = w.end + strspn(w.end, " \t\r\n");
		more = word_at(q, &next) && words_adjacent(w.end, q);
		if (!more || g_ascii_strcasecmp(next.charset, w.charset) != 0) {
			char *s = mime_text_to_utf8((const char *)bytes->data,
						    bytes->len, w.charset);

			g_string_append(utf8, s);
			g_free(s);
			g_byte_array_set_size(bytes, 0);
		}
		if (more)
			w = next;
	} while (more);
	g_byte_array_unref(bytes);
	return w.end;
}

/* Raw 8-bit text in one of charsets when it reads cleanly there. */
static char *
words_raw_to_utf8(const char *s, size_t len, const char *const *charsets)
{
	if (g_utf8_validate(s, (gssize)len, NULL))
		return g_strndup(s, len);
	for (size_t i = 0; charsets != NULL && charsets[i] != NULL; i++) {
		char *u = mime_text_to_utf8_strict(s, len, charsets[i]);

		if (u != NULL)
			return u;
	}
	return mime_text_to_utf8(s, len, NULL);
}

/* No "=?" and no 8-bit byte: nothing to fix (most fields), so nothing
 * is allocated. */
static gboolean
words_plain(const char *v)
{
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80 || (p[0] == '=' && p[1] == '?'))
			return FALSE;
	return TRUE;
}

char *
mime_words_fix(const char *value, const char *const *charsets)
{
	GString *out;
	const char *p = value, *copied = value;
	gboolean changed = FALSE, eight_bit = FALSE;
	struct word w;

	if (value == NULL || words_plain(value))
		return NULL;
	out = g_string_new(NULL);
	for (; *p != '\0'; p++) {
		GString *utf8;
		char *b64;

		eight_bit = eight_bit || (unsigned char)*p >= 0x80;
		if (*p != '=' || !word_at(p, &w))
			continue;
		utf8 = g_string_new(NULL);
		g_string_append_len(out, copied, p - copied);
		copied = words_run(p, utf8);
		b64 = g_base64_encode((const guchar *)utf8->str, utf8->len);
		if (utf8->len > 0)
			g_string_append_printf(out, "=?UTF-8?B?%s?=", b64);
		g_free(b64);
		g_string_free(utf8, TRUE);
		p = copied - 1;
		changed = TRUE;
	}
	g_string_append(out, copied);
	if (eight_bit && !g_utf8_validate(out->str, (gssize)out->len, NULL)) {
		char *u = words_raw_to_utf8(out->str, out->len, charsets);

		g_string_assign(out, u);
		g_free(u);
		changed = TRUE;
	}
	if (!changed) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

/* ---- what the message declares ----------------------------------------- */

static void
declared_add(GPtrArray *list, GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *cs = ct != NULL
		? g_mime_content_type_get_parameter(ct, "charset") : NULL;
	const char *canon;

	if (cs == NULL || cs[0] == '\0' || list->len >= WORDS_MAX_DECLARED)
		return;
	canon = g_mime_charset_canon_name(cs);
	if (g_ascii_strcasecmp(canon, "utf-8") == 0 ||
	    g_ascii_strcasecmp(canon, "us-ascii") == 0)
		return;
	for (guint i = 0; i < list->len; i++)
		if (g_ascii_strcasecmp(list->pdata[i], canon) == 0)
			return;
	g_ptr_array_add(list, g_strdup(canon));
}

static void
declared_part(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	(void)parent;
	declared_add(data, part);
}

const char *const *
mime_declared_charsets(GMimeMessage *gm)
{
	GPtrArray *list;
	GMimeObject *top;

	list = g_object_get_data(G_OBJECT(gm), WORDS_DATA_KEY);
	if (list != NULL)
		return (const char *const *)list->pdata;
	list = g_ptr_array_new_with_free_func(g_free);
	top = g_mime_message_get_mime_part(gm);
	if (top != NULL)
		declared_add(list, top);
	g_mime_message_foreach(gm, declared_part, list);
	g_ptr_array_add(list, NULL);
	g_object_set_data_full(G_OBJECT(gm), WORDS_DATA_KEY, list,
			       (GDestroyNotify)g_ptr_array_unref);
	return (const char *const *)list->pdata;
}

/* ---- fields ------------------------------------------------------------ */

/* The raw value of obj's first field called name, or NULL. */
static const char *
words_raw_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) == 0)
			return g_mime_header_get_raw_value(h);
	}
	return NULL;
}

/* obj's field called name fixed and unfolded, or NULL if it needs none. */
static char *
words_fixed_header(GMimeObject *obj, const char *name,
		   const char *const *charsets)
{
	char *fixed = mime_words_fix(words_raw_header(obj, name), charsets);
	char *unfolded;

	if (fixed == NULL)
		return NULL;
	unfolded = g_mime_utils_header_unfold(fixed);
	g_free(fixed);
	return unfolded;
}

char *
mime_header_text(GMimeObject *obj, const char *name,
		 GMimeParserOptions *opts, const char *const *charsets)
{
	char *fixed = words_fixed_header(obj, name, charsets);
	char *text;

	if (fixed == NULL)
		return NULL;
	text = g_mime_utils_header_decode_text(opts, fixed);
	g_free(fixed);
	return text;
}

char *
mime_part_filename(GMimeObject *obj, GMimeParserOptions *opts,
		   const char *const *charsets)
{
	char *disp = words_fixed_header(obj, "Content-Disposition", charsets);
	char *type = words_fixed_header(obj, "Content-Type", charsets);
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *name = NULL;
	char *out;

	if (disp != NULL)
		cd = g_mime_content_disposition_parse(opts, disp);
	else if (cd != NULL)
		g_object_ref(cd);
	if (type != NULL)
		ct = g_mime_content_type_parse(opts, type);
	else if (ct != NULL)
		g_object_ref(ct);
	if (cd != NULL)
		name = g_mime_content_disposition_get_parameter(cd, "filename");
	if (name == NULL && ct != NULL)
		name = g_mime_content_type_get_parameter(ct, "name");
	out = g_strdup(name);
	if (cd != NULL)
		g_object_unref(cd);
	if (ct != NULL)
		g_object_unref(ct);
	g_free(disp);
	g_free(type);
	return out;
}
