/*
 * html2text_input.c - what html2text hands to libxml2: bounded, valid
 * UTF-8, and cut in front of a tag whose attributes would make libxml2's
 * quadratic duplicate check cost too much.
 */
#include "casemail/html2text.h"

#include <string.h>

#include "html2text_private.h"

/*
 * libxml2 (2.9.14) checks each new attribute of a tag against all the
 * earlier ones: 40,000 distinct attributes in one tag took 1.6 s, and 8 MB
 * of them would take many minutes.  We estimate those comparisons before
 * parsing and cut the input in front of the tag that overdraws this
 * budget (about 30 ms of comparing).  Real mail spends a few million.
 */
#define MAX_ATTR_COST (16L * 1024 * 1024)

static gboolean
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Where libxml2's HTMLparser.c lets attribute and tag names begin. */
static gboolean
is_name_start(char c)
{
	return g_ascii_isalpha(c) || c == '_' || c == ':' || c == '.';
}

static gboolean
is_name_char(char c)
{
	return is_name_start(c) || g_ascii_isdigit(c) || c == '-';
}

/*
 * Skip one attribute (or bogus token) inside a tag at s[i], tokenizing
 * the way libxml2 does: name, optional "= value", a value quoted only
 * right after '='.  Returns the next index; *named says a name was seen.
 */
static size_t
skip_attribute(const char *s, size_t len, size_t i, gboolean *named)
{
	*named = is_name_start(s[i]);
	if (!*named) {
		while (i < len && !is_blank(s[i]) && s[i] != '>')
			i++;
		return i;
	}
	while (i < len && is_name_char(s[i]))
		i++;
	while (i < len && is_blank(s[i]))
		i++;
	if (i >= len || s[i] != '=')
		return i;
	for (i++; i < len && is_blank(s[i]); i++)
		;
	if (i < len && (s[i] == '"' || s[i] == '\'')) {
		const char *end = memchr(s + i + 1, s[i], len - i - 1);

		return end != NULL ? (size_t)(end - s) + 1 : len;
	}
	while (i < len && !is_blank(s[i]) && s[i] != '>')
		i++;
	return i;
}

/* Scan the tag opening at s[i] ('<' + name); count its attributes. */
static size_t
scan_tag(const char *s, size_t len, size_t i, long *attrs_r)
{
	gboolean named;

	*attrs_r = 0;
	for (i++; i < len && is_name_char(s[i]); i++)
		;
	while (i < len && s[i] != '>') {
		if (is_blank(s[i]) || s[i] == '/') {
			i++;
			continue;
		}
		i = skip_attribute(s, len, i, &named);
		*attrs_r += named;
	}
	return i;
}

/*
 * Length of the input worth parsing: all of it, or up to the tag that
 * would overdraw MAX_ATTR_COST.  Comments are skipped as libxml2 skips
 * them; anything else we mistake for a tag (in a script, say) only
 * makes the estimate higher, never lower.
 */
static size_t
affordable_len(const char *s, size_t len)
{
	long cost = 0, n;
	size_t i = 0, start;

	while (i < len) {
		const char *lt = memchr(s + i, '<', len - i);

		if (lt == NULL)
			break;
		start = i = (size_t)(lt - s);
		if (len - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
			const char *end = g_strstr_len(s + i + 4,
						       (gssize)(len - i - 4),
						       "-->");

			i = end != NULL ? (size_t)(end - s) + 3 : len;
			continue;
		}
		if (i + 1 >= len || !is_name_start(s[i + 1])) {
			i++;
			continue;
		}
		i = scan_tag(s, len, i, &n);
		cost += n * (n - 1) / 2;
		if (cost > MAX_ATTR_COST)
			return start;
	}
	return len;
}

/*
 * The input we hand to libxml2: at most HTML2TEXT_MAX_INPUT bytes, cut on
 * a character boundary, without a byte order mark (libxml2 would show it
 * as text), and valid UTF-8 (libxml2 versions differ in what they do with
 * bad bytes; some switch the whole document to Latin-1).  Returns a copy
 * in *copy_r when one was needed.
 */
const char *
html2text_sane_input(const char *html, size_t *len, gboolean *cut_r,
		     char **copy_r)
{
	size_t n;

	*cut_r = *len > HTML2TEXT_MAX_INPUT;
	*copy_r = NULL;
	if (*cut_r) {
		*len = HTML2TEXT_MAX_INPUT;
		while (*len > 0 && ((unsigned char)html[*len] & 0xC0) == 0x80)
			(*len)--;
	}
	if (*len >= 3 && memcmp(html, "\xEF\xBB\xBF", 3) == 0) {
		html += 3;
		*len -= 3;
	}
	if (!g_utf8_validate_len(html, *len, NULL)) {
		*copy_r = g_utf8_make_valid(html, (gssize)*len);
		html = *copy_r;
		*len = strlen(html);
	}
	n = affordable_len(html, *len);
	*cut_r = *cut_r || n < *len;
	*len = n;
	return html;
}
