/* test_sla.c - service levels on cases: clocks with pauses, targets per
 * type, the breaching list, the [sla] keys' limits, and the warnings:
 * one before and one at a breach, never again, also after a restart. */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "casemail/case.h"
#include "casemail/outbound.h"
#include "casemail/sla.h"
#include "casemail/template.h"

#define H 3600
/* Monday 7 December 2026, 08:00 UTC. */
#define MON8 ((int64_t)1796630400)

#define SLA_CONF \
	"types = damaged, lost, other\n" \
	"timezone = UTC\n" \
	"desk_lead = lead@desk.example\n" \
	"[sla]\n" \
	"first_response = urgent 1h, normal 4h, lost/normal 2h\n" \
	"resolution = normal 16h, urgent 8h\n" \
	"hours = mon-fri 08:00-18:00\n" \
	"holidays = 2026-12-25\n" \
	"warn_before = 1800\n" \
	"warn_per_hour = %d\n"

struct fixture {
	struct testutil_env env;
	struct case_ctx ctx;
	struct slaconf *sc;
	GPtrArray *templates;
	struct outbound out;
};

static int
setup_rate(void **state, int per_hour)
{
	struct fixture *fx = g_new0(struct fixture, 1);
	struct cm_error err = { 0 };
	char *conf = g_strdup_printf(SLA_CONF, per_hour);
	char *here = g_path_get_dirname(__FILE__);
	/* The shipped templates, beside the tests unless ctest says. */
	char *dir = getenv("TEMPLATES_DIR") != NULL
			    ? g_strdup(getenv("TEMPLATES_DIR"))
			    : g_build_filename(here, "..", "..", "templates",
					       NULL);

	testutil_env_open(&fx->env, conf);
	g_free(conf);
	fx->ctx.store = fx->env.store;
	fx->ctx.cfg = fx->env.cfg;
	fx->ctx.actor = "agent@desk.example";
	fx->ctx.now = MON8;
	if (slaconf_new(fx->env.cfg, &fx->sc, &err) != 0)
		fail_msg("sla: %s", err.msg);
	if (template_load_dir(dir, &fx->templates, &err) != 0)
		fail_msg("templates: %s", err.msg);
	g_free(dir);
	g_free(here);
	outbound_init(&fx->out, fx->env.store, fx->env.cfg, fx->templates);
	*state = fx;
	return 0;
}

static int
setup(void **state)
{
	return setup_rate(state, 60);
}

static int
setup_slow(void **state)
{
	return setup_rate(state, 1);
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	outbound_clear(&fx->out);
	g_ptr_array_unref(fx->templates);
	slaconf_free(&fx->sc);
	testutil_env_close(&fx->env);
	g_free(fx);
	return 0;
}

#define TX(fx, call) TESTUTIL_TX((fx)->env.store, call)

static int64_t
create_at(struct fixture *fx, int64_t at, const char *type,
	  const char *priority)
{
	struct case_fields f = { .subject = "Pallet", .type = type,
				 .priority = priority };
	int64_t id = 0;

	fx->ctx.now = at;
	assert_int_equal(TX(fx, case_create(&fx->ctx, &f, &id, NULL)), 0);
	return id;
}

static void
status_at(struct fixture *fx, int64_t id, int64_t now, struct sla_status *st)
{
	struct cm_error err = { 0 };

	if (sla_case_status(fx->sc, fx->env.store, id, now, st, &err) != 0)
		fail_msg("status: %s", err.msg);
}

static void
test_clock_pauses_while_waiting(void **state)
{
	struct fixture *fx = *state;
	int64_t id = create_at(fx, MON8, "other", "normal");
	const struct sla_clock *fr;
	struct sla_status st;

	fx->ctx.now = MON8 + H;
	assert_int_equal(TX(fx, case_set_waiting(&fx->ctx, id, "customer",
						 NULL)), 0);
	/* While waiting: paused, never due. */
	status_at(fx, id, MON8 + 2 * H, &st);
	fr = &st.clock[SLACONF_FIRST_RESPONSE];
	assert_int_equal(fr->state, SLA_PAUSED);
	assert_int_equal(fr->due_at, BIZHOURS_NEVER);
	assert_int_equal(fr->used_secs, H);
	fx->ctx.now = MON8 + 3 * H;
	assert_int_equal(TX(fx, case_set_waiting(&fx->ctx, id, NULL, NULL)), 0);
	/* 1 h before, 2 h paused: a 4 h target is due at 14:00. */
	status_at(fx, id, MON8 + 4 * H, &st);
	assert_int_equal(fr->state, SLA_RUNNING);
	assert_int_equal(fr->used_secs, 2 * H);
	assert_int_equal(fr->due_at, MON8 + 6 * H);
	assert_int_equal(fr->warn_at, MON8 + 5 * H + 1800);
	/* An internal note is no answer. */
	fx->ctx.now = MON8 + 4 * H;
	assert_int_equal(TX(fx, case_add_note(&fx->ctx, id, "Hmm", 0, NULL,
					      NULL)), 0);
	status_at(fx, id, MON8 + 4 * H, &st);
	assert_int_equal(fr->done_at, 0);
	/* A public note at 12:00 answers: met with 2 h used. */
	assert_int_equal(TX(fx, case_add_note(&fx->ctx, id, "On it", 1, NULL,
					      NULL)), 0);
	status_at(fx, id, MON8 + 9 * H, &st);
	assert_int_equal(fr->state, SLA_MET);
	assert_int_equal(fr->done_at, MON8 + 4 * H);
	assert_int_equal(fr->used_secs, 2 * H);
	/* The resolution clock runs on: 08-09 and 11-17. */
	assert_int_equal(st.clock[SLACONF_RESOLUTION].state, SLA_RUNNING);
	assert_int_equal(st.clock[SLACONF_RESOLUTION].used_secs, 7 * H);
}

static void
test_outside_hours_and_type(void **state)
{
	struct fixture *fx = *state;
	/* Saturday 10:00: the clocks start Monday 08:00. */
	int64_t sat = create_at(fx, MON8 + 5 * 86400 + 2 * H, "other", "normal");
	int64_t lost = create_at(fx, MON8, "lost", "normal");
	int64_t low = create_at(fx, MON8, "other", "low");
	struct sla_status st;

	status_at(fx, sat, MON8 + 7 * 86400, &st);
	assert_int_equal(st.clock[SLACONF_FIRST_RESPONSE].due_at,
			 MON8 + 7 * 86400 + 4 * H);
	assert_int_equal(st.clock[SLACONF_FIRST_RESPONSE].used_secs, 0);
	/* lost/normal 2h beats normal 4h. */
	status_at(fx, lost, MON8, &st);
	assert_int_equal(st.clock[SLACONF_FIRST_RESPONSE].target_secs, 2 * H);
	/* No target for low: no clock judged. */
	status_at(fx, low, MON8 + 86400, &st);
	assert_int_equal(st.clock[SLACONF_FIRST_RESPONSE].state, SLA_NONE);
	assert_int_equal(st.clock[SLACONF_FIRST_RESPONSE].used_secs, 10 * H);
}

static void
test_solved_time_is_paused(void **state)
{
	struct fixture *fx = *state;
	int64_t id = create_at(fx, MON8, "other", "urgent");
	struct sla_status st;

	fx->ctx.now = MON8 + 2 * H;
	assert_int_equal(TX(fx, case_solve(&fx->ctx, id, NULL)), 0);
	status_at(fx, id, MON8 + 86400, &st);
	assert_int_equal(st.clock[SLACONF_RESOLUTION].state, SLA_MET);
	assert_int_equal(st.clock[SLACONF_RESOLUTION].used_secs, 2 * H);
	/* Solved unanswered: the first response is closed, not breached. */
	assert_int_equal(st.clock[SLACONF_FIRST_RESPONSE].state, SLA_CLOSED);
	/* Reopened Tuesday 08:00: 6 h left of the 8 h target. */
	fx->ctx.now = MON8 + 86400;
	assert_int_equal(TX(fx, case_reopen(&fx->ctx, id, NULL)), 0);
	status_at(fx, id, MON8 + 86400 + H, &st);
	assert_int_equal(st.clock[SLACONF_RESOLUTION].used_secs, 3 * H);
	assert_int_equal(st.clock[SLACONF_RESOLUTION].due_at,
			 MON8 + 86400 + 6 * H);
	assert_int_equal(st.clock[SLACONF_FIRST_RESPONSE].state, SLA_BREACHED);
}

static void
test_breaching_list(void **state)
{
	struct fixture *fx = *state;
	int64_t late = create_at(fx, MON8, "other", "urgent");
	int64_t fine = create_at(fx, MON8, "other", "normal");
	int64_t done = create_at(fx, MON8, "other", "urgent");
	struct store_filter f;
	GArray *ids = NULL;

	(void)fine;
	fx->ctx.now = MON8 + 1800;
	assert_int_equal(TX(fx, case_add_note(&fx->ctx, done, "ok", 1, NULL,
					      NULL)), 0);
	store_filter_init(&f, MON8 + 2 * H);
	assert_int_equal(sla_list_breaching(fx->sc, fx->env.store, &f, &ids,
					    NULL), 0);
	assert_int_equal(ids->len, 1);
	assert_int_equal(g_array_index(ids, int64_t, 0), late);
	g_array_unref(ids);
	/* Before anything is due: none. */
	store_filter_init(&f, MON8 + 1800);
	assert_int_equal(sla_list_breaching(fx->sc, fx->env.store, &f, &ids,
					    NULL), 0);
	assert_int_equal(ids->len, 0);
	g_array_unref(ids);
}

/* Mails of kind "sla" queued so far. */
static int64_t
sla_mails(struct fixture *fx)
{
	GPtrArray *mails = NULL;
	int64_t n = 0;

	assert_int_equal(store_outbox_list(fx->env.store, 0, &mails, NULL), 0);
	for (guint i = 0; i < mails->len; i++)
		n += strcmp(((struct store_outbox *)mails->pdata[i])->kind,
			    "sla") == 0;
	g_ptr_array_unref(mails);
	return n;
}

static int
warn(struct fixture *fx, int64_t now, int *deferred_r)
{
	int mails = -1, deferred = -1;

	assert_int_equal(TX(fx, outbound_sla_warnings(&fx->out, now, &mails,
						      &deferred, NULL)), 0);
	if (deferred_r != NULL)
		*deferred_r = deferred;
	return mails;
}

static void
test_warnings_once_each(void **state)
{
	struct fixture *fx = *state;
	int64_t id = create_at(fx, MON8, "other", "urgent");
	struct cm_error err = { 0 };
	struct store_options opt = { 1000, fx->env.cfg };
	int deferred;

	fx->ctx.now = MON8;
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, "anna@desk.example",
					    "shipper", NULL, NULL)), 0);
	/* Urgent: 1 h; the early warning 30 min before. */
	assert_int_equal(warn(fx, MON8 + 10 * 60, NULL), 0);
	/* Owner and desk lead: two mails per warning. */
	assert_int_equal(warn(fx, MON8 + 31 * 60, &deferred), 2);
	assert_int_equal(deferred, 0);
	assert_int_equal(warn(fx, MON8 + 32 * 60, NULL), 0);
	assert_int_equal(warn(fx, MON8 + 61 * 60, NULL), 2);
	assert_int_equal(warn(fx, MON8 + 62 * 60, NULL), 0);
	assert_int_equal(sla_mails(fx), 4);
	/* A restart: a new connection to the same file sends nothing. */
	outbound_clear(&fx->out);
	store_close(&fx->env.store);
	if (store_open(fx->env.cfg->store_database, &opt, &fx->env.store,
		       &err) != 0)
		fail_msg("reopen: %s", err.msg);
	fx->ctx.store = fx->env.store;
	outbound_init(&fx->out, fx->env.store, fx->env.cfg, fx->templates);
	assert_int_equal(warn(fx, MON8 + 2 * H, NULL), 0);
	/* The resolution target (8 h) comes later, once each. */
	assert_int_equal(warn(fx, MON8 + 8 * H - 20 * 60, NULL), 2);
	assert_int_equal(warn(fx, MON8 + 8 * H, NULL), 2);
	assert_int_equal(warn(fx, MON8 + 9 * H, NULL), 0);
	assert_int_equal(sla_mails(fx), 8);
}

static void
test_warning_missed_window_sends_only_at(void **state)
{
	struct fixture *fx = *state;
	int64_t id = create_at(fx, MON8, "other", "urgent");
	int found = 1;

	/* Down from before the early warning until after the breach. */
	assert_int_equal(warn(fx, MON8 + 2 * H, NULL), 1);
	assert_int_equal(store_sla_warned(fx->env.store, id, "first_response",
					  "before", &found, NULL), 0);
	assert_int_equal(found, 0);
	assert_int_equal(store_sla_warned(fx->env.store, id, "first_response",
					  "at", &found, NULL), 0);
	assert_int_equal(found, 1);
}

static void
test_warning_dedup_in_store(void **state)
{
	struct fixture *fx = *state;
	int64_t id = create_at(fx, MON8, "other", "urgent");
	int added = -1;

	assert_int_equal(store_sla_warning_add(fx->env.store, id, "resolution",
					       "at", MON8, MON8, &added, NULL), 0);
	assert_int_equal(added, 1);
	assert_int_equal(store_sla_warning_add(fx->env.store, id, "resolution",
					       "at", MON8 + 5, MON8 + 5, &added,
					       NULL), 0);
	assert_int_equal(added, 0);
	assert_int_equal(store_sla_warning_add(fx->env.store, id, "resolution",
					       "later", MON8, MON8, &added, NULL),
			 CM_EREFUSED);
}

static void
test_warnings_rate_limited(void **state)
{
	struct fixture *fx = *state;
	int deferred = 0;

	create_at(fx, MON8, "other", "urgent");
	create_at(fx, MON8, "other", "urgent");
	/* One token an hour: the first case's warning, the second waits. */
	assert_int_equal(warn(fx, MON8 + 31 * 60, &deferred), 1);
	assert_int_equal(deferred, 1);
	assert_int_equal(warn(fx, MON8 + 32 * 60, &deferred), 0);
	assert_int_equal(deferred, 1);
	/* An hour later the token is back; by then both breached. */
	assert_int_equal(warn(fx, MON8 + 92 * 60, &deferred), 1);
	assert_int_equal(sla_mails(fx), 2);
}

/* config_load() of [sla] text; returns its code. */
static int
load_sla(const char *sla)
{
	char *dir = testutil_tmpdir();
	char *text = g_strdup_printf("[case]\ntypes = lost, other\n%s\n", sla);
	char *path = testutil_write(dir, "c.conf", text);
	struct config *cfg = NULL;
	struct cm_error err = { 0 };
	int rc = config_load(path, &cfg, &err);

	config_free(&cfg);
	g_free(text);
	g_free(path);
	testutil_rmdir(dir);
	return rc;
}

static void
test_config_limits(void **state)
{
	GString *many = g_string_new("[sla]\nfirst_response = ");

	(void)state;
	assert_int_equal(load_sla("[sla]\nfirst_response = urgent 1h, "
				  "lost/low 8760h\nhours =\n"), 0);
	assert_int_equal(load_sla("[sla]\nfirst_response = urgent 8761h"),
			 CM_ECONFIG);
	assert_int_equal(load_sla("[sla]\nfirst_response = urgent"), CM_ECONFIG);
	assert_int_equal(load_sla("[sla]\nresolution = asap 1h"), CM_ECONFIG);
	assert_int_equal(load_sla("[sla]\nresolution = damaged/high 1h"),
			 CM_ECONFIG);
	assert_int_equal(load_sla("[sla]\nresolution = high 1d"), CM_ECONFIG);
	assert_int_equal(load_sla("[sla]\nwarn_before = 604800"), 0);
	assert_int_equal(load_sla("[sla]\nwarn_before = 604801"), CM_ECONFIG);
	assert_int_equal(load_sla("[sla]\nwarn_per_hour = 0"), CM_ECONFIG);
	assert_int_equal(load_sla("[sla]\nwarn_per_hour = 100001"), CM_ECONFIG);
	assert_int_equal(load_sla("[sla]\ncheck_interval = 3601"), CM_ECONFIG);
	assert_int_equal(load_sla("[sla]\nhours = sat 09:00-13:00, sun 10:00-11:00"),
			 0);
	assert_int_equal(load_sla("[sla]\nhours = weekdays 09:00-13:00"),
			 CM_ECONFIG);
	assert_int_equal(load_sla("[sla]\nholidays = 2026-13-01"), CM_ECONFIG);
	assert_int_equal(load_sla("timezone = Europe/Berlin"), 0);
	assert_int_equal(load_sla("timezone = Mars/Olympus"), CM_ECONFIG);
	assert_int_equal(load_sla("timezone = "
				  "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
			 CM_ECONFIG);
	assert_int_equal(load_sla("desk_lead = not an address"), CM_ECONFIG);
	/* SLACONF_MAX_TARGETS items pass, one more does not. */
	for (int i = 0; i < SLACONF_MAX_TARGETS; i++)
		g_string_append(many, i ? ", high 1h" : "high 1h");
	assert_int_equal(load_sla(many->str), 0);
	g_string_append(many, ", high 1h");
	assert_int_equal(load_sla(many->str), CM_ECONFIG);
	g_string_free(many, TRUE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clock_pauses_while_waiting,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_hours_and_type,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_solved_time_is_paused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_breaching_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_warnings_once_each, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_warning_missed_window_sends_only_at, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_warning_dedup_in_store,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_warnings_rate_limited,
						setup_slow, teardown),
		cmocka_unit_test(test_config_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
