/*
 * slaconf.c - [sla] targets and calendar (see slaconf.h).
 */
#include "casemail/slaconf.h"

#include <string.h>

static const char *const slaconf_priorities[] = {
	"low", "normal", "high", "urgent",
};

struct slaconf_target {
	char *type;          /* NULL: any type */
	int priority;        /* index in slaconf_priorities */
	int64_t secs;
};

struct slaconf {
	struct bizhours *cal;
	GArray *targets[SLACONF_KINDS]; /* struct slaconf_target */
	int64_t min_secs;
	int64_t warn_before_secs;
};

const char *
slaconf_kind_name(enum slaconf_kind kind)
{
	return kind == SLACONF_FIRST_RESPONSE ? "first_response" : "resolution";
}

static int
slaconf_priority(const char *word)
{
	for (size_t i = 0; i < G_N_ELEMENTS(slaconf_priorities); i++)
		if (g_ascii_strcasecmp(word, slaconf_priorities[i]) == 0)
			return (int)i;
	return -1;
}

static void
slaconf_target_clear(gpointer p)
{
	g_free(((struct slaconf_target *)p)->type);
}

/* One "[TYPE/]PRIORITY DURATION" item. */
static int
slaconf_parse_item(const struct config *cfg, const char *item,
		   struct slaconf_target *t, struct cm_error *err)
{
	char **tok = g_strsplit_set(item, " \t", -1);
	const char *what = NULL, *dur = NULL, *slash;
	char *prio;
	int rc = 0;

	for (char **p = tok; *p != NULL; p++) {
		if ((*p)[0] == '\0')
			continue;
		if (what == NULL)
			what = *p;
		else if (dur == NULL)
			dur = *p;
		else
			what = NULL, dur = NULL, p[1] = NULL;
	}
	memset(t, 0, sizeof(*t));
	if (what == NULL || dur == NULL) {
		rc = cm_error_set(err, CM_ECONFIG, "'%s': want [TYPE/]PRIORITY "
				  "DURATION, e.g. urgent 1h", item);
		goto out;
	}
	slash = strchr(what, '/');
	prio = g_strdup(slash != NULL ? slash + 1 : what);
	t->priority = slaconf_priority(prio);
	g_free(prio);
	if (slash != NULL)
		t->type = g_strndup(what, (gsize)(slash - what));
	if (t->priority < 0)
		rc = cm_error_set(err, CM_ECONFIG, "'%s': not a priority (low, "
				  "normal, high, urgent)", item);
	else if (t->type != NULL && !config_has_type(cfg, t->type))
		rc = cm_error_set(err, CM_ECONFIG, "'%s': %s is not one of "
				  "[case] types", item, t->type);
	else
		rc = bizhours_parse_duration(dur, SLACONF_MAX_TARGET_SECS,
					     &t->secs, err);
	if (rc != 0) {
		slaconf_target_clear(t);
		rc = CM_ECONFIG;
	}
out:
	g_strfreev(tok);
	return rc;
}

static int
slaconf_parse_list(const struct config *cfg, struct slaconf *sc,
		   enum slaconf_kind kind, char **items, struct cm_error *err)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(struct slaconf_target));
	int rc = 0;

	g_array_set_clear_func(out, slaconf_target_clear);
	sc->targets[kind] = out;
	if (items != NULL && g_strv_length(items) > SLACONF_MAX_TARGETS)
		rc = cm_error_set(err, CM_ECONFIG, "more than %d items",
				  SLACONF_MAX_TARGETS);
	for (char **p = items; rc == 0 && p != NULL && *p != NULL; p++) {
		struct slaconf_target t;

		rc = slaconf_parse_item(cfg, *p, &t, err);
		if (rc != 0)
			break;
		g_array_append_val(out, t);
		if (sc->min_secs == 0 || t.secs < sc->min_secs)
			sc->min_secs = t.secs;
	}
	if (rc != 0)
		cm_error_prefix(err, "%s: [sla] %s", cfg->path,
				slaconf_kind_name(kind));
	return rc;
}

int
slaconf_new(const struct config *cfg, struct slaconf **sc_r,
	    struct cm_error *err)
{
	struct slaconf *sc = g_new0(struct slaconf, 1);
	int rc;

	*sc_r = NULL;
	sc->warn_before_secs = cfg->sla_warn_before_secs;
	rc = bizhours_new(cfg->sla_hours, cfg->sla_holidays, cfg->case_timezone,
			  &sc->cal, err);
	if (rc != 0)
		cm_error_prefix(err, "%s: [sla] hours, holidays or [case] "
				"timezone", cfg->path);
	if (rc == 0)
		rc = slaconf_parse_list(cfg, sc, SLACONF_FIRST_RESPONSE,
					cfg->sla_first_response, err);
	if (rc == 0)
		rc = slaconf_parse_list(cfg, sc, SLACONF_RESOLUTION,
					cfg->sla_resolution, err);
	if (rc != 0) {
		slaconf_free(&sc);
		return rc;
	}
	*sc_r = sc;
	return 0;
}

void
slaconf_free(struct slaconf **scp)
{
	struct slaconf *sc = scp != NULL ? g_steal_pointer(scp) : NULL;

	if (sc == NULL)
		return;
	bizhours_free(&sc->cal);
	for (int k = 0; k < SLACONF_KINDS; k++)
		if (sc->targets[k] != NULL)
			g_array_unref(sc->targets[k]);
	g_free(sc);
}

int
slaconf_enabled(const struct slaconf *sc)
{
	return sc->min_secs > 0;
}

int64_t
slaconf_min_target(const struct slaconf *sc)
{
	return sc->min_secs;
}

int64_t
slaconf_target(const struct slaconf *sc, enum slaconf_kind kind,
	       const char *type, const char *priority)
{
	GArray *list = sc->targets[kind];
	int prio = priority != NULL ? slaconf_priority(priority) : -1;
	int64_t any = 0;

	if (list == NULL || prio < 0)
		return 0;
	for (guint i = 0; i < list->len; i++) {
		const struct slaconf_target *t =
			&g_array_index(list, struct slaconf_target, i);

		if (t->priority != prio)
			continue;
		if (t->type == NULL)
			any = t->secs;
		else if (type != NULL && strcmp(t->type, type) == 0)
			return t->secs;
	}
	return any;
}

struct bizhours *
slaconf_calendar(const struct slaconf *sc)
{
	return sc->cal;
}

int64_t
slaconf_warn_before(const struct slaconf *sc)
{
	return sc->warn_before_secs;
}
