/*
 * config_fields.c - the desk's custom fields: one [field.NAME] group
 * each, with the keys type (text, choice, date, number), choices (for a
 * choice list, comma-separated) and label.
 *
 * The groups are named by the desk, so they cannot be rows of config.c's
 * key table; their keys and limits are fixed here instead, and anything
 * else in such a group is an error, as an unknown key is elsewhere.
 */
#include "config_private.h"

#include <string.h>

static const char *const config_field_types[] = {
	[CONFIG_FIELD_TEXT] = "text",
	[CONFIG_FIELD_CHOICE] = "choice",
	[CONFIG_FIELD_DATE] = "date",
	[CONFIG_FIELD_NUMBER] = "number",
};

static const char *const config_field_keys[] = { "type", "choices", "label" };

const char *
config_field_type_name(enum config_field_type type)
{
	return (guint)type < G_N_ELEMENTS(config_field_types)
		       ? config_field_types[type] : NULL;
}

int
config_fields_group(const char *group)
{
	return g_str_has_prefix(group, CONFIG_FIELD_GROUP);
}

static void
field_free(gpointer p)
{
	struct config_field *f = p;

	g_free(f->name);
	g_free(f->label);
	g_strfreev(f->choices);
	g_free(f);
}

void
config_fields_free(struct config *cfg)
{
	if (cfg->fields != NULL)
		g_ptr_array_unref(g_steal_pointer(&cfg->fields));
}

const struct config_field *
config_field_find(const struct config *cfg, const char *name)
{
	for (guint i = 0; cfg->fields != NULL && i < cfg->fields->len; i++) {
		const struct config_field *f = cfg->fields->pdata[i];

		if (strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

static int
field_bad(struct cm_error *err, const struct config *cfg, const char *group,
	  const char *key, const char *why)
{
	return cm_error_set(err, CM_ECONFIG, "%s: [%s]%s%s: %s", cfg->path,
			    group, key != NULL ? " " : "",
			    key != NULL ? key : "", why);
}

/* Printable UTF-8 text of 1 to max bytes. */
static int
field_text_ok(const char *s, size_t max)
{
	if (s[0] == '\0' || strlen(s) > max || !g_utf8_validate(s, -1, NULL))
		return 0;
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* A name: a lower-case letter, then letters, digits, '_' or '-'. */
static int
field_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > CONFIG_FIELD_NAME_MAX || !g_ascii_islower(name[0]))
		return 0;
	for (const char *p = name; *p != '\0'; p++)
		if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '_' &&
		    *p != '-')
			return 0;
	return 1;
}

/* Every key of group is one of ours. */
static int
field_keys_known(struct config *cfg, GKeyFile *kf, const char *group,
		 struct cm_error *err)
{
	char **keys = g_key_file_get_keys(kf, group, NULL, NULL);
	int rc = 0;

	for (char **k = keys; rc == 0 && k != NULL && *k != NULL; k++) {
		int known = 0;

		for (size_t i = 0; i < G_N_ELEMENTS(config_field_keys); i++)
			known |= strcmp(*k, config_field_keys[i]) == 0;
		if (!known)
			rc = field_bad(err, cfg, group, *k, "unknown key");
	}
	g_strfreev(keys);
	return rc;
}

/* A string key of group, trimmed (NULL when absent). */
static char *
field_get(GKeyFile *kf, const char *group, const char *key)
{
	char *v = g_key_file_get_string(kf, group, key, NULL);

	return v != NULL ? g_strstrip(v) : NULL;
}

static int
field_type(struct config *cfg, const char *group, const char *v,
	   struct config_field *f, struct cm_error *err)
{
	if (v == NULL)
		return field_bad(err, cfg, group, "type", "missing (one of: "
				 "text, choice, date, number)");
	for (size_t i = 0; i < G_N_ELEMENTS(config_field_types); i++) {
		if (strcmp(v, config_field_types[i]) == 0) {
			f->type = (enum config_field_type)i;
			return 0;
		}
	}
	return field_bad(err, cfg, group, "type",
			 "one of: text, choice, date, number");
}

static int
field_choices(struct config *cfg, const char *group, const char *v,
	      struct config_field *f, struct cm_error *err)
{
	GPtrArray *out;
	char **items;
	int rc = 0;

	if (f->type != CONFIG_FIELD_CHOICE)
		return v == NULL ? 0 : field_bad(err, cfg, group, "choices",
						 "only for type = choice");
	if (v == NULL)
		return field_bad(err, cfg, group, "choices",
				 "missing: a choice field lists its choices");
	items = g_strsplit(v, ",", -1);
	out = g_ptr_array_new();
	for (char **p = items; rc == 0 && *p != NULL; p++) {
		g_strstrip(*p);
		if (!field_text_ok(*p, CONFIG_FIELD_CHOICE_MAX))
			rc = field_bad(err, cfg, group, "choices", "a choice is "
				       "empty, longer than 64 bytes or holds a "
				       "control character");
		else if (out->len >= CONFIG_FIELD_CHOICES_MAX)
			rc = field_bad(err, cfg, group, "choices",
				       "more than 64 choices");
		else
			g_ptr_array_add(out, g_strdup(*p));
	}
	g_strfreev(items);
	g_ptr_array_add(out, NULL);
	f->choices = (char **)g_ptr_array_free(out, FALSE);
	return rc;
}

static int
field_load_one(struct config *cfg, GKeyFile *kf, const char *group,
	       struct cm_error *err)
{
	const char *name = group + strlen(CONFIG_FIELD_GROUP);
	struct config_field *f = g_new0(struct config_field, 1);
	char *type = field_get(kf, group, "type");
	char *choices = field_get(kf, group, "choices");
	char *label = field_get(kf, group, "label");
	int rc;

	f->name = g_strdup(name);
	g_ptr_array_add(cfg->fields, f);
	if (!field_name_ok(name))
		rc = field_bad(err, cfg, group, NULL, "a field name is a "
			       "lower-case letter, then up to 31 letters, "
			       "digits, '_' or '-'");
	else if (cfg->fields->len > CONFIG_FIELDS_MAX)
		rc = field_bad(err, cfg, group, NULL,
			       "more than 32 custom fields");
	else
		rc = field_keys_known(cfg, kf, group, err);
	if (rc == 0)
		rc = field_type(cfg, group, type, f, err);
	if (rc == 0)
		rc = field_choices(cfg, group, choices, f, err);
	if (rc == 0 && label != NULL &&
	    !field_text_ok(label, CONFIG_FIELD_LABEL_MAX))
		rc = field_bad(err, cfg, group, "label", "empty, longer than "
			       "100 bytes or holds a control character");
	if (rc == 0)
		f->label = g_strdup(label != NULL ? label : name);
	g_free(type);
	g_free(choices);
	g_free(label);
	return rc;
}

int
config_fields_load(struct config *cfg, GKeyFile *kf, struct cm_error *err)
{
	char **groups = g_key_file_get_groups(kf, NULL);
	int rc = 0;

	cfg->fields = g_ptr_array_new_with_free_func(field_free);
	for (char **g = groups; rc == 0 && *g != NULL; g++)
		if (config_fields_group(*g))
			rc = field_load_one(cfg, kf, *g, err);
	g_strfreev(groups);
	return rc;
}
