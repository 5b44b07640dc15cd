/*
 * mime_text.c - the bytes of a text part as UTF-8, and uuencoded files
 * inside it.
 *
 * GMime's own g_mime_text_part_get_text() passes the bytes through
 * unconverted (and warns) when it cannot open the declared charset, and its
 * charset filter drops every byte the charset cannot decode without a
 * trace ("Frösche" mislabelled as UTF-8 came out as "Frsche").  Mail is
 * full of both, so the conversion is done here: an undecodable byte
 * becomes U+FFFD, and text that is plainly not in its declared UTF-8 (or
 * in no declared charset) is read as windows-1252.
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "mime_private.h"

#define TEXT_REPLACEMENT "\xef\xbf\xbd"   /* U+FFFD in UTF-8 */
/* Real uuencoded mail has one or two files; more is a pasted archive. */
#define MIME_UU_MAX_FILES 100

/* A Shift_JIS/CP932 lead byte: the first of a two-byte character. */
static int
text_is_sjis_lead(unsigned char c)
{
	return (c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc);
}

/*
 * Convert with iconv; an undecodable byte becomes U+FFFD, never a stop.
 * With pairs (Shift_JIS), an undecodable lead byte takes its second byte
 * with it, so the rest is not read one byte out of step.
 */
static void
text_iconv_lenient(iconv_t cd, const char *data, size_t len, GString *out,
		   int pairs)
{
	char buf[4096], *in = (char *)data, *o;
	size_t inleft = len, oleft;

	while (inleft > 0) {
		o = buf;
		oleft = sizeof(buf);
		if (iconv(cd, &in, &inleft, &o, &oleft) != (size_t)-1) {
			g_string_append_len(out, buf, o - buf);
			break;
		}
		g_string_append_len(out, buf, o - buf);
		if (errno == E2BIG)
			continue;
		/* EILSEQ, or EINVAL for a sequence cut off at the end. */
		g_string_append(out, TEXT_REPLACEMENT);
		if (pairs && inleft >= 2 && text_is_sjis_lead((unsigned char)*in)) {
			in++;
			inleft--;
		}
		in++;
		inleft--;
	}
	/* Stateful charsets (ISO-2022-JP, UTF-7) may hold a last character. */
	o = buf;
	oleft = sizeof(buf);
	if (iconv(cd, NULL, NULL, &o, &oleft) != (size_t)-1)
		g_string_append_len(out, buf, o - buf);
}

/*
 * Does data carry UTF-8 at all?  Text declared UTF-8 (or not declared)
 * whose every 8-bit byte is invalid UTF-8 is Latin-1/windows-1252 that a
 * mailer mislabelled; text with some valid sequences is UTF-8 with damage.
 */
static int
text_has_utf8_sequences(const char *data, size_t len)
{
	const char *p = data, *end;

	if (data == NULL)  /* NULL + 0 is undefined */
		return 0;
	end = data + len;
	while (p < end) {
		gunichar c;

		if ((unsigned char)*p < 0x80) {
			p++;
			continue;
		}
		c = g_utf8_get_char_validated(p, end - p);
		if (c != (gunichar)-1 && c != (gunichar)-2)
			return 1;
		p++;
	}
	return 0;
}

static int
text_is_utf8_family(const char *charset)
{
	const char *canon;

	if (charset == NULL || charset[0] == '\0')
		return 1;
	canon = g_mime_charset_canon_name(charset);
	return g_ascii_strcasecmp(canon, "utf-8") == 0 ||
	       g_ascii_strcasecmp(canon, "us-ascii") == 0;
}

static void
text_convert_with(const char *data, size_t len, const char *charset,
		  GString *out)
{
	iconv_t cd = g_mime_iconv_open("UTF-8", charset);

	if (cd == (iconv_t)-1) {
		/* Not even windows-1252: keep what is UTF-8, mark the rest. */
		char *valid = g_utf8_make_valid(data, (gssize)len);

		g_string_append(out, valid);
		g_free(valid);
		return;
	}
	text_iconv_lenient(cd, data, len, out, 0);
	g_mime_iconv_close(cd);
}

/* Drop NUL characters so the result is one C string. */
static char *
text_finish(GString *out)
{
	char *valid;
	gsize w = 0;

	for (gsize r = 0; r < out->len; r++)
		if (out->str[r] != '\0')
			out->str[w++] = out->str[r];
	g_string_truncate(out, w);
	/* iconv output is UTF-8 already; this is the last line of defence. */
	valid = g_utf8_make_valid(out->str, (gssize)out->len);
	g_string_free(out, TRUE);
	return valid;
}

/* ---- ISO-2022-JP as Microsoft writes it (CP50221) ------------------------ */

/*
 * Outlook and Japanese webmail write ISO-2022-JP with the NEC and IBM
 * extension characters of CP932 (circled digits, roman numerals, "㈱"),
 * which glibc's ISO-2022-JP refuses (and with them the rest of the
 * line).  glibc has no CP50221, so each JIS X 0208 pair is moved to its
 * Shift_JIS place and the whole read as CP932, which has them all.
 */
static int
text_is_iso2022jp(const char *charset)
{
	static const char *const names[] = {
		"iso-2022-jp", "csiso2022jp", "iso-2022-jp-ms", "cp50220",
		"cp50221", "cp50222",
	};

	for (size_t i = 0; charset != NULL && i < G_N_ELEMENTS(names); i++)
		if (g_ascii_strcasecmp(charset, names[i]) == 0)
			return 1;
	return 0;
}

enum jis_mode { JIS_ASCII, JIS_KANA, JIS_X0208, JIS_UNREAD };

/* The mode an escape sequence at p selects, and its length in *n; 0 if
 * p holds no escape we know. */
static int
jis_escape(const unsigned char *p, size_t left, enum jis_mode *mode,
	   size_t *n)
{
	if (left >= 3 && p[1] == '(') {
		*mode = p[2] == 'I' ? JIS_KANA : JIS_ASCII; /* B, J, H */
		*n = 3;
	} else if (left >= 3 && p[1] == '$' && (p[2] == '@' || p[2] == 'B')) {
		*mode = JIS_X0208;
		*n = 3;
	} else if (left >= 4 && p[1] == '$' && p[2] == '(') {
		/* JIS X 0212/0213: no CP932 place; read as U+FFFD pairs */
		*mode = p[3] == 'B' || p[3] == '@' ? JIS_X0208 : JIS_UNREAD;
		*n = 4;
	} else if (left >= 3 && p[1] == '&' && p[2] == '@') {
		*n = 3; /* JIS X 0208-1990 announcer: no change of mode */
	} else {
		return 0;
	}
	return 1;
}

/* A JIS X 0208 row/cell pair at its Shift_JIS place. */
static void
jis_pair_to_sjis(unsigned char j1, unsigned char j2, GString *sjis)
{
	unsigned char s1 = (unsigned char)(((j1 + 1) >> 1) +
					   (j1 <= 0x5e ? 0x70 : 0xb0));
	unsigned char s2 = (unsigned char)(j2 + ((j1 & 1)
		? (j2 >= 0x60 ? 0x20 : 0x1f) : 0x7e));

	g_string_append_c(sjis, (char)s1);
	g_string_append_c(sjis, (char)s2);
}

static void
jis_flush(iconv_t cd, GString *sjis, GString *out)
{
	text_iconv_lenient(cd, sjis->str, sjis->len, out, 1);
	g_string_truncate(sjis, 0);
}

/* One double-byte step at p: two bytes as a character or one U+FFFD. */
static size_t
jis_double(iconv_t cd, const unsigned char *p, size_t left,
	   enum jis_mode mode, GString *sjis, GString *out)
{
	int pair = left >= 2 && p[0] >= 0x21 && p[0] <= 0x7e &&
		   p[1] >= 0x21 && p[1] <= 0x7e;

	if (pair && mode == JIS_X0208) {
		jis_pair_to_sjis(p[0], p[1], sjis);
		return 2;
	}
	jis_flush(cd, sjis, out);
	g_string_append(out, TEXT_REPLACEMENT);
	return pair ? 2 : 1;
}

static void
text_jis_decode(iconv_t cd, const unsigned char *p, size_t len, GString *out)
{
	GString *sjis = g_string_new(NULL);
	enum jis_mode mode = JIS_ASCII;
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = p[i];

		if (c == 0x1b && jis_escape(p + i, len - i, &mode, &n)) {
			i += n;
		} else if (c == 0x0e || c == 0x0f) { /* SO/SI: CP50221 kana */
			mode = c == 0x0e ? JIS_KANA : JIS_ASCII;
			i++;
		} else if (c == '\r' || c == '\n' || mode == JIS_ASCII) {
			/* A line break ends a run whose ESC ( B was lost. */
			if (c == '\r' || c == '\n')
				mode = JIS_ASCII;
			g_string_append_c(sjis, (char)c);
			i++;
		} else if (mode == JIS_KANA) {
			g_string_append_c(sjis, (char)(c >= 0x21 && c <= 0x5f
						       ? c | 0x80 : c));
			i++;
		} else {
			i += jis_double(cd, p + i, len - i, mode, sjis, out);
		}
	}
	jis_flush(cd, sjis, out);
	g_string_free(sjis, TRUE);
}

/*
 * ISO-2022-JP is 7-bit: 8-bit bytes under that label are UTF-8 or, from
 * Japanese mailers, Shift_JIS (read as CP932).
 */
static void
text_iso2022jp(const char *data, size_t len, GString *out)
{
	iconv_t cd = g_mime_iconv_open("UTF-8", "CP932");
	int eight_bit = 0;

	for (size_t i = 0; i < len && !eight_bit; i++)
		eight_bit = (unsigned char)data[i] >= 0x80;
	if (eight_bit && g_utf8_validate(data, (gssize)len, NULL))
		g_string_append_len(out, data, (gssize)len);
	else if (cd == (iconv_t)-1)
		text_convert_with(data, len, "ISO-2022-JP", out);
	else if (eight_bit)
		text_iconv_lenient(cd, data, len, out, 1);
	else
		text_jis_decode(cd, (const unsigned char *)data, len, out);
	if (cd != (iconv_t)-1)
		g_mime_iconv_close(cd);
}

char *
mime_text_to_utf8(const char *data, size_t len, const char *charset)
{
	GString *out = g_string_sized_new(len + 1);
	iconv_t cd = (iconv_t)-1;

	if (data == NULL)
		len = 0;
	if (text_is_iso2022jp(charset)) {
		text_iso2022jp(data, len, out);
		return text_finish(out);
	}
	if (!text_is_utf8_family(charset))
		cd = g_mime_iconv_open("UTF-8", charset);
	if (cd != (iconv_t)-1) {
		text_iconv_lenient(cd, data, len, out, 0);
		g_mime_iconv_close(cd);
	} else if (g_utf8_validate(data, (gssize)len, NULL)) {
		g_string_append_len(out, data, (gssize)len);
	} else if (text_has_utf8_sequences(data, len)) {
		char *valid = g_utf8_make_valid(data, (gssize)len);

		g_string_append(out, valid);
		g_free(valid);
	} else {
		text_convert_with(data, len, "windows-1252", out);
	}
	return text_finish(out);
}

/* No U+FFFD, C0/C1 controls (but tab and line breaks) or private use. */
static int
text_plausible(const char *utf8)
{
	for (const char *p = utf8; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar u = g_utf8_get_char(p);

		if (u == 0xfffd || (u < 0x20 && u != '\t' && u != '\n' &&
				    u != '\r') || (u >= 0x7f && u <= 0x9f) ||
		    (u >= 0xe000 && u <= 0xf8ff))
			return 0;
	}
	return 1;
}

char *
mime_text_to_utf8_strict(const char *data, size_t len, const char *charset)
{
	char *u;

	if (text_is_utf8_family(charset))
		return g_utf8_validate(data, (gssize)len, NULL)
			? g_strndup(data, len) : NULL;
	if (!text_is_iso2022jp(charset)) {
		iconv_t cd = g_mime_iconv_open("UTF-8", charset);

		if (cd == (iconv_t)-1)
			return NULL;
		g_mime_iconv_close(cd);
	}
	u = mime_text_to_utf8(data, len, charset);
	if (!text_plausible(u)) {
		g_free(u);
		return NULL;
	}
	return u;
}

/* ---- cleaning --------------------------------------------------------- */

char *
mime_clean_text(const char *text, gssize len)
{
	char *valid, *out, *o;

	if (text == NULL)
		return g_strdup("");
	if (len < 0)
		len = (gssize)strlen(text);
	valid = g_utf8_make_valid(text, len);
	out = o = g_malloc(strlen(valid) + 1);
	for (const char *p = valid; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\r') {
			if (p[1] != '\n')
				*o++ = '\n';
		} else if (c >= 0x20 || c == '\n' || c == '\t') {
			if (c != 0x7f)
				*o++ = (char)c;
		}
	}
	*o = '\0';
	g_free(valid);
	return out;
}

char *
mime_clean_header(const char *value)
{
	char *valid, *out, *o;
	int space = 1;

	if (value == NULL)
		return NULL;
	valid = g_utf8_make_valid(value, -1);
	out = o = g_malloc(strlen(valid) + 1);
	/* Fold every control character (CR, LF, TAB, ...) into one space:
	 * a header value can never carry a line break out of here. */
	for (const char *p = valid; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (!space)
				*o++ = ' ';
			space = 1;
		} else {
			*o++ = (char)c;
			space = 0;
		}
	}
	while (o > out && o[-1] == ' ')
		o--;
	*o = '\0';
	g_free(valid);
	return out;
}

char *
mime_safe_filename(const char *name)
{
	char *clean, *p;
	GString *out;

	if (name == NULL)
		return NULL;
	clean = mime_clean_header(name);
	/* Keep only the last path component a sender may have sent. */
	p = clean + strlen(clean);
	while (p > clean && p[-1] != '/' && p[-1] != '\\')
		p--;
	while (*p == '.' || *p == ' ')
		p++;
	out = g_string_new(NULL);
	for (; *p != '\0' && out->len < 200; p = g_utf8_next_char(p)) {
		gunichar u = g_utf8_get_char(p);

		if (u == ':' || u == '*' || u == '?' || u == '"' ||
		    u == '<' || u == '>' || u == '|')
			g_string_append_c(out, '_');
		else
			g_string_append_unichar(out, u);
	}
	g_free(clean);
	if (out->len == 0) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

/* ---- uuencode ---------------------------------------------------------- */

void
mime_uu_file_free(gpointer p)
{
	struct mime_uu_file *f = p;

	g_free(f->name);
	if (f->data != NULL)
		g_bytes_unref(f->data);
	g_free(f);
}

/* "begin 644 name": the name (maybe "") or NULL if line is no begin line. */
static char *
uu_begin_name(const char *line, size_t len)
{
	size_t i = 6, digits = 0;

	if (len < 9 || strncmp(line, "begin ", 6) != 0)
		return NULL;
	while (i < len && line[i] >= '0' && line[i] <= '7') {
		i++;
		digits++;
	}
	if (digits < 3 || digits > 4 || (i < len && line[i] != ' '))
		return NULL;
	while (i < len && line[i] == ' ')
		i++;
	return g_strstrip(g_strndup(line + i, len - i));
}

/* A uuencoded line: a length character, then only uu characters. */
static int
uu_is_data_line(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (line[i] < ' ' || line[i] > '`')
			return 0;
	return len > 0;
}

static size_t
uu_line_len(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl != NULL ? (size_t)(nl - p) : strlen(p);
}

/*
 * The block whose begin line is at `begin`: its data lines up to an "end"
 * line.  Returns where the text after the block starts, or NULL when the
 * block is not well formed (then it stays in the text as it is).
 */
static const char *
uu_decode_block(const char *begin, struct mime_uu_file *f)
{
	const char *p = begin + uu_line_len(begin), *data;
	GByteArray *out;
	int state = GMIME_UUDECODE_STATE_BEGIN;
	guint32 save = 0;
	size_t n;

	if (*p == '\n')
		p++;
	data = p;
	while (*p != '\0' && strncmp(p, "end", 3) != 0) {
		if (!uu_is_data_line(p, uu_line_len(p)))
			return NULL;
		p += uu_line_len(p);
		if (*p == '\n')
			p++;
	}
	n = uu_line_len(p);
	if (*p == '\0' || n < 3 || strspn(p + 3, " \t") != n - 3 || p == data)
		return NULL;
	out = g_byte_array_sized_new((guint)(p - data));
	g_byte_array_set_size(out, (guint)(p - data));
	n = g_mime_encoding_uudecode_step((const unsigned char *)data,
					  (size_t)(p - data), out->data,
					  &state, &save);
	g_byte_array_set_size(out, (guint)n);
	f->data = g_byte_array_free_to_bytes(out);
	p += uu_line_len(p);
	return *p == '\n' ? p + 1 : p;
}

char *
mime_uu_extract(const char *text, GPtrArray *files_r)
{
	GString *rest = NULL;
	const char *p = text, *kept = text;

	while (*p != '\0' && files_r->len < MIME_UU_MAX_FILES) {
		size_t n = uu_line_len(p);
		char *name = uu_begin_name(p, n);
		struct mime_uu_file f = { 0 };
		const char *after = name != NULL ? uu_decode_block(p, &f) : NULL;

		if (after == NULL) {
			g_free(name);
			p += n;
			if (*p == '\n')
				p++;
			continue;
		}
		if (rest == NULL)
			rest = g_string_new(NULL);
		g_string_append_len(rest, kept, p - kept);
		if (name[0] != '\0')
			f.name = g_steal_pointer(&name);
		g_free(name);
		g_ptr_array_add(files_r, g_memdup2(&f, sizeof(f)));
		/* The blank line around the block goes with it. */
		if (*after == '\n' && g_str_has_suffix(rest->str, "\n\n"))
			after++;
		p = kept = after;
	}
	if (rest == NULL)
		return NULL;
	g_string_append(rest, kept);
	return g_string_free(rest, FALSE);
}
