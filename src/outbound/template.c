/*
 * template.c - canned responses: parse the files in templates/ and render
 * them with a small subset of Mustache.  This file: a template file's
 * header block and syntax, and the directory; template_private.h names
 * the other template_*.c files.
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
#include "casemail/record.h"
#include "casemail/strv.h"
#include "template_private.h"

/*
 * A canned reply is typed by a person; a file past this is a mistake (a
 * log or a mail dump saved in the wrong place) that would otherwise be
 * mailed to customers.
 */
#define TEMPLATE_FILE_MAX_BYTES ((goffset)1024 * 1024)

static const char *const template_roles[] = {
	"requester", "participants", "owners", "shipper", "carrier",
	"watchers", "escalation",
};

static const char *const template_statuses[] = {
	"active", "pending", "solved",
};

int
template_err(struct cm_error *err, const char *where, int line,
	     const char *fmt, ...)
{
	char what[CM_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cm_error_set(err, CM_ECONFIG, "%s:%d: %s", where, line, what);
}

int
template_is_name_char(char c)
{
	return g_ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
}

int
template_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!template_is_name_char(*s))
			return 0;
	return 1;
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
	return template_err(err, hp->where, hp->line,
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
		return template_err(err, hp->where, hp->line,
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
	char **items = strv_split_list(value);
	int rc = 0;

	for (char **i = items; *i != NULL && rc == 0; i++)
		rc = add(hp, list, *i, err);
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
			return template_err(err, hp->where, hp->line,
					    "empty Subject");
		t->subject = g_strdup(value);
		return template_tokenize_check(t->subject, hp->where, hp->line,
					       err);
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
			return template_err(err, hp->where, hp->line,
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

	if (template_is_blank(*line))
		return template_err(err, hp->where, hp->line,
				    "header lines cannot be continued; put "
				    "the value on one line");
	if (colon == NULL)
		return template_err(err, hp->where, hp->line,
				    "expected 'Key: value' or the blank line "
				    "that starts the body");
	key = g_strstrip(g_strndup(line, (gsize)(colon - line)));
	value = g_strstrip(g_strndup(colon + 1,
				     (gsize)(line + len - colon - 1)));
	for (k = 0; k < HDR_COUNT; k++)
		if (g_ascii_strcasecmp(key, header_names[k]) == 0)
			break;
	if (k == HDR_COUNT) {
		rc = template_err(err, hp->where, hp->line,
				  "unknown header '%.60s' (known: Subject, "
				  "To, Cc, Sets-Status, Requires, "
				  "Description)", key);
	} else if (hp->seen_line[k] != 0) {
		rc = template_err(err, hp->where, hp->line,
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
	return template_err(err, where, line_of(text, bad),
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
		if (!template_is_blank(line[i]))
			return 0;
	return 1;
}

static const struct record_field template_fields[] = {
	RECORD_STRING(struct template, name),
	RECORD_STRING(struct template, path),
	RECORD_STRING(struct template, description),
	RECORD_STRING(struct template, subject),
	RECORD_STRING(struct template, sets_status),
	RECORD_STRING(struct template, body),
	RECORD_PTR_ARRAY(struct template, to),
	RECORD_PTR_ARRAY(struct template, cc),
	RECORD_PTR_ARRAY(struct template, requires),
};

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
		rc = template_err(err, hp.where, 1, "no Subject header");
		goto out;
	}
	t->body = g_strdup(body);
	rc = template_tokenize_check(t->body, hp.where, hp.line + 1, err);
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
	record_clear(tp, template_fields, G_N_ELEMENTS(template_fields));
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
		rc = template_err(err, path, line_of(text, nul),
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
