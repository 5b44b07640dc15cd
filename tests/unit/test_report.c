/* test_report.c - casectl report's figures on a small known desk:
 * times in business hours (median, p90 by nearest rank), shares within
 * target, groups, the backlog by age, counts and the load per owner. */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "casemail/case.h"
#include "casemail/report.h"

#define H 3600
#define DAY 86400
/* Monday 7 December 2026, 00:00 UTC. */
#define MON ((int64_t)1796601600)

struct fixture {
	struct testutil_env env;
	struct case_ctx ctx;
	struct slaconf *sc;
};

#define TX(fx, call) TESTUTIL_TX((fx)->env.store, call)

static int64_t
create(struct fixture *fx, int64_t at, const char *type, const char *prio,
       const char *source, const char *owner)
{
	struct case_fields f = { .subject = "s", .type = type,
				 .priority = prio, .source = source };
	int64_t id = 0;

	fx->ctx.now = at;
	assert_int_equal(TX(fx, case_create(&fx->ctx, &f, &id, NULL)), 0);
	if (owner != NULL)
		assert_int_equal(TX(fx, case_assign(&fx->ctx, id, owner,
						    "shipper", NULL, NULL)), 0);
	return id;
}

static void
answer(struct fixture *fx, int64_t id, int64_t at)
{
	fx->ctx.now = at;
	assert_int_equal(TX(fx, case_add_note(&fx->ctx, id, "ok", 1, NULL,
					      NULL)), 0);
}

static void
solve(struct fixture *fx, int64_t id, int64_t at)
{
	fx->ctx.now = at;
	assert_int_equal(TX(fx, case_solve(&fx->ctx, id, NULL)), 0);
}

static int
setup(void **state)
{
	struct fixture *fx = g_new0(struct fixture, 1);
	struct cm_error err = { 0 };
	int64_t c1, c2, c5;

	testutil_env_open(&fx->env, "types = damaged, lost, other\n"
			  "timezone = UTC\n[sla]\n"
			  "first_response = urgent 1h, normal 4h\n"
			  "resolution = urgent 8h, normal 16h\n"
			  "hours = mon-fri 08:00-18:00\n");
	fx->ctx.store = fx->env.store;
	fx->ctx.cfg = fx->env.cfg;
	fx->ctx.actor = "agent@desk.example";
	if (slaconf_new(fx->env.cfg, &fx->sc, &err) != 0)
		fail_msg("sla: %s", err.msg);
	/* Before the period, still open, no owner. */
	create(fx, MON - DAY + 12 * H, "other", "normal", NULL, NULL);
	/* Answered after 1 h, solved after 4 h: both met. */
	c1 = create(fx, MON + 8 * H, "other", "normal", NULL,
		    "anna@desk.example");
	answer(fx, c1, MON + 9 * H);
	solve(fx, c1, MON + 12 * H);
	/* Urgent, answered after 3 h, solved after 10 business hours. */
	c2 = create(fx, MON + 10 * H, "damaged", "urgent", NULL,
		    "anna@desk.example");
	answer(fx, c2, MON + 13 * H);
	solve(fx, c2, MON + DAY + 10 * H);
	/* Tuesday, never answered. */
	create(fx, MON + DAY + 8 * H, "other", "normal", NULL,
	       "bob@desk.example");
	/* Wednesday, low (no target), from mail, answered in 30 min. */
	c5 = create(fx, MON + 2 * DAY + 8 * H, "lost", "low", "email", NULL);
	answer(fx, c5, MON + 2 * DAY + 8 * H + 1800);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	slaconf_free(&fx->sc);
	testutil_env_close(&fx->env);
	g_free(fx);
	return 0;
}

static struct report *
build(struct fixture *fx, enum store_report_by by)
{
	struct report *r = NULL;
	struct cm_error err = { 0 };

	if (report_build(fx->sc, fx->env.store, MON, MON + 7 * DAY, by,
			 MON + 7 * DAY, &r, &err) != 0)
		fail_msg("report: %s", err.msg);
	return r;
}

static void
test_times_and_shares(void **state)
{
	struct fixture *fx = *state;
	struct report *r = build(fx, STORE_REPORT_ALL);
	const struct report_time *fr = &r->total.time[SLACONF_FIRST_RESPONSE];
	const struct report_time *res = &r->total.time[SLACONF_RESOLUTION];

	assert_int_equal(r->total.cases, 4);
	assert_int_equal(r->total.solved, 2);
	assert_int_equal(r->groups->len, 0);
	/* Answers after 30 min, 1 h, 3 h. */
	assert_int_equal(fr->n, 3);
	assert_int_equal(fr->median, H);
	assert_int_equal(fr->p90, 3 * H);
	/* Met (c1), missed (c2), breached (c3); c5 has no target. */
	assert_int_equal(fr->with_target, 3);
	assert_int_equal(fr->met, 1);
	/* Solved after 4 h and 10 h of business time. */
	assert_int_equal(res->n, 2);
	assert_int_equal(res->median, 4 * H);
	assert_int_equal(res->p90, 10 * H);
	assert_int_equal(res->with_target, 3);
	assert_int_equal(res->met, 1);
	report_free(&r);
	assert_null(r);
}

static const struct report_group *
group(const struct report *r, const char *key)
{
	for (guint i = 0; i < r->groups->len; i++) {
		const struct report_group *g = r->groups->pdata[i];

		if (strcmp(g->key, key) == 0)
			return g;
	}
	fail_msg("no group %s", key);
	return NULL;
}

static void
test_groups(void **state)
{
	struct fixture *fx = *state;
	struct report *r = build(fx, STORE_REPORT_OWNER);
	const struct report_group *anna = group(r, "anna@desk.example");

	assert_int_equal(r->groups->len, 3);
	/* Most cases first. */
	assert_ptr_equal(r->groups->pdata[0], anna);
	assert_int_equal(anna->cases, 2);
	assert_int_equal(anna->solved, 2);
	assert_int_equal(anna->time[SLACONF_FIRST_RESPONSE].median, H);
	assert_int_equal(anna->time[SLACONF_FIRST_RESPONSE].p90, 3 * H);
	assert_int_equal(group(r, "bob@desk.example")->cases, 1);
	assert_int_equal(group(r, "(none)")->time[SLACONF_FIRST_RESPONSE].n, 1);
	assert_int_equal(r->total.cases, 4);
	report_free(&r);
	r = build(fx, STORE_REPORT_PRIORITY);
	assert_int_equal(group(r, "normal")->cases, 2);
	assert_int_equal(group(r, "urgent")->time[SLACONF_RESOLUTION].median,
			 10 * H);
	report_free(&r);
}

static void
test_backlog(void **state)
{
	struct fixture *fx = *state;
	struct report *r = build(fx, STORE_REPORT_ALL);
	static const int64_t want[][5] = {
		/* open, 0-1d, 1-3d, 3-7d, >7d at the end of each day */
		{ 2, 1, 1, 0, 0 }, { 2, 1, 1, 0, 0 }, { 3, 1, 1, 1, 0 },
		{ 3, 0, 2, 1, 0 }, { 3, 0, 1, 2, 0 }, { 3, 0, 0, 3, 0 },
		{ 3, 0, 0, 2, 1 },
	};

	assert_int_equal(r->step_secs, DAY);
	assert_int_equal(r->backlog->len, 7);
	for (guint i = 0; i < 7; i++) {
		const struct report_backlog *b =
			&g_array_index(r->backlog, struct report_backlog, i);

		assert_int_equal(b->at, MON + (int64_t)(i + 1) * DAY);
		assert_int_equal(b->open, want[i][0]);
		for (int a = 0; a < REPORT_AGES; a++)
			assert_int_equal(b->age[a], want[i][a + 1]);
	}
	report_free(&r);
}

static void
test_counts_and_load(void **state)
{
	struct fixture *fx = *state;
	struct report *r = build(fx, STORE_REPORT_ALL);
	const struct store_report_count *c;
	const struct store_report_load *l;

	assert_int_equal(r->by_type->len, 3);
	c = r->by_type->pdata[0];
	assert_string_equal(c->key, "other");
	assert_int_equal(c->n, 2);
	c = r->by_source->pdata[0];
	assert_string_equal(c->key, "user");
	assert_int_equal(c->n, 3);
	/* The agent who opened them has no side. */
	c = r->by_side->pdata[0];
	assert_null(c->key);
	assert_int_equal(c->n, 4);
	assert_int_equal(r->load->len, 3);
	l = r->load->pdata[0];
	assert_null(l->owner);
	assert_int_equal(l->active, 2);
	assert_int_equal(l->created, 1);
	l = r->load->pdata[2];
	assert_string_equal(l->owner, "anna@desk.example");
	assert_int_equal(l->active, 0);
	assert_int_equal(l->created, 2);
	assert_int_equal(l->solved, 2);
	report_free(&r);
}

static void
test_quantiles_and_args(void **state)
{
	struct fixture *fx = *state;
	GArray *v = g_array_new(FALSE, FALSE, sizeof(int64_t));
	struct report *r = NULL;
	enum store_report_by by;

	assert_int_equal(report_quantile(v, 50), 0);
	for (int64_t i = 1; i <= 10; i++)
		g_array_append_val(v, i);
	assert_int_equal(report_quantile(v, 50), 5);
	assert_int_equal(report_quantile(v, 90), 9);
	assert_int_equal(report_quantile(v, 100), 10);
	g_array_unref(v);
	assert_int_equal(report_by_parse("side", &by, NULL), 0);
	assert_int_equal(by, STORE_REPORT_SIDE);
	assert_int_equal(report_by_parse("colour", &by, NULL), CM_EUSAGE);
	assert_int_equal(report_build(fx->sc, fx->env.store, MON, MON,
				      STORE_REPORT_ALL, MON, &r, NULL), CM_EUSAGE);
	assert_int_equal(report_build(fx->sc, fx->env.store, MON,
				      MON + REPORT_MAX_SECS + 1,
				      STORE_REPORT_ALL, MON, &r, NULL), CM_EUSAGE);
	/* Over 31 days: weekly steps. */
	assert_int_equal(report_build(fx->sc, fx->env.store, MON - 35 * DAY,
				      MON + 7 * DAY, STORE_REPORT_ALL,
				      MON + 7 * DAY, &r, NULL), 0);
	assert_int_equal(r->step_secs, 7 * DAY);
	assert_int_equal(r->backlog->len, 6);
	report_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_times_and_shares, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backlog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts_and_load, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_quantiles_and_args, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
