/*
 * cli_sla.c - service levels in casectl: the due times that show prints
 * (text and JSON), and the cases a "breaching" list keeps.
 */
#include "cli.h"

#include "casemail/sla.h"
#include "casemail/timeutil.h"

/* "1h20m", "45m", "0m" into buf. */
void
cli_sla_duration(int64_t secs, char *buf, size_t size)
{
	int64_t m = (secs + 59) / 60;

	if (m >= 60 && m % 60 != 0)
		g_snprintf(buf, size, "%lldh%02lldm", (long long)(m / 60),
			   (long long)(m % 60));
	else if (m >= 60)
		g_snprintf(buf, size, "%lldh", (long long)(m / 60));
	else
		g_snprintf(buf, size, "%lldm", (long long)m);
}

/* The clocks of case id, or *enabled_r 0 when no target is set. */
static int
cli_sla_status(struct cli *cli, int64_t id, struct sla_status *st,
	       int *enabled_r)
{
	struct slaconf *sc = NULL;
	int rc = slaconf_new(cli->cfg, &sc, &cli->err);

	*enabled_r = 0;
	if (rc != 0)
		return rc;
	*enabled_r = slaconf_enabled(sc);
	if (*enabled_r)
		rc = sla_case_status(sc, cli->store, id, cli->now, st,
				     &cli->err);
	slaconf_free(&sc);
	return rc;
}

int
cli_sla_show(struct cli *cli, int64_t id)
{
	static const char *const labels[SLACONF_KINDS] = {
		"first reply:", "resolution:",
	};
	struct sla_status st;
	int enabled, rc = cli_sla_status(cli, id, &st, &enabled);

	for (int k = 0; rc == 0 && enabled && k < SLACONF_KINDS; k++) {
		const struct sla_clock *c = &st.clock[k];
		char due[TIME_ISO_SIZE] = "never (paused)", used[32], target[32];

		if (c->state == SLA_NONE)
			continue;
		if (c->due_at != BIZHOURS_NEVER)
			time_format_iso(c->due_at, due, sizeof(due));
		cli_sla_duration(c->used_secs, used, sizeof(used));
		cli_sla_duration(c->target_secs, target, sizeof(target));
		printf("%-14s due %s, %s (%s of %s business time)\n", labels[k],
		       due, sla_state_name(c->state), used, target);
	}
	return rc;
}

static void
cli_sla_time(JsonObject *o, const char *name, int64_t t)
{
	char buf[TIME_ISO_SIZE];

	if (t == 0 || t == BIZHOURS_NEVER) {
		json_object_set_null_member(o, name);
		return;
	}
	time_format_iso(t, buf, sizeof(buf));
	json_object_set_string_member(o, name, buf);
}

int
cli_sla_json(struct cli *cli, int64_t id, JsonObject *o)
{
	struct sla_status st;
	int enabled, rc = cli_sla_status(cli, id, &st, &enabled);
	JsonObject *sla;

	if (rc != 0 || !enabled)
		return rc;
	sla = json_object_new();
	for (int k = 0; k < SLACONF_KINDS; k++) {
		const struct sla_clock *c = &st.clock[k];
		JsonObject *one;

		if (c->state == SLA_NONE)
			continue;
		one = json_object_new();
		json_object_set_string_member(one, "state",
					      sla_state_name(c->state));
		cli_sla_time(one, "due", c->due_at);
		cli_sla_time(one, "done", c->done_at);
		json_object_set_int_member(one, "target_secs", c->target_secs);
		json_object_set_int_member(one, "used_secs", c->used_secs);
		json_object_set_object_member(sla,
			slaconf_kind_name((enum slaconf_kind)k), one);
	}
	json_object_set_object_member(o, "sla", sla);
	return 0;
}

int
cli_sla_breaching(struct cli *cli, const struct store_filter *f,
		  GArray **ids_r)
{
	struct slaconf *sc = NULL;
	int rc = slaconf_new(cli->cfg, &sc, &cli->err);

	if (rc == 0)
		rc = sla_list_breaching(sc, cli->store, f, ids_r, &cli->err);
	slaconf_free(&sc);
	return rc;
}
