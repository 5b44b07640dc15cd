/*
 * template_render.c - render a template's tokens with values: sections
 * kept or dropped, values appended as they are, names without a value
 * collected for one error, the result made valid UTF-8 (and one line for
 * the Subject).
 */
#include "casemail/template.h"
#include "casemail/strv.h"

#include <string.h>

#include "template_private.h"

/* Names found without a value, in order of first appearance. */
struct name_list {
	GPtrArray *names;  /* char *, owned */
	GHashTable *seen;  /* the same strings, as a set */
};

static void
name_list_init(struct name_list *nl)
{
	nl->names = g_ptr_array_new_with_free_func(g_free);
	nl->seen = g_hash_table_new(g_str_hash, g_str_equal);
}

static void
name_list_clear(struct name_list *nl)
{
	g_hash_table_unref(nl->seen);
	g_ptr_array_unref(nl->names);
}

static void
name_list_add(struct name_list *nl, const char *name, size_t len)
{
	char *copy;

	copy = g_strndup(name, len);
	if (g_hash_table_contains(nl->seen, copy)) {
		g_free(copy);
		return;
	}
	g_ptr_array_add(nl->names, copy);
	g_hash_table_add(nl->seen, copy);
}

static const char *
lookup(GHashTable *vars, GString *key, const char *name, size_t len)
{
	if (vars == NULL)
		return NULL;
	g_string_truncate(key, 0);
	g_string_append_len(key, name, (gssize)len);
	return g_hash_table_lookup(vars, key->str);
}

/* Append the rendering of toks to out; names without a value go to nl. */
static void
render_tokens(GArray *toks, GHashTable *vars, GString *out,
	      struct name_list *nl)
{
	GString *key = g_string_new(NULL);
	const struct tok *t;
	const char *value;
	int truthy;

	for (guint i = 0; i < toks->len; i++) {
		t = &g_array_index(toks, struct tok, i);
		switch (t->type) {
		case TOK_TEXT:
			g_string_append_len(out, t->s, (gssize)t->len);
			break;
		case TOK_VAR:
			value = lookup(vars, key, t->s, t->len);
			if (value != NULL)
				g_string_append(out, value);
			else
				name_list_add(nl, t->s, t->len);
			break;
		case TOK_SECTION:
		case TOK_INVERTED:
			value = lookup(vars, key, t->s, t->len);
			truthy = value != NULL && *value != '\0';
			if (truthy != (t->type == TOK_SECTION))
				i = t->close;
			break;
		case TOK_CLOSE:
			break;
		}
	}
	g_string_free(key, TRUE);
}

/* Render tmpl into a new GString; syntax errors are CM_ECONFIG. */
static int
render_string(const char *tmpl, const char *where, GHashTable *vars,
	      struct name_list *nl, GString **out_r, struct cm_error *err)
{
	GArray *toks = g_array_new(FALSE, FALSE, sizeof(struct tok));
	int rc;

	*out_r = NULL;
	rc = template_tokenize(tmpl, where, 1, toks, err);
	if (rc == 0) {
		*out_r = g_string_sized_new(strlen(tmpl));
		render_tokens(toks, vars, *out_r, nl);
	}
	g_array_unref(toks);
	return rc;
}

/* Valid UTF-8 from a rendering, which may hold bytes from any value. */
static char *
finish_utf8(GString *s)
{
	char *valid = g_utf8_make_valid(s->str, (gssize)s->len);

	g_string_free(s, TRUE);
	return valid;
}

/*
 * One line for a header: every run of blanks and control characters that
 * holds anything but spaces (a CR, LF, tab, ...) becomes one space, then
 * the ends are trimmed.  Plain runs of spaces are left as written.
 */
static char *
one_line(const char *s)
{
	GString *out = g_string_sized_new(strlen(s));
	const char *run;
	int mixed;

	while (*s != '\0') {
		if ((unsigned char)*s > ' ' && *s != 0x7f) {
			g_string_append_c(out, *s++);
			continue;
		}
		run = s;
		mixed = 0;
		for (; *s != '\0' && ((unsigned char)*s <= ' ' || *s == 0x7f);
		     s++)
			mixed |= *s != ' ';
		if (mixed)
			g_string_append_c(out, ' ');
		else
			g_string_append_len(out, run, s - run);
	}
	return g_strstrip(g_string_free(out, FALSE));
}

int
template_render_text(const char *tmpl, GHashTable *vars, char **out_r,
		     struct cm_error *err)
{
	struct name_list nl;
	GString *out = NULL;
	char *list;
	int rc;

	*out_r = NULL;
	name_list_init(&nl);
	rc = render_string(tmpl, "template", vars, &nl, &out, err);
	if (rc < 0)
		goto out;
	if (nl.names->len > 0) {
		list = strv_join(nl.names, ", ");
		rc = cm_error_set(err, CM_EUSAGE, "missing %s", list);
		g_free(list);
		goto out;
	}
	*out_r = finish_utf8(out);
	out = NULL;
out:
	if (out != NULL)
		g_string_free(out, TRUE);
	name_list_clear(&nl);
	return rc;
}

char **
template_missing(const struct template *t, GHashTable *vars)
{
	GPtrArray *missing = g_ptr_array_new();
	const char *name, *value;

	for (guint i = 0; t->requires != NULL && i < t->requires->len; i++) {
		name = g_ptr_array_index(t->requires, i);
		value = vars != NULL ? g_hash_table_lookup(vars, name) : NULL;
		if (value == NULL || *value == '\0')
			g_ptr_array_add(missing, g_strdup(name));
	}
	if (missing->len == 0) {
		g_ptr_array_unref(missing);
		return NULL;
	}
	g_ptr_array_add(missing, NULL);
	return (char **)g_ptr_array_free(missing, FALSE);
}

int
template_render(const struct template *t, GHashTable *vars,
		char **subject_r, char **body_r, struct cm_error *err)
{
	struct name_list nl;
	GString *subject = NULL, *body = NULL;
	char **missing, *list, *raw;
	const char *where;
	int rc;

	*subject_r = *body_r = NULL;
	name_list_init(&nl);
	missing = template_missing(t, vars);
	for (char **m = missing; m != NULL && *m != NULL; m++)
		name_list_add(&nl, *m, strlen(*m));
	g_strfreev(missing);
	/* template_parse() checked both parts, so only a struct filled in by
	 * hand can fail here (and its line numbers count from each part). */
	where = t->path != NULL ? t->path : t->name;
	rc = render_string(t->subject, where, vars, &nl, &subject, err);
	if (rc == 0)
		rc = render_string(t->body, where, vars, &nl, &body, err);
	if (rc < 0)
		goto out;
	if (nl.names->len > 0) {
		list = strv_join(nl.names, ", ");
		rc = cm_error_set(err, CM_EUSAGE, "template %s: missing %s",
				  t->name, list);
		g_free(list);
		goto out;
	}
	raw = finish_utf8(subject);
	subject = NULL;
	*subject_r = one_line(raw);
	g_free(raw);
	*body_r = finish_utf8(body);
	body = NULL;
out:
	if (subject != NULL)
		g_string_free(subject, TRUE);
	if (body != NULL)
		g_string_free(body, TRUE);
	name_list_clear(&nl);
	return rc;
}
