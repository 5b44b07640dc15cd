/* thread.c - case numbers in subjects and addresses. */
#include "casemail/thread.h"

#include <string.h>

#include "casemail/casenum.h"
#include "casemail/mime.h"

/* Reply and forward prefixes of the mailers our users have. */
static const char *const thread_prefixes[] = {
	"re", "fwd", "fw", "aw", "sv", "tr", "wg", "vs", "rif", "ref", "antw",
	"odp", "r", "enc", "res", NULL,
};

/* A subject naming more cases than this is no reply to any of them: the
 * rest are not looked at (each found one costs the store a lookup). */
#define THREAD_MAX_SUBJECT_CASES 100

static void
thread_add_unique(GArray *ids, int64_t id)
{
	for (guint i = 0; i < ids->len; i++)
		if (g_array_index(ids, int64_t, i) == id)
			return;
	if (ids->len < THREAD_MAX_SUBJECT_CASES)
		g_array_append_val(ids, id);
}

/*
 * Scan subject for prefix+digits tokens with word boundaries on both sides;
 * bracketed != 0 takes only "[...]" ones, else only bare ones.
 */
static void
thread_scan(const struct config *cfg, const char *subject, int bracketed,
	    GArray *ids)
{
	size_t plen = strlen(cfg->case_prefix);

	for (const char *p = subject; *p != '\0'; p++) {
		const char *d = p + plen, *e;
		int boxed;
		int64_t id;
		char tok[CASENUM_BUF_SIZE];

		if (g_ascii_strncasecmp(p, cfg->case_prefix, plen) != 0 ||
		    (p > subject && g_ascii_isalnum(p[-1])))
			continue;
		for (e = d; g_ascii_isdigit(*e); e++)
			;
		if (e == d || g_ascii_isalnum(*e) || (size_t)(e - p) >= sizeof(tok))
			continue;
		boxed = p > subject && p[-1] == '[' && *e == ']';
		if (boxed != bracketed)
			continue;
		memcpy(tok, p, (size_t)(e - p));
		tok[e - p] = '\0';
		if (casenum_parse(cfg->case_prefix, tok, &id, NULL) == 0)
			thread_add_unique(ids, id);
	}
}

GArray *
thread_subject_cases(const struct config *cfg, const char *subject)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));

	if (subject == NULL)
		return ids;
	thread_scan(cfg, subject, 1, ids);
	thread_scan(cfg, subject, 0, ids);
	return ids;
}

int
thread_is_case_address(const struct config *cfg, const char *address)
{
	const char *at, *cat;
	size_t local;

	if (cfg->case_address == NULL || address == NULL)
		return 0;
	if (g_ascii_strcasecmp(address, cfg->case_address) == 0)
		return 1;
	at = strrchr(address, '@');
	cat = strrchr(cfg->case_address, '@');
	local = (size_t)(cat - cfg->case_address);
	return at != NULL && g_ascii_strcasecmp(at, cat) == 0 &&
	       g_ascii_strncasecmp(address, cfg->case_address, local) == 0 &&
	       address[local] == '+';
}

/*
 * The case id that address names after tag in its plus part
 * ("cases+<tag>CV000123@..."), or 0 when address is no plus address of
 * the case mailbox, lacks the tag or names no case number.  With token_r
 * a "-<token>" may follow the number: *token_r gets the token (new
 * string, NULL when none); without token_r nothing may follow.
 */
static int64_t
thread_plus_token_case(const struct config *cfg, const char *address,
		       const char *tag, char **token_r)
{
	size_t tlen = strlen(tag);
	const char *plus, *at, *end;
	char tok[CASENUM_BUF_SIZE];
	int64_t id;

	if (!thread_is_case_address(cfg, address) ||
	    (plus = strchr(address, '+')) == NULL ||
	    (at = strrchr(address, '@')) == NULL ||
	    g_ascii_strncasecmp(plus + 1, tag, tlen) != 0)
		return 0;
	plus += tlen;
	if (at <= plus)
		return 0;
	end = at;
	if (token_r != NULL) {
		const char *dash = memchr(plus + 1, '-', (size_t)(at - plus - 1));

		if (dash != NULL)
			end = dash;
	}
	if (end - plus - 1 <= 0 || (size_t)(end - plus) >= sizeof(tok))
		return 0;
	memcpy(tok, plus + 1, (size_t)(end - plus - 1));
	tok[end - plus - 1] = '\0';
	if (casenum_parse(cfg->case_prefix, tok, &id, NULL) != 0)
		return 0;
	if (token_r != NULL && end < at)
		*token_r = g_strndup(end + 1, (gsize)(at - end - 1));
	return id;
}

/* The first case id a plus address among addresses names after tag (and
 * its token, as for thread_plus_token_case()). */
static int64_t
thread_plus_tag_case(const struct config *cfg, GPtrArray *addresses,
		     const char *tag, char **token_r)
{
	for (guint i = 0; i < addresses->len; i++) {
		const struct mime_address *a = addresses->pdata[i];
		int64_t id = thread_plus_token_case(cfg, a->address, tag,
						    token_r);

		if (id != 0)
			return id;
	}
	return 0;
}

int64_t
thread_plus_case(const struct config *cfg, GPtrArray *addresses)
{
	return thread_plus_tag_case(cfg, addresses, "", NULL);
}

int64_t
thread_unsubscribe_case(const struct config *cfg, GPtrArray *addresses,
			char **token_r)
{
	*token_r = NULL;
	return thread_plus_tag_case(cfg, addresses, THREAD_UNSUBSCRIBE_TAG,
				    token_r);
}

/* Length of one leading "Re:"/"Fwd[2]:"/"AW :" prefix at s, or 0. */
static size_t
thread_prefix_len(const char *s)
{
	for (int i = 0; thread_prefixes[i] != NULL; i++) {
		size_t n = strlen(thread_prefixes[i]);
		const char *p = s + n;

		if (g_ascii_strncasecmp(s, thread_prefixes[i], n) != 0)
			continue;
		if (*p == '[') {  /* "Re[2]:" */
			while (g_ascii_isdigit(*++p))
				;
			if (*p++ != ']')
				continue;
		}
		while (*p == ' ')
			p++;
		if (*p == ':')
			return (size_t)(p + 1 - s);
	}
	return 0;
}

/* Drop the "[CV000123]" tags: one pass, each byte copied at most once
 * (erasing in place would move the rest once per tag). */
static void
thread_strip_tags(const struct config *cfg, GString *s)
{
	size_t plen = strlen(cfg->case_prefix);
	gsize out = 0;

	for (gsize i = 0; i < s->len;) {
		gsize j = i + 1 + plen;

		if (s->str[i] == '[' &&
		    g_ascii_strncasecmp(s->str + i + 1, cfg->case_prefix,
					plen) == 0) {
			while (j < s->len && g_ascii_isdigit(s->str[j]))
				j++;
			if (j < s->len && s->str[j] == ']' && j > i + 1 + plen) {
				i = j + 1;
				continue;
			}
		}
		s->str[out++] = s->str[i++];
	}
	g_string_truncate(s, out);
}

char *
thread_clean_subject(const struct config *cfg, const char *subject)
{
	GString *s = g_string_new(subject != NULL ? subject : "");
	const char *p;
	size_t n;

	thread_strip_tags(cfg, s);
	/* Prefixes are skipped, not erased one by one: a megabyte of "Re: "
	 * costs one pass. */
	for (p = s->str;; p += n) {
		while (*p == ' ' || *p == '\t')
			p++;
		if ((n = thread_prefix_len(p)) == 0)
			break;
	}
	g_string_erase(s, 0, (gssize)(p - s->str));
	g_strstrip(s->str);
	s->len = strlen(s->str);
	if (s->len == 0)
		g_string_assign(s, "(no subject)");
	return g_string_free(s, FALSE);
}
