/*
 * cli_sla.c - service levels in casectl: the due times that show prints
 * (text in the desk's timezone, JSON in UTC), and the cases a
 * "breaching" list keeps.
 */
#include "cli.h"

#include "casemail/sla.h"
#include "casemail/timeutil.h"

/* "1h20m", "45m", "0s", "20s" into buf: seconds under a minute (a
 * 30-second target used 5 seconds is not "1m of 1m"), whole minutes
 * rounded up above. */
void
cli_sla_duration(int64_t secs, char *buf, size_t size)
{
	int64_t m = (secs + 59) / 60;

	if (secs < 60)
		g_snprintf(buf, size, "%llds", (long long)MAX(secs, 0));
	else if (m >= 60 && m % 60 != 0)
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
			time_format_zone(c->due_at, cli->cfg->case_timezone,
					 due, sizeof(due));
		cli_sla_duration(c->used_secs, used, sizeof(used));
		cli_sla_duration(c->target_secs, target, sizeof(target));
		printf("%-14s due %s, %s (%s of %s business time)\n", labels[k],
		       due, sla_state_name(c->state), used, target);
	}
	return rc;
}

int
cli_sla_json(struct cli *cli, int64_t id, JsonObject *o)
{
	return case_json_sla(cli->store, cli->cfg, id, cli->now, o,
			     &cli->err);
}

int
cli_sla_breaching(struct cli *cli, const struct store_filter *f,
		  GArray **ids_r)
{
	return sla_list_breaching_cfg(cli->cfg, cli->store, f, ids_r,
				      &cli->err);
}
