/*
 * sla.c - service levels on cases (see sla.h).
 */
#include "casemail/sla.h"

#include <string.h>

int
sla_waiting_pauses(const char *on)
{
	/* Every "waiting on" so far is someone outside the desk. */
	return on != NULL;
}

void
sla_pauses(const struct store_sla_case *c, GArray *pauses)
{
	int waiting = 0, solved = 0;
	int64_t since = 0;

	for (guint i = 0; c->events != NULL && i < c->events->len; i++) {
		const struct store_sla_event *e =
			&g_array_index(c->events, struct store_sla_event, i);
		int was = waiting || solved;

		if (e->waiting)
			waiting = sla_waiting_pauses(e->value);
		else
			solved = g_strcmp0(e->value, "solved") == 0;
		if (!was && (waiting || solved)) {
			since = e->at;
		} else if (was && !waiting && !solved) {
			struct bizhours_pause p = { since, e->at };

			g_array_append_val(pauses, p);
		}
	}
	if (waiting || solved) {
		struct bizhours_pause p = { since, BIZHOURS_NEVER };

		g_array_append_val(pauses, p);
	}
}

static int
sla_paused_now(GArray *pauses)
{
	return pauses->len > 0 &&
	       g_array_index(pauses, struct bizhours_pause, pauses->len - 1)
			       .until == BIZHOURS_NEVER;
}

static void
sla_clock(const struct slaconf *sc, const struct store_sla_case *c,
	  enum slaconf_kind kind, GArray *pauses, int64_t now,
	  struct sla_clock *k)
{
	struct bizhours *cal = slaconf_calendar(sc);
	int64_t lead = slaconf_warn_before(sc), end;

	memset(k, 0, sizeof(*k));
	/* Time used is wanted without a target too (reports). */
	k->done_at = kind == SLACONF_FIRST_RESPONSE ? c->first_response_at
		     : c->status == STORE_CASE_SOLVED ? c->solved_at : 0;
	end = k->done_at != 0 ? k->done_at : now;
	k->used_secs = bizhours_between_paused(cal, c->created_at, end, pauses);
	k->target_secs = slaconf_target(sc, kind, c->type, c->priority);
	if (k->target_secs == 0)
		return;
	k->due_at = bizhours_add_paused(cal, c->created_at, k->target_secs,
					pauses);
	if (lead > 0)
		k->warn_at = lead >= k->target_secs ? c->created_at :
			bizhours_add_paused(cal, c->created_at,
					    k->target_secs - lead, pauses);
	if (k->done_at != 0)
		k->state = k->used_secs <= k->target_secs ? SLA_MET : SLA_MISSED;
	else if (c->status == STORE_CASE_SOLVED)
		k->state = SLA_CLOSED;
	else if (k->used_secs >= k->target_secs)
		k->state = SLA_BREACHED;
	else if (sla_paused_now(pauses))
		k->state = SLA_PAUSED;
	else
		k->state = SLA_RUNNING;
}

void
sla_compute(const struct slaconf *sc, const struct store_sla_case *c,
	    int64_t now, struct sla_status *st)
{
	GArray *pauses = g_array_new(FALSE, FALSE,
				     sizeof(struct bizhours_pause));

	sla_pauses(c, pauses);
	for (int k = 0; k < SLACONF_KINDS; k++)
		sla_clock(sc, c, (enum slaconf_kind)k, pauses, now,
			  &st->clock[k]);
	g_array_unref(pauses);
}

int
sla_case_status(const struct slaconf *sc, struct store *s, int64_t id,
		int64_t now, struct sla_status *st, struct cm_error *err)
{
	struct store_sla_case *c = NULL;
	int rc = store_sla_case_get(s, id, &c, err);

	if (rc != 0)
		return rc;
	sla_compute(sc, c, now, st);
	store_sla_case_free(&c);
	return 0;
}

int
sla_breaching(const struct sla_status *st)
{
	for (int k = 0; k < SLACONF_KINDS; k++)
		if (st->clock[k].state == SLA_BREACHED)
			return 1;
	return 0;
}

const char *
sla_state_name(enum sla_state state)
{
	static const char *const names[] = {
		"none", "running", "paused", "breached", "met", "missed",
		"closed",
	};

	return (size_t)state < G_N_ELEMENTS(names) ? names[state] : "?";
}

int
sla_list_breaching(const struct slaconf *sc, struct store *s,
		   const struct store_filter *f, GArray **ids_r,
		   struct cm_error *err)
{
	static const enum store_case_status active = STORE_CASE_ACTIVE;
	struct store_filter all = *f;
	int64_t youngest = f->now - slaconf_min_target(sc);
	GArray *ids = NULL, *out;
	int rc;

	*ids_r = NULL;
	out = g_array_new(FALSE, FALSE, sizeof(int64_t));
	if (!slaconf_enabled(sc)) {
		*ids_r = out;
		return 0;
	}
	all.status = &active;
	all.limit = 0;
	/* Business time runs no faster than the clock on the wall: a case
	 * younger than the smallest target cannot be breaching yet. */
	if (all.created_until == STORE_TIME_UNSET ||
	    all.created_until > youngest + 1)
		all.created_until = youngest + 1;
	rc = store_case_list(s, &all, &ids, err);
	for (guint i = 0; rc == 0 && i < ids->len; i++) {
		int64_t id = g_array_index(ids, int64_t, i);
		struct sla_status st;

		if (f->limit > 0 && out->len >= (guint)f->limit)
			break;
		rc = sla_case_status(sc, s, id, f->now, &st, err);
		if (rc == 0 && sla_breaching(&st))
			g_array_append_val(out, id);
	}
	if (ids != NULL)
		g_array_unref(ids);
	if (rc != 0) {
		g_array_unref(out);
		return rc;
	}
	*ids_r = out;
	return 0;
}

int
sla_list_breaching_cfg(const struct config *cfg, struct store *s,
		       const struct store_filter *f, GArray **ids_r,
		       struct cm_error *err)
{
	struct slaconf *sc = NULL;
	int rc = slaconf_new(cfg, &sc, err);

	*ids_r = NULL;
	if (rc == 0)
		rc = sla_list_breaching(sc, s, f, ids_r, err);
	slaconf_free(&sc);
	return rc;
}
