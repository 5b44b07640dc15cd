/*
 * case_fields.c - custom field values: checked by their declared type,
 * stored as text in one spelling (so filters compare like with like),
 * audited when they change.
 */
#include "casemail/case_fields.h"

#include "casemail/addr.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

/* Digits of a number: more is a paste, not a quantity. */
#define CASE_FIELD_NUMBER_MAX 32

static int
field_bad(struct cm_error *err, const struct config_field *f,
	  const char *value, const char *wants)
{
	return cm_error_set(err, CM_EUSAGE, "field %s: '%s' is not %s",
			    f->name, value, wants);
}

static int
field_text(const struct config_field *f, const char *v, struct cm_error *err)
{
	if (!g_utf8_validate(v, -1, NULL))
		return cm_error_set(err, CM_EUSAGE, "field %s is not valid "
				    "UTF-8", f->name);
	if (strlen(v) > CASE_FIELD_VALUE_MAX)
		return cm_error_set(err, CM_EUSAGE, "field %s is longer than "
				    "%d bytes", f->name, CASE_FIELD_VALUE_MAX);
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return cm_error_set(err, CM_EUSAGE, "field %s contains "
					    "a control character", f->name);
	return 0;
}

static int
field_choice(const struct config_field *f, const char *v, char **canon_r,
	     struct cm_error *err)
{
	char *allowed;

	for (char **c = f->choices; c != NULL && *c != NULL; c++) {
		/* UTF-8 aware: "Ärger" and "ärger" are one choice. */
		char *a = g_utf8_casefold(*c, -1), *b = g_utf8_casefold(v, -1);
		int same = strcmp(a, b) == 0;

		g_free(a);
		g_free(b);
		if (same) {
			*canon_r = g_strdup(*c);
			return 0;
		}
	}
	allowed = g_strjoinv(", ", f->choices);
	cm_error_set(err, CM_EUSAGE, "field %s: unknown choice '%s' (one of: "
		     "%s)", f->name, v, allowed);
	g_free(allowed);
	return CM_EUSAGE;
}

static int
field_date(const struct config_field *f, const char *v, char **canon_r,
	   struct cm_error *err)
{
	unsigned y, m, d;
	char tail;

	if (strlen(v) != 10 || v[4] != '-' || v[7] != '-' ||
	    sscanf(v, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 ||
	    !g_ascii_isdigit(v[5]) || !g_ascii_isdigit(v[8]) ||
	    !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
		return field_bad(err, f, v, "a date (YYYY-MM-DD)");
	*canon_r = g_strdup(v);
	return 0;
}

static int
field_number(const struct config_field *f, const char *v, char **canon_r,
	     struct cm_error *err)
{
	const char *p = v + (v[0] == '-' || v[0] == '+');
	int digits = 0, dot = 0;

	for (; *p != '\0'; p++) {
		if (g_ascii_isdigit(*p))
			digits++;
		else if (*p == '.' && !dot && digits > 0 && p[1] != '\0')
			dot = 1;
		else
			return field_bad(err, f, v, "a number");
	}
	if (digits == 0 || digits > CASE_FIELD_NUMBER_MAX)
		return field_bad(err, f, v, "a number");
	*canon_r = g_strdup(v[0] == '+' ? v + 1 : v);
	return 0;
}

int
case_field_check(const struct config_field *f, const char *value,
		 char **canon_r, struct cm_error *err)
{
	int rc;

	*canon_r = NULL;
	if ((rc = field_text(f, value, err)) != 0)
		return rc;
	switch (f->type) {
	case CONFIG_FIELD_CHOICE: return field_choice(f, value, canon_r, err);
	case CONFIG_FIELD_DATE: return field_date(f, value, canon_r, err);
	case CONFIG_FIELD_NUMBER: return field_number(f, value, canon_r, err);
	case CONFIG_FIELD_TEXT: break;
	}
	*canon_r = g_strdup(value);
	return 0;
}

/* "none" when nothing is declared, else the names, comma-separated. */
static char *
field_names(const struct config *cfg)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; cfg->fields != NULL && i < cfg->fields->len; i++) {
		const struct config_field *f = cfg->fields->pdata[i];

		g_string_append_printf(s, "%s%s", i > 0 ? ", " : "", f->name);
	}
	if (s->len == 0)
		g_string_append(s, "none is declared: see [field.NAME] in "
				"casemail.conf(5)");
	return g_string_free(s, FALSE);
}

int
case_field_parse(const struct config *cfg, const char *arg,
		 const struct config_field **f_r, char **canon_r,
		 struct cm_error *err)
{
	const char *eq = strchr(arg, '=');
	char *name, *names;

	*f_r = NULL;
	*canon_r = NULL;
	if (eq == NULL)
		return cm_error_set(err, CM_EUSAGE, "--field wants NAME=VALUE, "
				    "not '%s'", arg);
	name = g_ascii_strdown(arg, eq - arg);
	*f_r = config_field_find(cfg, name);
	if (*f_r == NULL) {
		names = field_names(cfg);
		cm_error_set(err, CM_EUSAGE, "unknown field '%s' (%s)", name,
			     names);
		g_free(names);
		g_free(name);
		return CM_EUSAGE;
	}
	g_free(name);
	if (eq[1] == '\0')
		return 0;
	return case_field_check(*f_r, eq + 1, canon_r, err);
}

int
case_field_set(const struct case_ctx *ctx, int64_t id,
	       const struct config_field *f, const char *value,
	       int *changed_r, struct cm_error *err)
{
	char num[CASENUM_BUF_SIZE], *old = NULL, *what;
	int64_t into = 0;
	int rc;

	*changed_r = 0;
	rc = store_case_merged_into(ctx->store, id, &into, err);
	if (rc == CM_ENOTFOUND) {
		case_format_number(ctx->cfg, id, num, sizeof(num));
		return cm_error_set(err, CM_ENOTFOUND, "no case %s", num);
	}
	if (rc == 0)
		rc = store_case_field_set(ctx->store, id, f->name, value, &old,
					  err);
	if (rc == 0 && g_strcmp0(old, value) != 0) {
		what = g_strdup_printf("field %s", f->name);
		rc = case_event_add(ctx, id, what, old, value, NULL, err);
		g_free(what);
		if (rc == 0)
			rc = store_case_touch(ctx->store, id, ctx->now, err);
		*changed_r = rc == 0;
	}
	g_free(old);
	return rc;
}

/* value as the store spells it, for key (new string in *out_r). */
static int
match_canon_enum(const struct config *cfg, enum store_match_key key,
		 const char *value, char **out_r, struct cm_error *err)
{
	struct case_fields in = { 0 }, canon;
	const char **slot = key == STORE_MATCH_TYPE ? &in.type
			    : key == STORE_MATCH_KIND ? &in.kind
			    : key == STORE_MATCH_SOURCE ? &in.source
						       : &in.priority;
	int rc;

	*slot = value;
	if ((rc = case_check_fields(cfg, &in, err)) != 0)
		return rc;
	case_canonical(cfg, &in, &canon);
	*out_r = g_strdup(key == STORE_MATCH_TYPE ? canon.type
			  : key == STORE_MATCH_KIND ? canon.kind
			  : key == STORE_MATCH_SOURCE ? canon.source
						     : canon.priority);
	return 0;
}

static int
match_canon_status(const char *value, char **out_r, struct cm_error *err)
{
	enum store_case_status st;
	char *word = g_ascii_strdown(value, -1);
	int rc = store_case_status_parse(word, &st);

	g_free(word);
	if (rc != 0)
		return cm_error_set(err, CM_EUSAGE, "unknown status '%s' "
				    "(one of: active, solved)", value);
	*out_r = g_strdup(store_case_status_name(st));
	return 0;
}

int
case_match_canon(const struct config *cfg, enum store_match_key key,
		 const char *field, const char *value, char **out_r,
		 struct cm_error *err)
{
	const struct config_field *f;

	*out_r = NULL;
	switch (key) {
	case STORE_MATCH_STATUS:
		return match_canon_status(value, out_r, err);
	case STORE_MATCH_TYPE:
	case STORE_MATCH_KIND:
	case STORE_MATCH_SOURCE:
	case STORE_MATCH_PRIORITY:
		return match_canon_enum(cfg, key, value, out_r, err);
	case STORE_MATCH_OWNER:
	case STORE_MATCH_WATCHER:
		return addr_normalize(value, out_r, err);
	case STORE_MATCH_FIELD:
		if ((f = config_field_find(cfg, field)) == NULL)
			return cm_error_set(err, CM_EUSAGE, "unknown "
					    "field '%s'", field);
		return case_field_check(f, value, out_r, err);
	case STORE_MATCH_SHIPMENT:
	case STORE_MATCH_CRM:
		break;
	}
	*out_r = g_strdup(value);
	return 0;
}

static const struct {
	const char *name;
	enum store_view view;
} case_views[] = {
	{ "all", STORE_VIEW_ALL }, { "active", STORE_VIEW_ACTIVE },
	{ "recent", STORE_VIEW_RECENT }, { "mine", STORE_VIEW_MINE },
	{ "watched", STORE_VIEW_WATCHED }, { "new", STORE_VIEW_NEW },
	{ "overdue", STORE_VIEW_OVERDUE },
	/* Active cases past a service-level target (sla.h). */
	{ "breaching", STORE_VIEW_ACTIVE },
};

int
case_view_parse(const char *name, enum store_view *view_r,
		int *breaching_r)
{
	for (size_t i = 0; i < G_N_ELEMENTS(case_views); i++)
		if (strcmp(case_views[i].name, name) == 0) {
			*view_r = case_views[i].view;
			*breaching_r = strcmp(name, "breaching") == 0;
			return 0;
		}
	return CM_ENOTFOUND;
}

int
case_filter_as(struct store *s, struct store_filter *f, const char *as,
	       char **side_r)
{
	struct store_person *p = NULL;

	*side_r = NULL;
	f->as = as;
	/* "new" = no owner on my side; someone with no side sees cases with
	 * no owner at all. */
	if (store_person_get(s, as, &p, NULL) == 0 && p->side != NULL &&
	    strcmp(p->side, "internal") != 0) {
		*side_r = g_strdup(p->side);
		f->as_side = *side_r;
	}
	store_person_free(&p);
	return 0;
}

void
case_filter_text(const struct config *cfg, struct store_filter *f,
		 const char *text)
{
	char **words = g_strsplit(text, " ", -1);
	int64_t id;

	f->text = text;
	for (char **w = words; *w != NULL; w++)
		if (case_parse_number(cfg, *w, &id, NULL) == 0)
			f->text_case_id = id;
	g_strfreev(words);
}
