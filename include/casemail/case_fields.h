/*
 * case_fields.h - the desk's custom fields on a case: values checked by
 * the type the configuration declares ([field.NAME], config.h), set with
 * an audit event, read for show, JSON and templates.
 */
#ifndef CASEMAIL_CASE_FIELDS_H
#define CASEMAIL_CASE_FIELDS_H

#include "casemail/case.h"

/* Longest text value: a line, not a document. */
#define CASE_FIELD_VALUE_MAX 1000

/*
 * Check value for field f and write its stored spelling to *canon_r (new
 * string, caller g_free()s): a choice as declared (matched without regard
 * to case), a date as YYYY-MM-DD (a real calendar day), a number as
 * written (an optional sign, digits, an optional fraction).  CM_EUSAGE
 * naming the field and what it takes.
 */
int case_field_check(const struct config_field *f, const char *value,
		     char **canon_r, struct cm_error *err);

/*
 * Split "NAME=VALUE" and check it: *f_r is the declared field, *canon_r
 * the value as case_field_check() gives it (NULL for an empty VALUE,
 * which clears the field).  CM_EUSAGE for no '=', an undeclared name (the
 * message lists the declared ones) or a bad value.
 */
int case_field_parse(const struct config *cfg, const char *arg,
		     const struct config_field **f_r, char **canon_r,
		     struct cm_error *err);

/* Set (value NULL: clear) field f of case id; audited as "field NAME".
 * *changed_r: the value differed.  CM_ENOTFOUND for no case. */
int case_field_set(const struct case_ctx *ctx, int64_t id,
		   const struct config_field *f, const char *value,
		   int *changed_r, struct cm_error *err);

/*
 * A list filter's value as the store spells it, checked (casectl's
 * --status/--type/... and casemail-web's filters): a status or an enum
 * word in its canonical spelling, an owner or watcher as a normalised
 * address, a custom field's value by case_field_check() (field: its
 * name).  New string in *out_r (caller g_free()s); CM_EUSAGE saying what
 * is allowed.
 */
int case_match_canon(const struct config *cfg, enum store_match_key key,
		     const char *field, const char *value, char **out_r,
		     struct cm_error *err);

/*
 * The built-in list view called name (active, recent, mine, watched,
 * new, overdue, all, and breaching: Active cases past a service level,
 * which *breaching_r says and sla_list_breaching() finds) into *view_r.
 * CM_ENOTFOUND for any other name (casectl then looks for a saved view).
 */
int case_view_parse(const char *name, enum store_view *view_r,
		    int *breaching_r);

/*
 * Make f's views relative to the agent at address as (mine, watched,
 * new): f->as, and f->as_side their side when they have one (new: no
 * owner on that side), a new string in *side_r (caller g_free()s, NULL
 * when none) that f borrows.  Returns 0.
 */
int case_filter_as(struct store *s, struct store_filter *f, const char *as,
		   char **side_r);

/*
 * Search f for text (borrowed: it must outlive f): its words, and the
 * case whose number is one of them (the last such word wins), as
 * casemail-web's list and its API read q=.
 */
void case_filter_text(const struct config *cfg, struct store_filter *f,
		      const char *text);

#endif
