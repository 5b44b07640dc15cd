/*
 * authres.c - the Authentication-Results header (RFC 8601, section 2.2)
 * by recursive descent over one bounded string.
 *
 * The grammar, shortened:
 *   payload  = [CFWS] authserv-id [CFWS version] (";" "none" / 1*resinfo)
 *   resinfo  = ";" method ["/" version] "=" result ["reason" "=" value]
 *              *(ptype "." property "=" pvalue)
 * with comments "(...)" anywhere between the parts.  Two leniencies,
 * both seen from real servers: a header that starts with a result has no
 * authserv-id (Microsoft 365), and a bare "key=value" after a result is
 * kept as a property of ptype "" (Microsoft's "action=none").  An empty
 * resinfo (";;" or a trailing ";") is skipped.  Everything else that is
 * not the grammar refuses the whole header.
 */
#include "casemail/authres.h"

#include <string.h>

#include "casemail/record.h"

struct authres_cursor {
	const char *p;
	int depth_error;     /* a comment nested too deep or not closed */
};

static int
authres_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
authres_is_keyword_char(char c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '_';
}

/* A value stops at these (and at white space and control characters). */
static int
authres_is_value_char(char c)
{
	return (unsigned char)c > ' ' && c != 0x7f && c != ';' && c != '(' &&
	       c != ')' && c != '"';
}

/* Skip white space and comments (nested, with quoted pairs). */
static void
authres_cfws(struct authres_cursor *c)
{
	for (;;) {
		int depth = 0;

		while (authres_is_space(*c->p))
			c->p++;
		if (*c->p != '(')
			return;
		do {
			if (*c->p == '\0') {
				c->depth_error = 1;
				return;
			}
			if (*c->p == '\\' && c->p[1] != '\0')
				c->p++;
			else if (*c->p == '(' &&
				 ++depth > AUTHRES_MAX_COMMENT_DEPTH) {
				c->depth_error = 1;
				return;
			} else if (*c->p == ')') {
				depth--;
			}
			c->p++;
		} while (depth > 0);
	}
}

/* A keyword in lower case, or NULL when there is none at the cursor. */
static char *
authres_keyword(struct authres_cursor *c)
{
	const char *start = c->p;

	while (authres_is_keyword_char(*c->p))
		c->p++;
	return c->p > start ? g_ascii_strdown(start, c->p - start) : NULL;
}

/* A token or a quoted string (unquoted), or NULL when there is none. */
static char *
authres_value(struct authres_cursor *c)
{
	const char *start = c->p;
	GString *s;

	if (*c->p != '"') {
		while (authres_is_value_char(*c->p))
			c->p++;
		return c->p > start ? g_strndup(start, c->p - start) : NULL;
	}
	s = g_string_new(NULL);
	for (c->p++; *c->p != '"'; c->p++) {
		if (*c->p == '\\' && c->p[1] != '\0')
			c->p++;
		if (*c->p == '\0' || (unsigned char)*c->p < ' ') {
			g_string_free(s, TRUE);
			return NULL;
		}
		g_string_append_c(s, *c->p);
	}
	c->p++;
	return g_string_free(s, FALSE);
}

/* Digits as a small number, or -1 when there are none (or too many). */
static int
authres_number(struct authres_cursor *c)
{
	int n = 0, digits = 0;

	while (g_ascii_isdigit(*c->p)) {
		if (++digits > 6)
			return -1;
		n = n * 10 + (*c->p++ - '0');
	}
	return digits > 0 ? n : -1;
}

static const struct record_field authres_prop_strings[] = {
	RECORD_STRING(struct authres_prop, ptype),
	RECORD_STRING(struct authres_prop, property),
	RECORD_STRING(struct authres_prop, value),
};

static const struct record_field authres_result_fields[] = {
	RECORD_STRING(struct authres_result, method),
	RECORD_STRING(struct authres_result, result),
	RECORD_STRING(struct authres_result, reason),
	RECORD_PTR_ARRAY(struct authres_result, props),
};

static const struct record_field authres_fields[] = {
	RECORD_STRING(struct authres, authserv_id),
	RECORD_PTR_ARRAY(struct authres, results),
};

static void
authres_prop_free(gpointer p)
{
	record_free(p, authres_prop_strings,
		    G_N_ELEMENTS(authres_prop_strings));
}

static void
authres_result_free(gpointer p)
{
	record_free(p, authres_result_fields,
		    G_N_ELEMENTS(authres_result_fields));
}

/*
 * "method[/version] = result" at the cursor into r (method and result
 * set).  Returns 0, or -1 with the cursor anywhere when it is not one.
 */
static int
authres_methodspec(struct authres_cursor *c, struct authres_result *r)
{
	if ((r->method = authres_keyword(c)) == NULL)
		return -1;
	authres_cfws(c);
	if (*c->p == '/') {
		c->p++;
		authres_cfws(c);
		if ((r->method_version = authres_number(c)) < 0)
			return -1;
		authres_cfws(c);
	}
	if (*c->p != '=')
		return -1;
	c->p++;
	authres_cfws(c);
	r->result = authres_keyword(c);
	return r->result != NULL ? 0 : -1;
}

/* "[ptype.]property = value" at the cursor (a reason or a property). */
static int
authres_propspec(struct authres_cursor *c, struct authres_result *r)
{
	struct authres_prop *pr;
	char *ptype = authres_keyword(c), *property = NULL, *value;
	int dotted = 0;

	if (ptype == NULL)
		return -1;
	authres_cfws(c);
	if (*c->p == '.') {
		dotted = 1;
		c->p++;
		authres_cfws(c);
		property = authres_keyword(c);
		authres_cfws(c);
	}
	if (*c->p != '=' || (dotted && property == NULL)) {
		g_free(ptype);
		g_free(property);
		return -1;
	}
	c->p++;
	authres_cfws(c);
	value = authres_value(c);
	if (property == NULL && strcmp(ptype, "reason") == 0 &&
	    r->reason == NULL) {
		r->reason = value != NULL ? value : g_strdup("");
		g_free(ptype);
		return 0;
	}
	if (r->props->len >= AUTHRES_MAX_PROPS || value == NULL) {
		g_free(ptype);
		g_free(property);
		g_free(value);
		return -1;
	}
	pr = g_new0(struct authres_prop, 1);
	/* A bare "key=value": no ptype. */
	pr->ptype = property != NULL ? ptype : g_strdup("");
	pr->property = property != NULL ? property : ptype;
	pr->value = value;
	g_ptr_array_add(r->props, pr);
	return 0;
}

/* One resinfo after its ";" (NULL *r_r for an empty one). */
static int
authres_resinfo(struct authres_cursor *c, struct authres_result **r_r)
{
	struct authres_result *r = g_new0(struct authres_result, 1);

	*r_r = NULL;
	r->props = g_ptr_array_new_with_free_func(authres_prop_free);
	authres_cfws(c);
	if (*c->p == ';' || *c->p == '\0') {
		authres_result_free(r);
		return 0;
	}
	if (authres_methodspec(c, r) != 0) {
		authres_result_free(r);
		return -1;
	}
	for (;;) {
		authres_cfws(c);
		if (*c->p == ';' || *c->p == '\0' || c->depth_error)
			break;
		if (authres_propspec(c, r) != 0) {
			authres_result_free(r);
			return -1;
		}
	}
	*r_r = r;
	return 0;
}

/* The authserv-id and version, unless the header starts with a result. */
static int
authres_head(struct authres_cursor *c, struct authres *ar)
{
	struct authres_cursor probe = *c;
	struct authres_result *r = g_new0(struct authres_result, 1);
	int is_result;
	char *id;

	r->props = g_ptr_array_new_with_free_func(authres_prop_free);
	is_result = authres_methodspec(&probe, r) == 0;
	authres_result_free(r);
	if (is_result)
		return 0;
	if (*c->p == '"' || (id = authres_value(c)) == NULL)
		return -1;
	/* A server writes its id as a plain host name: anything else
	 * (8-bit, a quoted string) is no server's, and must not be folded
	 * into one by Unicode case rules (U+212A KELVIN SIGN is 'k'). */
	for (const char *q = id; *q != '\0'; q++)
		if (!g_ascii_isalnum(*q) && *q != '.' && *q != '-' &&
		    *q != '_') {
			g_free(id);
			return -1;
		}
	ar->authserv_id = g_ascii_strdown(id, -1);
	g_free(id);
	authres_cfws(c);
	if (g_ascii_isdigit(*c->p)) {
		if ((ar->version = authres_number(c)) < 0)
			return -1;
		authres_cfws(c);
	}
	/* "id; none": no result follows. */
	if (*c->p == ';') {
		struct authres_cursor none = *c;
		char *word;

		none.p++;
		authres_cfws(&none);
		word = authres_keyword(&none);
		authres_cfws(&none);
		if (word != NULL && strcmp(word, "none") == 0 &&
		    *none.p == '\0') {
			ar->none = 1;
			*c = none;
		}
		g_free(word);
	}
	return *c->p == ';' || *c->p == '\0' ? 0 : -1;
}

static int
authres_body(struct authres_cursor *c, struct authres *ar)
{
	int first = ar->authserv_id == NULL;

	while (*c->p != '\0' && !c->depth_error) {
		struct authres_result *r;

		/* Without an authserv-id the first result has no ";". */
		if (!first) {
			if (*c->p != ';')
				return -1;
			c->p++;
		}
		first = 0;
		if (authres_resinfo(c, &r) != 0)
			return -1;
		if (r == NULL)
			continue;
		if (ar->results->len >= AUTHRES_MAX_RESULTS) {
			authres_result_free(r);
			return -1;
		}
		g_ptr_array_add(ar->results, r);
	}
	return c->depth_error ? -1 : 0;
}

int
authres_parse(const char *value, struct authres **ar_r, struct cm_error *err)
{
	struct authres_cursor c = { value, 0 };
	struct authres *ar;
	int rc;

	*ar_r = NULL;
	if (value == NULL || strlen(value) > AUTHRES_MAX_LEN)
		return cm_error_set(err, CM_EINPUT, "Authentication-Results: "
				    "%s", value == NULL ? "none"
				    : "longer than a verdict can be");
	ar = g_new0(struct authres, 1);
	ar->results = g_ptr_array_new_with_free_func(authres_result_free);
	authres_cfws(&c);
	rc = c.depth_error ? -1 : authres_head(&c, ar);
	if (rc == 0 && !ar->none)
		rc = authres_body(&c, ar);
	if (rc == 0 && ar->authserv_id == NULL && ar->results->len == 0)
		rc = -1;
	if (rc != 0) {
		authres_free(&ar);
		return cm_error_set(err, CM_EINPUT, "Authentication-Results: "
				    "not the syntax of RFC 8601 at byte %ld",
				    (long)(c.p - value));
	}
	*ar_r = ar;
	return 0;
}

void
authres_free(struct authres **arp)
{
	record_clear(arp, authres_fields, G_N_ELEMENTS(authres_fields));
}

const char *
authres_prop(const struct authres_result *r, const char *ptype,
	     const char *property)
{
	for (guint i = 0; i < r->props->len; i++) {
		const struct authres_prop *pr = r->props->pdata[i];

		if (strcmp(pr->ptype, ptype) == 0 &&
		    strcmp(pr->property, property) == 0)
			return pr->value;
	}
	return NULL;
}
