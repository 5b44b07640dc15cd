/*
 * web_sla.c - service levels on the pages: the breaching view's cases and
 * a case's two clocks (first response, resolution) with their due times,
 * from sla.h, as casectl list --breaching and casectl show have them.
 *
 * A struct slaconf holds a calendar whose cache changes as it is asked
 * (slaconf.h): each request reads its own.
 */
#include "web_private.h"

#include "casemail/sla.h"

int
web_sla_breaching(struct web_req *r, const struct store_filter *f,
		  GArray **ids_r)
{
	struct slaconf *sc = NULL;
	int rc = slaconf_new(r->web->cfg, &sc, &r->err);

	if (rc == 0)
		rc = sla_list_breaching(sc, r->store, f, ids_r, &r->err);
	slaconf_free(&sc);
	return rc;
}

int
web_sla_due(struct web_req *r, int64_t id)
{
	static const char *const labels[SLACONF_KINDS] = {
		"First response", "Resolution",
	};
	struct slaconf *sc = NULL;
	struct sla_status st;
	int rc = slaconf_new(r->web->cfg, &sc, &r->err);

	if (rc == 0 && slaconf_enabled(sc))
		rc = sla_case_status(sc, r->store, id, r->now, &st, &r->err);
	for (int k = 0; rc == 0 && slaconf_enabled(sc) && k < SLACONF_KINDS;
	     k++) {
		const struct sla_clock *c = &st.clock[k];

		if (c->state == SLA_NONE)
			continue;
		web_put(r->out, "<dt>%s</dt><dd class=\"sla sla-%s\">%s, ",
			labels[k], sla_state_name(c->state),
			sla_state_name(c->state));
		if (c->done_at != 0) {
			g_string_append(r->out, "done ");
			web_put_time(r, c->done_at);
		} else if (c->due_at == BIZHOURS_NEVER) {
			g_string_append(r->out, "paused");
		} else {
			g_string_append(r->out, "due ");
			web_put_time(r, c->due_at);
		}
		g_string_append(r->out, "</dd>");
	}
	slaconf_free(&sc);
	return rc;
}
