/*
 * template.c - canned responses: parse the files in templates/ and render
 * them with a small subset of Mustache.
 *
 * A template string is cut into tokens in one pass; while cutting, each
 * section's opening token learns the index of its closing token, so the
 * renderer skips a dropped section in one step and never searches.  Both
 * passes touch every byte a bounded number of times, and nothing
 * recurses, so a hostile or huge template costs time in proportion to its
 * size and no stack.  Values are appended to the output and never looked
 * at again, which is why a value holding "{{x}}" stays literal text.
 */
#include "casemail/template.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "casemail/log.h"

/*
 * A canned reply is typed by a person; a file past this is a mistake (a
 * log or a mail dump saved in the wrong place) that would otherwise be
 * mailed to customers.
 */
#define TEMPLATE_FILE_MAX_BYTES ((goffset)1024 * 1024)

enum tok_type {
	TOK_TEXT,
	TOK_VAR,       /* {{name}} */
	TOK_SECTION,   /* {{#name}} */
	TOK_INVERTED,  /* {{^name}} */
	TOK_CLOSE,     /* {{/name}} */
};

struct tok {
	enum tok_type type;
	const char *s;    /* the text, or the name; borrowed from the source */
	size_t len;
	int line;
	guint close;      /* TOK_SECTION, TOK_INVERTED: index of its TOK_CLOSE */
};

/* Names found without a value, in order of first appearance. */
struct name_list {
	GPtrArray *names;  /* char *, owned */
	GHashTable *seen;  /* the same strings, as a set */
};

static const char *const template_roles[] = {
	"requester", "participants", "owners", "shipper", "carrier",
	"watchers", "escalation",
};

static const char *const template_statuses[] = {
	"active", "pending", "solved",
};

static int
syntax_error(struct cm_error *err, const char *where, int line,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
syntax_error(struct cm_error *err, const char *where, int line,
	     const char *fmt, ...)
{
	char what[CM_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cm_error_set(err, CM_ECONFIG, "%s:%d: %s", where, line, what);
}

static int
is_name_char(char c)
{
	return g_ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!is_name_char(*s))
			return 0;
	return 1;
}

/* ---- tokenizer ---- */

/*
 * The tokenizer's position.  A section, inverted, closing or comment tag
 * alone on its line (only blanks around it) is "standalone", as in
 * Mustache: the whole line goes, so section markers on their own lines
 * leave no blank lines behind.
 */
struct lexer {
	const char *where;
	const char *p;           /* next byte to look at */
	const char *text_start;  /* start of the pending text token */
	const char *line_start;  /* first byte of the current line */
	const char *last_tag_end;
	int line;
	GArray *toks;            /* struct tok */
	GArray *open;            /* guint: indexes of unclosed sections */
};

static void
lex_add(struct lexer *lx, enum tok_type type, const char *s, size_t len,
	int line)
{
	struct tok t = { type, s, len, line, 0 };

	if (type == TOK_TEXT && len == 0)
		return;
	g_array_append_val(lx->toks, t);
}

static void
lex_newline(struct lexer *lx, const char *nl)
{
	lx->line++;
	lx->line_start = nl + 1;
}

/* Where a standalone tag ending at end stops eating: past its newline, or
 * NULL if something else follows it on the line. */
static const char *
standalone_end(const char *end)
{
	while (is_blank(*end))
		end++;
	if (*end == '\r' && end[1] == '\n')
		end++;
	if (*end == '\n')
		return end + 1;
	return *end == '\0' ? end : NULL;
}

/* Whether only blanks precede the tag at open on its line (line_start). */
static int
standalone_start(const struct lexer *lx, const char *line_start,
		 const char *open)
{
	const char *q;

	if (lx->last_tag_end != NULL && lx->last_tag_end > line_start)
		return 0;
	for (q = line_start; q < open; q++)
		if (!is_blank(*q))
			return 0;
	return 1;
}

/* Scan a comment's body (from p) to its "}}"; returns the byte after it. */
static const char *
lex_comment(struct lexer *lx, const char *p)
{
	for (; *p != '\0'; p++) {
		if (p[0] == '}' && p[1] == '}')
			return p + 2;
		if (*p == '\n')
			lex_newline(lx, p);
	}
	return NULL;
}

/* Scan "name}}" (blanks allowed around the name) from p. */
static const char *
lex_name(struct lexer *lx, const char *p, int line, const char **name_r,
	 size_t *len_r, struct cm_error *err)
{
	const char *name;

	while (is_blank(*p))
		p++;
	name = p;
	while (is_name_char(*p))
		p++;
	*name_r = name;
	*len_r = (size_t)(p - name);
	while (is_blank(*p))
		p++;
	if (p[0] == '}' && p[1] == '}' && *len_r > 0)
		return p + 2;
	if (*p == '\0' || *p == '\n' || *p == '\r')
		syntax_error(err, lx->where, line,
			     "'{{' without '}}' on the same line");
	else if (p[0] == '}' && p[1] == '}')
		syntax_error(err, lx->where, line, "tag without a name");
	else
		syntax_error(err, lx->where, line,
			     "byte 0x%02x ('%c') in tag '{{%.*s' (names are "
			     "letters, digits, '_', '.' and '-')",
			     (unsigned char)*p, g_ascii_isprint(*p) ? *p : '?',
			     (int)*len_r, name);
	return NULL;
}

static int
lex_section(struct lexer *lx, char sigil, const char *name, size_t len,
	    int line, struct cm_error *err)
{
	const struct tok *top;
	guint idx = lx->toks->len;

	if (sigil == '#' || sigil == '^') {
		lex_add(lx, sigil == '#' ? TOK_SECTION : TOK_INVERTED, name,
			len, line);
		g_array_append_val(lx->open, idx);
		return 0;
	}
	if (lx->open->len == 0)
		return syntax_error(err, lx->where, line,
				    "'{{/%.*s}}' closes no open section",
				    (int)len, name);
	top = &g_array_index(lx->toks, struct tok,
			     g_array_index(lx->open, guint, lx->open->len - 1));
	if (top->len != len || memcmp(top->s, name, len) != 0)
		return syntax_error(err, lx->where, line,
				    "'{{/%.*s}}' does not match '{{%c%.*s}}' "
				    "opened on line %d", (int)len, name,
				    top->type == TOK_SECTION ? '#' : '^',
				    (int)top->len, top->s, top->line);
	g_array_index(lx->toks, struct tok,
		      g_array_index(lx->open, guint, lx->open->len - 1)).close =
		idx;
	g_array_set_size(lx->open, lx->open->len - 1);
	lex_add(lx, TOK_CLOSE, name, len, line);
	return 0;
}

/* One tag starting at open ("{{"); advances lx past it. */
static int
lex_tag(struct lexer *lx, const char *open, struct cm_error *err)
{
	const char *line_start = lx->line_start, *p = open + 2, *end, *next;
	const char *name = NULL;
	size_t len = 0;
	int line = lx->line;
	char sigil = '\0';

	while (is_blank(*p))
		p++;
	if (*p == '#' || *p == '^' || *p == '/' || *p == '!')
		sigil = *p++;
	if (sigil == '!')
		end = lex_comment(lx, p);
	else
		end = lex_name(lx, p, line, &name, &len, err);
	if (end == NULL) {
		if (sigil == '!')
			return syntax_error(err, lx->where, line,
					    "comment '{{!' is never closed "
					    "with '}}'");
		return CM_ECONFIG;
	}
	next = NULL;
	if (sigil != '\0' && standalone_start(lx, line_start, open))
		next = standalone_end(end);
	if (next != NULL) {
		lex_add(lx, TOK_TEXT, lx->text_start,
			(size_t)(line_start - lx->text_start), 0);
		if (next > end && next[-1] == '\n')
			lex_newline(lx, next - 1);
	} else {
		lex_add(lx, TOK_TEXT, lx->text_start,
			(size_t)(open - lx->text_start), 0);
		next = end;
	}
	lx->text_start = lx->p = lx->last_tag_end = next;
	if (sigil == '\0') {
		lex_add(lx, TOK_VAR, name, len, line);
		return 0;
	}
	if (sigil == '!')
		return 0;
	return lex_section(lx, sigil, name, len, line, err);
}

/*
 * Cut src into tokens (appended to toks).  first_line is the line src
 * starts on and where the file name, both for messages.
 */
static int
tokenize(const char *src, const char *where, int first_line, GArray *toks,
	 struct cm_error *err)
{
	struct lexer lx = {
		.where = where, .p = src, .text_start = src,
		.line_start = src, .last_tag_end = NULL, .line = first_line,
		.toks = toks,
	};
	const struct tok *top;
	int rc = 0;

	lx.open = g_array_new(FALSE, FALSE, sizeof(guint));
	while (*lx.p != '\0') {
		if (lx.p[0] == '{' && lx.p[1] == '{') {
			rc = lex_tag(&lx, lx.p, err);
			if (rc < 0)
				goto out;
			continue;
		}
		if (*lx.p == '\n')
			lex_newline(&lx, lx.p);
		lx.p++;
	}
	lex_add(&lx, TOK_TEXT, lx.text_start, (size_t)(lx.p - lx.text_start),
		0);
	if (lx.open->len > 0) {
		top = &g_array_index(toks, struct tok,
				     g_array_index(lx.open, guint, 0));
		rc = syntax_error(err, where, top->line,
				  "section '{{%c%.*s}}' is never closed",
				  top->type == TOK_SECTION ? '#' : '^',
				  (int)top->len, top->s);
	}
out:
	g_array_unref(lx.open);
	return rc;
}

/* Check the syntax of src without keeping the tokens. */
static int
tokenize_check(const char *src, const char *where, int first_line,
	       struct cm_error *err)
{
	GArray *toks = g_array_new(FALSE, FALSE, sizeof(struct tok));
	int rc;

	rc = tokenize(src, where, first_line, toks, err);
	g_array_unref(toks);
	return rc;
}

/* ---- renderer ---- */

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
	rc = tokenize(tmpl, where, 1, toks, err);
	if (rc == 0) {
		*out_r = g_string_sized_new(strlen(tmpl));
		render_tokens(toks, vars, *out_r, nl);
	}
	g_array_unref(toks);
	return rc;
}

static char *
join_names(GPtrArray *names)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < names->len; i++) {
		if (i > 0)
			g_string_append(s, ", ");
		g_string_append(s, g_ptr_array_index(names, i));
	}
	return g_string_free(s, FALSE);
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
		list = join_names(nl.names);
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
		list = join_names(nl.names);
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

/* ---- the header ---- */

enum header_key {
	HDR_SUBJECT,
	HDR_TO,
	HDR_CC,
	HDR_SETS_STATUS,
	HDR_REQUIRES,
	HDR_DESCRIPTION,
	HDR_COUNT,
};

static const char *const header_names[HDR_COUNT] = {
	"Subject", "To", "Cc", "Sets-Status", "Requires", "Description",
};

struct header_parse {
	struct template *t;
	const char *where;
	int line;
	int seen_line[HDR_COUNT];  /* 0: not seen */
	const char *header_name;   /* of the list being parsed */
};

static const char *
known_word(const char *const *words, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (g_ascii_strcasecmp(words[i], s) == 0)
			return words[i];
	return NULL;
}

/* A literal recipient: local@domain with no room for header tricks. */
static int
plain_address(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f ||
		    strchr("<>\"(),;:[]\\", *s) != NULL)
			return 0;
	return 1;
}

static int
add_recipient(struct header_parse *hp, GPtrArray *list, const char *item,
	      struct cm_error *err)
{
	const char *role = known_word(template_roles,
				      G_N_ELEMENTS(template_roles), item);

	if (role != NULL) {
		g_ptr_array_add(list, g_strdup(role));
		return 0;
	}
	if (plain_address(item)) {
		g_ptr_array_add(list, g_strdup(item));
		return 0;
	}
	return syntax_error(err, hp->where, hp->line,
			    "%s: '%s' is neither a role (requester, "
			    "participants, owners, shipper, carrier, watchers, "
			    "escalation) nor an address", hp->header_name,
			    item);
}

static int
add_required(struct header_parse *hp, GPtrArray *list, const char *item,
	     struct cm_error *err)
{
	if (!valid_name(item))
		return syntax_error(err, hp->where, hp->line,
				    "Requires: '%s' is not a value name "
				    "(letters, digits, '_', '.', '-')", item);
	g_ptr_array_add(list, g_strdup(item));
	return 0;
}

/* Split a comma-separated value, trimming items and skipping empty ones. */
static int
parse_list(struct header_parse *hp, GPtrArray *list, const char *value,
	   int (*add)(struct header_parse *, GPtrArray *, const char *,
		      struct cm_error *),
	   struct cm_error *err)
{
	char **items = g_strsplit(value, ",", -1);
	int rc = 0;

	for (char **i = items; *i != NULL && rc == 0; i++) {
		g_strstrip(*i);
		if (**i != '\0')
			rc = add(hp, list, *i, err);
	}
	g_strfreev(items);
	return rc;
}

static int
header_value(struct header_parse *hp, enum header_key k, const char *value,
	     struct cm_error *err)
{
	struct template *t = hp->t;
	const char *status;

	hp->header_name = header_names[k];
	switch (k) {
	case HDR_SUBJECT:
		if (*value == '\0')
			return syntax_error(err, hp->where, hp->line,
					    "empty Subject");
		t->subject = g_strdup(value);
		return tokenize_check(t->subject, hp->where, hp->line, err);
	case HDR_TO:
		return parse_list(hp, t->to, value, add_recipient, err);
	case HDR_CC:
		return parse_list(hp, t->cc, value, add_recipient, err);
	case HDR_REQUIRES:
		return parse_list(hp, t->requires, value, add_required, err);
	case HDR_SETS_STATUS:
		status = known_word(template_statuses,
				    G_N_ELEMENTS(template_statuses), value);
		if (status == NULL)
			return syntax_error(err, hp->where, hp->line,
					    "Sets-Status: '%s' is not active, "
					    "pending or solved", value);
		t->sets_status = g_strdup(status);
		return 0;
	case HDR_DESCRIPTION:
		t->description = *value != '\0' ? g_strdup(value) : NULL;
		return 0;
	case HDR_COUNT:
		break;
	}
	return cm_error_set(err, CM_EINTERNAL, "header key %d", (int)k);
}

static int
parse_header_line(struct header_parse *hp, const char *line, size_t len,
		  struct cm_error *err)
{
	const char *colon = memchr(line, ':', len);
	char *key = NULL, *value = NULL;
	int k, rc;

	if (is_blank(*line))
		return syntax_error(err, hp->where, hp->line,
				    "header lines cannot be continued; put "
				    "the value on one line");
	if (colon == NULL)
		return syntax_error(err, hp->where, hp->line,
				    "expected 'Key: value' or the blank line "
				    "that starts the body");
	key = g_strstrip(g_strndup(line, (gsize)(colon - line)));
	value = g_strstrip(g_strndup(colon + 1,
				     (gsize)(line + len - colon - 1)));
	for (k = 0; k < HDR_COUNT; k++)
		if (g_ascii_strcasecmp(key, header_names[k]) == 0)
			break;
	if (k == HDR_COUNT) {
		rc = syntax_error(err, hp->where, hp->line,
				  "unknown header '%.60s' (known: Subject, "
				  "To, Cc, Sets-Status, Requires, "
				  "Description)", key);
	} else if (hp->seen_line[k] != 0) {
		rc = syntax_error(err, hp->where, hp->line,
				  "second %s header (the first is on line %d)",
				  header_names[k], hp->seen_line[k]);
	} else {
		hp->seen_line[k] = hp->line;
		rc = header_value(hp, (enum header_key)k, value, err);
	}
	g_free(key);
	g_free(value);
	return rc;
}

/* The line number of pos in text. */
static int
line_of(const char *text, const char *pos)
{
	int line = 1;

	for (; text < pos; text++)
		line += *text == '\n';
	return line;
}

static int
check_utf8(const char *text, const char *where, struct cm_error *err)
{
	const char *bad;

	if (g_utf8_validate(text, -1, &bad))
		return 0;
	return syntax_error(err, where, line_of(text, bad),
			    "not valid UTF-8");
}

/* The text with every CRLF made LF, so both kinds of file parse alike. */
static char *
crlf_to_lf(const char *text)
{
	char *out = g_malloc(strlen(text) + 1), *o = out;

	for (; *text != '\0'; text++)
		if (!(text[0] == '\r' && text[1] == '\n'))
			*o++ = *text;
	*o = '\0';
	return out;
}

static int
blank_line(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_blank(line[i]))
			return 0;
	return 1;
}

static struct template *
template_new(const char *name, const char *path)
{
	struct template *t = g_new0(struct template, 1);

	t->name = g_strdup(name);
	t->path = g_strdup(path);
	t->to = g_ptr_array_new_with_free_func(g_free);
	t->cc = g_ptr_array_new_with_free_func(g_free);
	t->requires = g_ptr_array_new_with_free_func(g_free);
	return t;
}

int
template_parse(const char *name, const char *path, const char *text,
	       struct template **t_r, struct cm_error *err)
{
	struct header_parse hp = { 0 };
	struct template *t = NULL;
	const char *p, *eol, *body;
	char *norm = NULL;
	size_t len;
	int rc;

	*t_r = NULL;
	hp.where = path != NULL ? path : name;
	rc = check_utf8(text, hp.where, err);
	if (rc < 0)
		goto out;
	norm = crlf_to_lf(text);
	t = hp.t = template_new(name, path);
	for (p = norm, hp.line = 1;; p = eol + 1, hp.line++) {
		eol = strchr(p, '\n');
		len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		if (blank_line(p, len)) {
			body = eol != NULL ? eol + 1 : p + len;
			break;
		}
		rc = parse_header_line(&hp, p, len, err);
		if (rc < 0)
			goto out;
		if (eol == NULL) {
			body = p + len;
			break;
		}
	}
	if (t->subject == NULL) {
		rc = syntax_error(err, hp.where, 1, "no Subject header");
		goto out;
	}
	t->body = g_strdup(body);
	rc = tokenize_check(t->body, hp.where, hp.line + 1, err);
	if (rc < 0)
		goto out;
	*t_r = t;
	t = NULL;
out:
	template_free(&t);
	g_free(norm);
	return rc;
}

void
template_free(struct template **tp)
{
	struct template *t;

	if (tp == NULL || *tp == NULL)
		return;
	t = *tp;
	*tp = NULL;
	g_free(t->name);
	g_free(t->path);
	g_free(t->description);
	g_free(t->subject);
	g_ptr_array_unref(t->to);
	g_ptr_array_unref(t->cc);
	g_free(t->sets_status);
	g_ptr_array_unref(t->requires);
	g_free(t->body);
	g_free(t);
}

/* ---- the directory ---- */

/*
 * Letters, digits, '-' and '_' only.  This also passes over dot files and
 * the leftovers of editors and package managers (name~, name.bak,
 * name.swp, name.orig, name.dpkg-old, ...), so a stale copy never shadows
 * or duplicates the real template.
 */
static int
is_template_name(const char *name)
{
	if (*name == '\0')
		return 0;
	for (; *name != '\0'; name++)
		if (!g_ascii_isalnum(*name) && *name != '-' && *name != '_')
			return 0;
	return 1;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
free_template_cb(gpointer p)
{
	struct template *t = p;

	template_free(&t);
}

/* Load one file; *t_r stays NULL for what is not a regular file. */
static int
load_file(const char *name, const char *path, struct template **t_r,
	  struct cm_error *err)
{
	GError *gerr = NULL;
	GStatBuf st;
	char *text = NULL;
	const char *nul;
	gsize len;
	int rc;

	*t_r = NULL;
	if (g_stat(path, &st) != 0)
		return cm_error_set(err, CM_ECONFIG, "%s: %s", path,
				    g_strerror(errno));
	if (!S_ISREG(st.st_mode))
		return 0;
	if (st.st_size > TEMPLATE_FILE_MAX_BYTES)
		return cm_error_set(err, CM_ECONFIG, "%s: %lld bytes, more "
				    "than a template may have (%lld)", path,
				    (long long)st.st_size,
				    (long long)TEMPLATE_FILE_MAX_BYTES);
	if (!g_file_get_contents(path, &text, &len, &gerr)) {
		rc = cm_error_set(err, CM_ECONFIG, "%s", gerr->message);
		g_error_free(gerr);
		return rc;
	}
	nul = memchr(text, '\0', len);
	if (nul != NULL)
		rc = syntax_error(err, path, line_of(text, nul),
				  "contains a NUL byte");
	else
		rc = template_parse(name, path, text, t_r, err);
	g_free(text);
	return rc;
}

int
template_load_dir(const char *dir, GPtrArray **templates_r,
		  struct cm_error *err)
{
	GPtrArray *names = NULL, *list = NULL;
	struct template *t;
	GError *gerr = NULL;
	const char *entry;
	char *path;
	GDir *d;
	int rc = 0;

	*templates_r = NULL;
	d = g_dir_open(dir, 0, &gerr);
	if (d == NULL) {
		rc = cm_error_set(err, CM_ECONFIG, "template directory: %s",
				  gerr->message);
		g_error_free(gerr);
		return rc;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((entry = g_dir_read_name(d)) != NULL)
		if (is_template_name(entry))
			g_ptr_array_add(names, g_strdup(entry));
	g_dir_close(d);
	g_ptr_array_sort(names, compare_names);
	list = g_ptr_array_new_with_free_func(free_template_cb);
	for (guint i = 0; i < names->len && rc == 0; i++) {
		path = g_build_filename(dir, g_ptr_array_index(names, i),
					NULL);
		rc = load_file(g_ptr_array_index(names, i), path, &t, err);
		if (rc == 0 && t != NULL)
			g_ptr_array_add(list, t);
		g_free(path);
	}
	g_ptr_array_unref(names);
	if (rc < 0) {
		g_ptr_array_unref(list);
		return rc;
	}
	*templates_r = list;
	return 0;
}

const struct template *
template_find(GPtrArray *list, const char *name)
{
	const struct template *t;

	for (guint i = 0; list != NULL && i < list->len; i++) {
		t = g_ptr_array_index(list, i);
		if (strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

int
template_load_dir_or_none(const char *dir, enum template_missing missing,
			  GPtrArray **templates_r, struct cm_error *err)
{
	if (g_file_test(dir, G_FILE_TEST_IS_DIR))
		return template_load_dir(dir, templates_r, err);
	if (missing == TEMPLATE_MISSING_WARN)
		log_warnx("templates: %s is not a directory: no notifications, "
			  "acknowledgements or canned responses", dir);
	*templates_r = g_ptr_array_new();
	return 0;
}
