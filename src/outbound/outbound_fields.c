/*
 * outbound_fields.c - the desk's custom fields as template variables:
 * {{case.field.NAME}} for every declared field ("" when the case has no
 * value, so {{#case.field.NAME}} sections work).
 */
#include "outbound_private.h"

#include "casemail/log.h"

void
outbound_field_vars(const struct outbound *o, int64_t case_id,
		    GHashTable *v)
{
	GPtrArray *vals = NULL;
	struct cm_error err = { 0 };
	char *name;

	for (guint i = 0; o->cfg->fields != NULL && i < o->cfg->fields->len;
	     i++) {
		const struct config_field *f = o->cfg->fields->pdata[i];

		name = g_strconcat("case.field.", f->name, NULL);
		outbound_set(v, name, "");
		g_free(name);
	}
	/* A store that cannot be read leaves the fields empty; the mail
	 * itself then fails or goes out as the template allows. */
	if (store_case_fields_get(o->store, case_id, &vals, &err) != 0) {
		log_warnx("case=%lld reading custom fields: %s",
			  (long long)case_id, err.msg);
		return;
	}
	for (guint i = 0; i < vals->len; i++) {
		const struct store_field *f = vals->pdata[i];

		/* A value of a field no longer declared is not offered. */
		if (config_field_find(o->cfg, f->name) == NULL)
			continue;
		name = g_strconcat("case.field.", f->name, NULL);
		outbound_set(v, name, f->value);
		g_free(name);
	}
	g_ptr_array_unref(vals);
}
