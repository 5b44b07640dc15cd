/*
 * mime_addr.c - an address field read when GMime reads it short.
 *
 * GMime's address parser drops a whole mailbox it cannot read: a display
 * name with unquoted specials ("[EXT] Bob <bob@x>", "Ops: Night <n@x>"),
 * an address with raw 8-bit bytes, the old form "Name (user@host)".  When
 * it returns fewer mailboxes with an address than the field holds
 * addr-specs, the field is read again: first as UTF-8 (raw bytes through
 * mime_text_to_utf8), then by the lenient reader here, which splits the
 * field into mailboxes at the commas that follow an address and takes
 * each mailbox's address from its angle brackets, else its bare
 * addr-spec, else the addr-spec in its comment.  Whichever reading finds
 * more addresses wins; GMime's on a tie.
 */
#include <string.h>

#include "mime_private.h"

/* Is c a character an addr-spec may have right before or after its @? */
static int
addr_spec_char(char c)
{
	return c != '\0' && (unsigned char)c > ' ' &&
	       strchr("<>()[],;:\"@\\", c) == NULL;
}

/* The addr-specs of value: every @ outside quoted strings with an
 * address character on both sides (a domain literal may follow). */
static int
addr_count_specs(const char *value)
{
	int n = 0, quoted = 0;

	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == '@' && !quoted && p > value &&
			 addr_spec_char(p[-1]) &&
			 (addr_spec_char(p[1]) || p[1] == '['))
			n++;
	}
	return n;
}

/* Mailboxes of list (groups included) whose address has an @. */
static int
addr_count_read(InternetAddressList *list, int depth)
{
	int n = list != NULL ? internet_address_list_length(list) : 0, got = 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		const char *a;

		if (INTERNET_ADDRESS_IS_GROUP(ia) && depth < 2)
			got += addr_count_read(internet_address_group_get_members(
				INTERNET_ADDRESS_GROUP(ia)), depth + 1);
		else if (INTERNET_ADDRESS_IS_MAILBOX(ia) &&
			 (a = internet_address_mailbox_get_addr(
				  INTERNET_ADDRESS_MAILBOX(ia))) != NULL &&
			 strchr(a, '@') != NULL)
			got++;
	}
	return got;
}

/* The addr-spec around the first counted @ of s[0, n), or NULL. */
static char *
addr_find_spec(const char *s, size_t n)
{
	for (size_t i = 1; i + 1 < n; i++) {
		size_t b = i, e = i + 1;

		if (s[i] != '@' || !addr_spec_char(s[i - 1]) ||
		    !(addr_spec_char(s[i + 1]) || s[i + 1] == '['))
			continue;
		while (b > 0 && addr_spec_char(s[b - 1]))
			b--;
		while (e < n && (addr_spec_char(s[e]) || s[e] == '[' ||
				 s[e] == ']' || s[e] == '@'))
			e++;
		return g_strndup(s + b, e - b);
	}
	return NULL;
}

/* The display name: what is left of the mailbox, quotes and comment
 * parentheses taken off, encoded words decoded.  NULL if blank. */
static char *
addr_name(const char *s, size_t n, GMimeParserOptions *opts)
{
	GString *raw = g_string_new(NULL);
	char *name;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			g_string_append_c(raw, s[++i]);
		else if (s[i] != '"' && s[i] != '(' && s[i] != ')')
			g_string_append_c(raw, s[i]);
	}
	g_strstrip(raw->str);
	name = raw->str[0] != '\0'
		? g_mime_utils_header_decode_phrase(opts, raw->str) : NULL;
	g_string_free(raw, TRUE);
	return name;
}

/* The part of s[0, n) outside parentheses (comments) as a new string. */
static char *
addr_outside_comments(const char *s, size_t n)
{
	GString *out = g_string_new(NULL);
	int depth = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0)
			g_string_append_c(out, s[i]);
	}
	return g_string_free(out, FALSE);
}

/* One mailbox from s[0, n): appended to list when it has an address. */
static void
addr_read_mailbox(InternetAddressList *list, const char *s, size_t n,
		  GMimeParserOptions *opts)
{
	const char *lt = memchr(s, '<', n);
	const char *gt = lt != NULL ? memchr(lt, '>', n - (size_t)(lt - s)) : NULL;
	char *outside = addr_outside_comments(s, n);
	char *addr = NULL, *name = NULL;
	InternetAddress *ia;

	if (lt != NULL && gt != NULL &&
	    (addr = addr_find_spec(lt + 1, (size_t)(gt - lt - 1))) != NULL) {
		name = addr_name(s, (size_t)(lt - s), opts);
	} else if ((addr = addr_find_spec(outside, strlen(outside))) != NULL) {
		/* "user@host (Name)": the name is in the comment */
		const char *open = memchr(s, '(', n);
		const char *close = open != NULL
			? memchr(open, ')', n - (size_t)(open - s)) : NULL;

		if (close != NULL)
			name = addr_name(open + 1, (size_t)(close - open - 1),
					 opts);
	} else if ((addr = addr_find_spec(s, n)) != NULL) {
		/* "Name (user@host)": the address is in the comment */
		name = addr_name(outside, strlen(outside), opts);
	}
	if (addr != NULL) {
		ia = internet_address_mailbox_new(name, addr);
		internet_address_list_add(list, ia);
		g_object_unref(ia);
	}
	g_free(addr);
	g_free(name);
	g_free(outside);
}

/*
 * The lenient reader: a comma or semicolon outside quotes, brackets and
 * comments ends a mailbox only once the mailbox has an @ ("Doe, Jane
 * <j@x>" is one mailbox).
 */
static InternetAddressList *
addr_read_lenient(const char *value, GMimeParserOptions *opts)
{
	InternetAddressList *list = internet_address_list_new();
	const char *start = value;
	int quoted = 0, angle = 0, comment = 0, has_at = 0;

	for (const char *p = value;; p++) {
		if (*p == '\0' || ((*p == ',' || *p == ';') && !quoted &&
				   !angle && comment == 0 && has_at)) {
			addr_read_mailbox(list, start, (size_t)(p - start),
					  opts);
			if (*p == '\0')
				break;
			start = p + 1;
			has_at = 0;
		} else if (*p == '\\' && p[1] != '\0') {
			p++;
		} else if (*p == '"' && comment == 0) {
			quoted = !quoted;
		} else if (!quoted && *p == '(') {
			comment++;
		} else if (!quoted && *p == ')' && comment > 0) {
			comment--;
		} else if (!quoted && comment == 0 && (*p == '<' || *p == '>')) {
			angle = *p == '<';
		} else if (*p == '@' && !quoted) {
			has_at = 1;
		}
	}
	return list;
}

/* Keep whichever of *best (read *got) and cand reads more addresses. */
static void
addr_keep_better(InternetAddressList **best, int *got,
		 InternetAddressList *cand)
{
	int n = addr_count_read(cand, 0);

	if (cand != NULL && n > *got) {
		if (*best != NULL)
			g_object_unref(*best);
		*best = cand;
		*got = n;
	} else if (cand != NULL) {
		g_object_unref(cand);
	}
}

InternetAddressList *
mime_addr_parse(const char *value, GMimeParserOptions *opts)
{
	InternetAddressList *list = internet_address_list_parse(opts, value);
	int want = addr_count_specs(value);
	int got = addr_count_read(list, 0);
	char *utf8 = NULL;

	if (got >= want)
		return list;
	if (!g_utf8_validate(value, -1, NULL)) {
		utf8 = mime_text_to_utf8(value, strlen(value), NULL);
		addr_keep_better(&list, &got,
				 internet_address_list_parse(opts, utf8));
	}
	if (got < want)
		addr_keep_better(&list, &got, addr_read_lenient(
			utf8 != NULL ? utf8 : value, opts));
	g_free(utf8);
	return list;
}
