/*
 * template.h - canned responses: files in templates/ (one per template,
 * named by the file), each a header block, a blank line, then the body.
 *
 *   Subject: [{{case.number}}] {{case.subject}}
 *   To: requester, participants
 *   Cc: owners
 *   Sets-Status: solved
 *   Requires: field.name, field.phone
 *   Description: one line shown by casectl templates
 *
 *   Hello {{requester.name}},
 *   {{#field.note}}Note: {{field.note}}{{/field.note}}
 *
 * Body and Subject use a small subset of Mustache: {{name}} inserts a
 * value, {{#name}}...{{/name}} keeps its content only when name has a
 * non-empty value, {{^name}}...{{/name}} only when it has none, and
 * {{! comment}} is dropped.  Values are inserted as they are (plain
 * text, no HTML escaping).  A {{name}} outside any section that names
 * no value is an error at render time, so a mail with an unfilled
 * placeholder never leaves.
 *
 * To/Cc: comma-separated roles (requester, participants, owners,
 * shipper, carrier, watchers, escalation) or literal addresses.
 * Sets-Status: active, pending or solved.  Requires: the values that
 * must be non-empty (e.g. field.phone); missing ones are listed.
 */
#ifndef CASEMAIL_TEMPLATE_H
#define CASEMAIL_TEMPLATE_H

#include <glib.h>

#include "casemail/error.h"

struct template {
	char *name;         /* the file name */
	char *path;         /* where it was loaded from */
	char *description;  /* or NULL */
	char *subject;      /* the Subject: template */
	GPtrArray *to;      /* char *: roles or addresses, in order */
	GPtrArray *cc;      /* char * */
	char *sets_status;  /* "active", "pending", "solved" or NULL */
	GPtrArray *requires; /* char *: value names */
	char *body;         /* the body template */
};

/*
 * Parse one template from text (name and path are for messages).  A
 * syntax error (unknown header, unbalanced section, bad status) is
 * CM_ECONFIG naming path and line.
 */
int template_parse(const char *name, const char *path, const char *text,
		   struct template **t_r, struct cm_error *err);

/*
 * Load every regular file of dir whose name is a valid template name
 * (letters, digits, '-', '_'; no dot files, no backups ending in '~')
 * into a new GPtrArray of struct template * sorted by name (free with
 * g_ptr_array_unref).  The first broken file fails the whole load.
 */
int template_load_dir(const char *dir, GPtrArray **templates_r,
		      struct cm_error *err);

/* The template called name in list, or NULL. */
const struct template *template_find(GPtrArray *list, const char *name);

/* Free *tp and set it to NULL; accepts NULL and a NULL *tp. */
void template_free(struct template **tp);

/*
 * The required value names that vars (char * -> char *) lacks or has
 * empty, as a new NULL-terminated vector (g_strfreev), or NULL if none.
 */
char **template_missing(const struct template *t, GHashTable *vars);

/*
 * Render subject and body with vars.  CM_EUSAGE when required values
 * are missing (all listed) or a {{name}} has no value (all listed).
 * Output is valid UTF-8; a subject never contains CR or LF.
 */
int template_render(const struct template *t, GHashTable *vars,
		    char **subject_r, char **body_r, struct cm_error *err);

/* Render one template string (used for both parts and for tests). */
int template_render_text(const char *tmpl, GHashTable *vars, char **out_r,
			 struct cm_error *err);

/* What template_load_dir_or_none() does about a missing directory. */
enum template_missing {
	TEMPLATE_MISSING_QUIET,  /* nothing (casectl) */
	TEMPLATE_MISSING_WARN,   /* log a warning (casemaild) */
};

/*
 * The configured templates: template_load_dir(), except that a dir that
 * is not a directory gives an empty list (nothing is mailed from
 * templates) instead of an error.  A broken template still fails the
 * load, naming its file and line.  Free *templates_r with
 * g_ptr_array_unref().
 */
int template_load_dir_or_none(const char *dir, enum template_missing missing,
			      GPtrArray **templates_r, struct cm_error *err);

#endif
