/*
 * outbound_sla.c - service-level warnings: one mail to each owner of a
 * case (and the desk lead) before a target runs out, and one when it has.
 *
 * Each warning is recorded (sla_warnings) in the transaction that queues
 * its mails, so it exists exactly when its mails do: a crash before the
 * commit leaves neither, a restart after it sends neither again.  The
 * whole desk's warnings go through one token bucket ([sla]
 * warn_per_hour); one that finds it empty waits for a later look.
 */
#include "outbound_private.h"

#include <string.h>

#include "casemail/case.h"
#include "casemail/log.h"
#include "casemail/sla.h"
#include "casemail/timeutil.h"

static const char *const ob_sla_labels[SLACONF_KINDS] = {
	"first response", "resolution",
};

/* Owners and the desk lead, lower case, each once. */
static GPtrArray *
ob_sla_recipients(const struct outbound *o, const struct store_case *c)
{
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < c->owners->len; i++)
		outbound_add_unique(to, ((struct store_person *)
					 c->owners->pdata[i])->address);
	if (o->cfg->case_desk_lead != NULL)
		outbound_add_unique(to, o->cfg->case_desk_lead);
	return to;
}

static GHashTable *
ob_sla_vars(const struct outbound *o, const struct outbound_case *oc,
	    enum slaconf_kind kind, const struct sla_clock *k, int breached)
{
	GHashTable *v = outbound_case_vars(o, oc);
	char due[TIME_ISO_SIZE], span[32];
	int64_t left = k->target_secs - k->used_secs;

	time_format_iso(k->due_at, due, sizeof(due));
	outbound_set(v, "sla.target", ob_sla_labels[kind]);
	outbound_set(v, "sla.due", due);
	outbound_set(v, "sla.breached", breached ? "yes" : "");
	g_snprintf(span, sizeof(span), "%lldm", (long long)((MAX(left, 0) + 59) / 60));
	outbound_set(v, "sla.left", span);
	g_snprintf(span, sizeof(span), "%lldm", (long long)(k->target_secs / 60));
	outbound_set(v, "sla.target_time", span);
	return v;
}

/* Queue one warning for case_id to everyone it is for. */
static int
ob_sla_queue(struct outbound *o, const struct template *t, int64_t case_id,
	     enum slaconf_kind kind, const struct sla_clock *k, int breached,
	     int64_t now, int *mails_r, struct cm_error *err)
{
	struct case_ctx ctx = { o->store, o->cfg, "casemail", now };
	struct outbound_case oc;
	GPtrArray *to = NULL;
	GHashTable *vars = NULL;
	int rc = outbound_case_load(o, case_id, &oc, err);

	if (rc == 0) {
		to = ob_sla_recipients(o, oc.c);
		vars = ob_sla_vars(o, &oc, kind, k, breached);
	}
	for (guint i = 0; rc == 0 && i < to->len; i++) {
		struct compose_address rcpt = { NULL, to->pdata[i] };
		struct outbound_mail om = {
			.kind = "sla", .oc = &oc, .to = &rcpt, .n_to = 1,
			.auto_generated = 1, .recipient = to->pdata[i],
		};

		rc = outbound_queue_template(o, t, vars, &om, now, err);
		if (rc == 0)
			(*mails_r)++;
	}
	if (rc == 0)
		rc = case_event_add(&ctx, case_id, "sla warning", NULL,
				    slaconf_kind_name(kind),
				    breached ? "at the breach" : "before the breach",
				    err);
	if (rc == 0)
		log_info("sla: case=%s %s %s: warned %u", oc.num,
			 slaconf_kind_name(kind), breached ? "breached" : "due soon",
			 to->len);
	if (vars != NULL)
		g_hash_table_unref(vars);
	if (to != NULL)
		g_ptr_array_unref(to);
	outbound_case_clear(&oc);
	return rc;
}

/*
 * The warning one clock of a case needs at now: "at" once breached,
 * "before" from its warning time while it runs; NULL: none.
 */
static const char *
ob_sla_stage(const struct sla_clock *k, int64_t now)
{
	if (k->state == SLA_BREACHED)
		return "at";
	if (k->state == SLA_RUNNING && k->warn_at != 0 && now >= k->warn_at)
		return "before";
	return NULL;
}

/* The warnings case id needs; *stop_r when the bucket ran dry. */
static int
ob_sla_case(struct outbound *o, const struct slaconf *sc,
	    const struct template *t, int64_t id, int64_t now, int *mails_r,
	    int *stop_r, struct cm_error *err)
{
	struct sla_status st;
	int rc = sla_case_status(sc, o->store, id, now, &st, err);

	for (int k = 0; rc == 0 && k < SLACONF_KINDS; k++) {
		const char *stage = ob_sla_stage(&st.clock[k], now);
		const char *target = slaconf_kind_name((enum slaconf_kind)k);
		int seen = 0, ok = 0, added = 0;

		if (stage == NULL)
			continue;
		rc = store_sla_warned(o->store, id, target, stage, &seen, err);
		if (rc != 0 || seen)
			continue;
		rc = store_rate_take(o->store, "sla", o->cfg->sla_warn_per_hour,
				     o->cfg->sla_warn_per_hour, now, &ok, err);
		if (rc == 0 && !ok) {
			*stop_r = 1;
			break;
		}
		if (rc == 0)
			rc = store_sla_warning_add(o->store, id, target, stage,
						   st.clock[k].due_at, now,
						   &added, err);
		if (rc == 0 && added)
			rc = ob_sla_queue(o, t, id, (enum slaconf_kind)k,
					  &st.clock[k], strcmp(stage, "at") == 0,
					  now, mails_r, err);
	}
	return rc;
}

int
outbound_sla_warnings(struct outbound *o, int64_t now, int *mails_r,
		      int *deferred_r, struct cm_error *err)
{
	const struct template *t = template_find(o->templates, "sla-warning");
	struct slaconf *sc = NULL;
	GArray *ids = NULL;
	int64_t first;
	int rc, stop = 0;

	*mails_r = 0;
	*deferred_r = 0;
	if (t == NULL)
		return 0;
	rc = slaconf_new(o->cfg, &sc, err);
	if (rc != 0 || !slaconf_enabled(sc))
		goto out;
	/* Business time runs no faster than the wall clock: a case younger
	 * than the smallest target less the lead needs no warning yet. */
	first = MAX(slaconf_min_target(sc) - slaconf_warn_before(sc), 0);
	rc = store_sla_candidates(o->store, now - first, &ids, err);
	for (guint i = 0; rc == 0 && i < ids->len; i++) {
		rc = ob_sla_case(o, sc, t, g_array_index(ids, int64_t, i), now,
				 mails_r, &stop, err);
		if (stop) {
			*deferred_r = (int)(ids->len - i);
			break;
		}
	}
out:
	if (ids != NULL)
		g_array_unref(ids);
	slaconf_free(&sc);
	return rc;
}
