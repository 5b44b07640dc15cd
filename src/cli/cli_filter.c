/*
 * cli_filter.c - list filters with several values and negated forms
 * (--status active,solved, --not-owner EMAIL, --field NAME=V1,V2), turned
 * into the store's struct store_match once the configuration is read.
 */
#include "cli.h"

#include <string.h>

#include "casemail/case_fields.h"
#include "casemail/strv.h"

/* One filter being built: a key, and the values of every occurrence of
 * its option (the same option twice adds values: either may match). */
struct cli_filter_entry {
	enum store_match_key key;
	int negate;
	char *field;          /* STORE_MATCH_FIELD: the field's name */
	GPtrArray *values;    /* char *, owned */
};

static const char *const filter_names[] = {
	[STORE_MATCH_STATUS] = "status", [STORE_MATCH_TYPE] = "type",
	[STORE_MATCH_KIND] = "kind", [STORE_MATCH_SOURCE] = "source",
	[STORE_MATCH_PRIORITY] = "priority",
	[STORE_MATCH_SHIPMENT] = "shipment", [STORE_MATCH_CRM] = "crm",
	[STORE_MATCH_OWNER] = "owner", [STORE_MATCH_WATCHER] = "watcher",
	[STORE_MATCH_FIELD] = "field",
};

void
cli_filter_init(struct cli_filter *cf)
{
	memset(cf, 0, sizeof(*cf));
	cf->entries = g_ptr_array_new();
}

void
cli_filter_clear(struct cli_filter *cf)
{
	for (guint i = 0; cf->entries != NULL && i < cf->entries->len; i++) {
		struct cli_filter_entry *e = cf->entries->pdata[i];

		g_free(e->field);
		g_ptr_array_unref(e->values);
		g_free(e);
	}
	if (cf->entries != NULL)
		g_ptr_array_unref(cf->entries);
	g_free(cf->matches);
	memset(cf, 0, sizeof(*cf));
}

static struct cli_filter_entry *
filter_entry(struct cli_filter *cf, enum store_match_key key, int negate,
	     const char *field)
{
	struct cli_filter_entry *e;

	for (guint i = 0; i < cf->entries->len; i++) {
		e = cf->entries->pdata[i];
		if (e->key == key && e->negate == negate &&
		    g_strcmp0(e->field, field) == 0)
			return e;
	}
	e = g_new0(struct cli_filter_entry, 1);
	e->key = key;
	e->negate = negate;
	e->field = g_strdup(field);
	e->values = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(cf->entries, e);
	return e;
}

/* The comma-separated values of list, trimmed, into e. */
static int
filter_values(struct cli *cli, struct cli_filter_entry *e, const char *list)
{
	char **items = strv_split_list(list);
	int rc = 0;

	for (char **p = items; *p != NULL; p++)
		g_ptr_array_add(e->values, g_strdup(*p));
	g_strfreev(items);
	if (e->values->len == 0)
		rc = cm_error_set(&cli->err, CM_EUSAGE, "--%s%s wants a value",
				  e->negate ? "not-" : "",
				  filter_names[e->key]);
	return rc;
}

int
cli_filter_opt(struct cli *cli, struct cli_filter *cf, int opt,
	       const char *arg)
{
	int code = opt - CLI_OPT_FILTER;
	enum store_match_key key = (enum store_match_key)(code / 2);
	int negate = code % 2;
	const char *eq;
	char *name;
	int rc;

	if (code < 0 || (guint)key >= G_N_ELEMENTS(filter_names))
		return cm_error_set(&cli->err, CM_EUSAGE, "bad option");
	if (key != STORE_MATCH_FIELD)
		return filter_values(cli, filter_entry(cf, key, negate, NULL),
				     arg);
	if ((eq = strchr(arg, '=')) == NULL || eq == arg)
		return cm_error_set(&cli->err, CM_EUSAGE, "--%sfield wants "
				    "NAME=VALUE[,VALUE...], not '%s'",
				    negate ? "not-" : "", arg);
	name = g_ascii_strdown(arg, eq - arg);
	rc = filter_values(cli, filter_entry(cf, key, negate, name), eq + 1);
	g_free(name);
	return rc;
}

int
cli_filter_finish(struct cli *cli, struct cli_filter *cf,
		  struct store_filter *f)
{
	g_free(cf->matches);
	cf->matches = g_new0(struct store_match, cf->entries->len + 1);
	for (guint i = 0; i < cf->entries->len; i++) {
		struct cli_filter_entry *e = cf->entries->pdata[i];
		struct store_match *m = &cf->matches[i];

		for (guint j = 0; j < e->values->len; j++) {
			char *canon = NULL;
			int rc = case_match_canon(cli->cfg, e->key, e->field,
						  e->values->pdata[j], &canon,
						  &cli->err);

			if (rc != 0)
				return rc;
			g_free(e->values->pdata[j]);
			e->values->pdata[j] = canon;
		}
		m->key = e->key;
		m->negate = e->negate;
		m->field = e->field;
		m->values = (const char *const *)e->values->pdata;
		m->n_values = e->values->len;
	}
	f->matches = cf->matches;
	f->n_matches = cf->entries->len;
	return 0;
}
