/*
 * test_merge.c - one issue, one case, and the desk's fields: merging
 * (what moves, the pointer left behind, mail for the merged case threading
 * onto the other, chains and loops), links, shipment references quoted
 * by a new conversation, custom fields by type and their configuration
 * limits, and list filters of several values or negated.
 */
#include "ingestutil.h"

#include <string.h>

#include "casemail/case_fields.h"
#include "casemail/case_merge.h"

#define SECOND_MAIL                                                        \
	"From: Sara Shipper <sara@acme.test>\n"                            \
	"To: cases@desk.example\n"                                         \
	"Cc: Dora Dispatch <dora@acme.test>\n"                             \
	"Subject: Crushed pallet, once more\n"                             \
	"Message-ID: <second@acme.test>\n\n"                               \
	"Writing again about the crushed pallet.\n"

static int
setup(void **state)
{
	return setup_conf(state, NULL);
}

static void
ctx_of(struct fixture *fx, struct case_ctx *ctx)
{
	ctx->store = fx->env.store;
	ctx->cfg = fx->env.cfg;
	ctx->actor = "anna@desk.example";
	ctx->now = fx->now++;
}

static int
do_merge(struct fixture *fx, int64_t from, int64_t into, int64_t *final_r,
	 struct cm_error *err)
{
	struct store_merge_counts n;
	struct case_ctx ctx;
	int rc;

	ctx_of(fx, &ctx);
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	rc = case_merge(&ctx, from, into, final_r, &n, err);
	if (rc == 0)
		assert_int_equal(store_commit(fx->env.store, NULL), 0);
	else
		store_rollback(fx->env.store);
	return rc;
}

/* Whether case id has an event what whose new value is value. */
static int
has_event(struct fixture *fx, int64_t id, const char *what,
	  const char *value)
{
	GPtrArray *ev = NULL;
	int found = 0;

	assert_int_equal(store_events_get(fx->env.store, id, &ev, NULL), 0);
	for (guint i = 0; i < ev->len; i++) {
		const struct store_event *e = ev->pdata[i];

		found |= strcmp(e->what, what) == 0 &&
			 g_strcmp0(e->new_value, value) == 0;
	}
	g_ptr_array_unref(ev);
	return found;
}

static int
has_person(GPtrArray *people, const char *address)
{
	for (guint i = 0; i < people->len; i++)
		if (strcmp(((struct store_person *)people->pdata[i])->address,
			   address) == 0)
			return 1;
	return 0;
}

/* The outside team moves as a team (never as participants) and the
 * requester comes along where the case merged into has none. */
static void
test_merge_moves_outside_team_and_requester(void **state)
{
	struct fixture *fx = *state;
	struct store_contact ct = { .requester_address = "carol@shipper.test",
				    .requester_name = "Carol" };
	struct store_case *c;
	int64_t final = 0;
	int added = 0;

	assert_int_equal(feed(fx, SHIPPER_MAIL), INGEST_STORED);
	assert_int_equal(feed(fx, SECOND_MAIL), INGEST_STORED);
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(store_outside_add(fx->env.store, 2, "l2@vendor.test",
					   fx->now, &added, NULL), 0);
	assert_int_equal(store_contact_set(fx->env.store, 2, &ct, NULL), 0);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	assert_int_equal(do_merge(fx, 2, 1, &final, NULL), 0);
	c = get_case(fx, 1);
	assert_int_equal(c->outside->len, 1);
	assert_string_equal(c->outside->pdata[0], "l2@vendor.test");
	assert_false(has_person(c->participants, "l2@vendor.test"));
	assert_non_null(c->contact);
	assert_string_equal(c->contact->requester_address,
			    "carol@shipper.test");
	store_case_free(&c);
	c = get_case(fx, 2);
	assert_int_equal(c->outside->len, 0);
	store_case_free(&c);
}

static void
test_merge_moves_everything(void **state)
{
	struct fixture *fx = *state;
	struct cm_error err = { 0 };
	struct store_case *c;
	int64_t final = 0, into = 0;

	assert_int_equal(feed(fx, SHIPPER_MAIL), INGEST_STORED);
	assert_int_equal(feed(fx, SECOND_MAIL), INGEST_STORED);
	assert_int_equal(case_of(fx, "<first@acme.test>"), 1);
	assert_int_equal(case_of(fx, "<second@acme.test>"), 2);
	assert_int_equal(do_merge(fx, 2, 1, &final, &err), 0);
	assert_int_equal(final, 1);
	/* The mail and the people moved; the duplicate is a Solved pointer. */
	assert_int_equal(case_of(fx, "<second@acme.test>"), 1);
	c = get_case(fx, 1);
	assert_true(has_person(c->participants, "dora@acme.test"));
	store_case_free(&c);
	c = get_case(fx, 2);
	assert_int_equal(c->status, STORE_CASE_SOLVED);
	assert_int_equal(c->participants->len, 0);
	store_case_free(&c);
	assert_int_equal(store_case_merged_into(fx->env.store, 2, &into, NULL),
			 0);
	assert_int_equal(into, 1);
	assert_true(has_event(fx, 2, "merged into", "CV000001"));
	assert_true(has_event(fx, 1, "merged from", "CV000002"));
	/* The duplicate's own history went with it. */
	assert_true(has_event(fx, 1, "created", "Crushed pallet, once more"));
}

static void
test_merged_case_threads_onto_other(void **state)
{
	struct fixture *fx = *state;
	struct cm_error err = { 0 };
	struct store_message *m;
	int64_t final = 0;

	feed(fx, SHIPPER_MAIL);
	feed(fx, SECOND_MAIL);
	assert_int_equal(do_merge(fx, 2, 1, &final, &err), 0);
	assert_int_equal(feed(fx,
		"From: Sara Shipper <sara@acme.test>\n"
		"To: cases@desk.example\n"
		"Subject: Re: [CV000002] Crushed pallet, once more\n"
		"Message-ID: <third@acme.test>\n\n"
		"Any news?\n"), INGEST_STORED);
	assert_int_equal(case_of(fx, "<third@acme.test>"), 1);
	m = msg(fx, "<third@acme.test>");
	assert_non_null(strstr(m->decision, "CV000002 was merged into CV000001"));
	store_message_free(&m);
	/* A reply by reference to the merged case's mail too. */
	assert_int_equal(feed(fx,
		"From: Sara Shipper <sara@acme.test>\n"
		"To: cases@desk.example\n"
		"Subject: Re: Crushed pallet\n"
		"In-Reply-To: <second@acme.test>\n"
		"Message-ID: <fourth@acme.test>\n\n"
		"And?\n"), INGEST_STORED);
	assert_int_equal(case_of(fx, "<fourth@acme.test>"), 1);
}

static void
test_merge_refusals_and_chain(void **state)
{
	struct fixture *fx = *state;
	struct cm_error err = { 0 };
	struct case_fields f = { .subject = "third" };
	struct case_ctx ctx;
	int64_t final = 0, id = 0;

	feed(fx, SHIPPER_MAIL);
	feed(fx, SECOND_MAIL);
	ctx_of(fx, &ctx);
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(case_create(&ctx, &f, &id, NULL), 0);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	assert_int_equal(do_merge(fx, 1, 1, &final, &err), CM_EREFUSED);
	assert_int_equal(do_merge(fx, 1, 99, &final, &err), CM_ENOTFOUND);
	assert_int_equal(do_merge(fx, 2, 1, &final, &err), 0);
	assert_int_equal(do_merge(fx, 2, 3, &final, &err), CM_EREFUSED);
	assert_non_null(strstr(err.msg, "already"));
	/* Into a merged case: its chain is followed. */
	assert_int_equal(do_merge(fx, 3, 2, &final, &err), 0);
	assert_int_equal(final, 1);
	/* And the chain never loops back. */
	assert_int_equal(do_merge(fx, 1, 2, &final, &err), CM_EREFUSED);
	assert_non_null(strstr(err.msg, "merged into it"));
	assert_int_equal(store_case_resolve(fx->env.store, 2, &final, NULL), 0);
	assert_int_equal(final, 1);
	/* A merged case is not reopened (it would be an empty twin). */
	ctx_of(fx, &ctx);
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(case_reopen(&ctx, 2, &err), CM_EREFUSED);
	store_rollback(fx->env.store);
	assert_non_null(strstr(err.msg, "merged into CV000001"));
}

static void
test_link_both_ways(void **state)
{
	struct fixture *fx = *state;
	struct cm_error err = { 0 };
	struct case_ctx ctx;
	GArray *links = NULL;
	int changed = 0;

	feed(fx, SHIPPER_MAIL);
	feed(fx, SECOND_MAIL);
	ctx_of(fx, &ctx);
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(case_link(&ctx, 2, 1, 1, &changed, &err), 0);
	assert_true(changed);
	assert_int_equal(case_link(&ctx, 1, 2, 1, &changed, &err), 0);
	assert_false(changed);
	assert_int_equal(case_link(&ctx, 1, 1, 1, &changed, &err),
			 CM_EREFUSED);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	assert_int_equal(store_case_links(fx->env.store, 1, &links, NULL), 0);
	assert_int_equal(links->len, 1);
	assert_int_equal(g_array_index(links, int64_t, 0), 2);
	g_array_unref(links);
	assert_int_equal(store_case_links(fx->env.store, 2, &links, NULL), 0);
	assert_int_equal(g_array_index(links, int64_t, 0), 1);
	g_array_unref(links);
	assert_true(has_event(fx, 1, "linked", "CV000002"));
	assert_true(has_event(fx, 2, "linked", "CV000001"));
}

static void
test_quoted_shipment_noted_on_both(void **state)
{
	struct fixture *fx = *state;
	struct case_fields f = { .subject = "Order", .shipment = "ORD-44711" };
	struct case_ctx ctx;
	int64_t id = 0;

	ctx_of(fx, &ctx);
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(case_create(&ctx, &f, &id, NULL), 0);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	/* Part of a longer reference is not that reference. */
	assert_int_equal(feed(fx,
		"From: Carl Carrier <carl@trucks.test>\n"
		"To: cases@desk.example\n"
		"Subject: Delay on ORD-447110\n"
		"Message-ID: <c1@trucks.test>\n\n"
		"Late.\n"), INGEST_STORED);
	assert_false(has_event(fx, 1, "shipment quoted", "CV000002"));
	assert_int_equal(feed(fx,
		"From: Carl Carrier <carl@trucks.test>\n"
		"To: cases@desk.example\n"
		"Subject: Delay\n"
		"Message-ID: <c2@trucks.test>\n\n"
		"The truck for ord-44711 is late.\n"), INGEST_STORED);
	assert_int_equal(case_of(fx, "<c2@trucks.test>"), 3);
	assert_true(has_event(fx, 1, "shipment quoted", "CV000003"));
	assert_true(has_event(fx, 3, "shipment quoted", "CV000001"));
}

static int
setup_fields(void **state)
{
	return setup_conf(state,
			  "[field.product]\ntype = choice\n"
			  "choices = Tracking Portal, Ärger\nlabel = Product\n"
			  "[field.due]\ntype = date\n"
			  "[field.weight]\ntype = number\n"
			  "[field.driver]\ntype = text\n");
}

static void
check_value(struct fixture *fx, const char *arg, const char *want)
{
	const struct config_field *f = NULL;
	struct cm_error err = { 0 };
	char *v = NULL;
	int rc = case_field_parse(fx->env.cfg, arg, &f, &v, &err);

	if (want == NULL) {
		assert_int_equal(rc, CM_EUSAGE);
	} else {
		assert_int_equal(rc, 0);
		assert_string_equal(v, want);
	}
	g_free(v);
}

static void
test_field_types(void **state)
{
	struct fixture *fx = *state;

	check_value(fx, "product=tracking portal", "Tracking Portal");
	check_value(fx, "product=ÄRGER", "Ärger");
	check_value(fx, "product=Billing", NULL);
	check_value(fx, "due=2028-02-29", "2028-02-29");
	check_value(fx, "due=2027-02-29", NULL);
	check_value(fx, "due=2027-2-1", NULL);
	check_value(fx, "weight=+12.50", "12.50");
	check_value(fx, "weight=-3", "-3");
	check_value(fx, "weight=1e5", NULL);
	check_value(fx, "weight=.5", NULL);
	check_value(fx, "driver=Bob \"the truck\" D", "Bob \"the truck\" D");
	check_value(fx, "driver=a\tb", NULL);
	check_value(fx, "nosuch=1", NULL);
	check_value(fx, "driver", NULL);
}

static void
test_field_set_audited_and_filtered(void **state)
{
	struct fixture *fx = *state;
	const struct config_field *f = config_field_find(fx->env.cfg, "driver");
	const char *bob[] = { "BOB" };
	struct store_match m = { STORE_MATCH_FIELD, 0, "driver", bob, 1 };
	struct store_filter filt;
	struct case_fields cf = { .subject = "a" };
	struct case_ctx ctx;
	GArray *ids = NULL;
	int64_t id = 0;
	int changed = 0;

	ctx_of(fx, &ctx);
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(case_create(&ctx, &cf, &id, NULL), 0);
	assert_int_equal(case_create(&ctx, &cf, &id, NULL), 0);
	assert_int_equal(case_field_set(&ctx, 1, f, "Bob", &changed, NULL), 0);
	assert_true(changed);
	assert_int_equal(case_field_set(&ctx, 1, f, "Bob", &changed, NULL), 0);
	assert_false(changed);
	assert_int_equal(case_field_set(&ctx, 9, f, "Bob", &changed, NULL),
			 CM_ENOTFOUND);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	assert_true(has_event(fx, 1, "field driver", "Bob"));
	store_filter_init(&filt, fx->now);
	filt.matches = &m;
	filt.n_matches = 1;
	assert_int_equal(store_case_list(fx->env.store, &filt, &ids, NULL), 0);
	assert_int_equal(ids->len, 1);
	assert_int_equal(g_array_index(ids, int64_t, 0), 1);
	g_array_unref(ids);
	/* Negated: the case without the field matches. */
	m.negate = 1;
	assert_int_equal(store_case_list(fx->env.store, &filt, &ids, NULL), 0);
	assert_int_equal(ids->len, 1);
	assert_int_equal(g_array_index(ids, int64_t, 0), 2);
	g_array_unref(ids);
}

static void
test_filters_several_and_negated(void **state)
{
	struct fixture *fx = *state;
	const char *both[] = { "active", "solved" };
	const char *ref[] = { "S-1" };
	struct store_match m[2] = {
		{ STORE_MATCH_STATUS, 0, NULL, both, 2 },
		{ STORE_MATCH_SHIPMENT, 1, NULL, ref, 1 },
	};
	struct case_fields a = { .subject = "a", .shipment = "s-1" };
	struct case_fields b = { .subject = "b" };
	struct store_filter filt;
	struct case_ctx ctx;
	GArray *ids = NULL;
	int64_t id = 0;

	ctx_of(fx, &ctx);
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(case_create(&ctx, &a, &id, NULL), 0);
	assert_int_equal(case_create(&ctx, &b, &id, NULL), 0);
	assert_int_equal(case_solve(&ctx, id, NULL), 0);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	store_filter_init(&filt, fx->now);
	filt.view = STORE_VIEW_ACTIVE;
	filt.matches = m;
	filt.n_matches = 1;
	/* The view ACTIVE still holds; ALL with both statuses gives both. */
	filt.view = STORE_VIEW_ALL;
	assert_int_equal(store_case_list(fx->env.store, &filt, &ids, NULL), 0);
	assert_int_equal(ids->len, 2);
	g_array_unref(ids);
	/* Not shipment S-1: the case without a shipment. */
	filt.n_matches = 2;
	assert_int_equal(store_case_list(fx->env.store, &filt, &ids, NULL), 0);
	assert_int_equal(ids->len, 1);
	assert_int_equal(g_array_index(ids, int64_t, 0), 2);
	g_array_unref(ids);
}

/* A config with extra; returns config_load()'s code. */
static int
load_conf(const char *extra)
{
	char *dir = testutil_tmpdir();
	char *path = testutil_write(dir, "c.conf", extra);
	struct config *cfg = NULL;
	struct cm_error err = { 0 };
	int rc = config_load(path, &cfg, &err);

	config_free(&cfg);
	g_free(path);
	testutil_rmdir(dir);
	return rc;
}

static char *
n_fields(int n)
{
	GString *s = g_string_new(NULL);

	for (int i = 0; i < n; i++)
		g_string_append_printf(s, "[field.f%d]\ntype = text\n", i);
	return g_string_free(s, FALSE);
}

static char *
n_choices(int n, size_t len)
{
	GString *s = g_string_new("[field.p]\ntype = choice\nchoices = ");

	for (int i = 0; i < n; i++) {
		g_string_append_printf(s, "%sc%d", i > 0 ? ", " : "", i);
		for (size_t j = 2 + (i >= 10); j < len; j++)
			g_string_append_c(s, 'x');
	}
	g_string_append_c(s, '\n');
	return g_string_free(s, FALSE);
}

static void
test_field_config_limits(void **state)
{
	char *text, name[64];

	(void)state;
	text = n_fields(CONFIG_FIELDS_MAX);
	assert_int_equal(load_conf(text), 0);
	g_free(text);
	text = n_fields(CONFIG_FIELDS_MAX + 1);
	assert_int_equal(load_conf(text), CM_ECONFIG);
	g_free(text);
	memset(name, 'a', sizeof(name));
	name[CONFIG_FIELD_NAME_MAX] = '\0';
	text = g_strdup_printf("[field.%s]\ntype = text\n", name);
	assert_int_equal(load_conf(text), 0);
	g_free(text);
	name[CONFIG_FIELD_NAME_MAX] = 'a';
	name[CONFIG_FIELD_NAME_MAX + 1] = '\0';
	text = g_strdup_printf("[field.%s]\ntype = text\n", name);
	assert_int_equal(load_conf(text), CM_ECONFIG);
	g_free(text);
	text = n_choices(CONFIG_FIELD_CHOICES_MAX, CONFIG_FIELD_CHOICE_MAX);
	assert_int_equal(load_conf(text), 0);
	g_free(text);
	text = n_choices(CONFIG_FIELD_CHOICES_MAX + 1, 3);
	assert_int_equal(load_conf(text), CM_ECONFIG);
	g_free(text);
	text = n_choices(1, CONFIG_FIELD_CHOICE_MAX + 1);
	assert_int_equal(load_conf(text), CM_ECONFIG);
	g_free(text);
	memset(name, 'L', sizeof(name));
	text = g_strdup_printf("[field.x]\ntype = text\nlabel = %.*s%.*s\n",
			       64, name, CONFIG_FIELD_LABEL_MAX + 1 - 64, name);
	assert_int_equal(load_conf(text), CM_ECONFIG);
	g_free(text);
	assert_int_equal(load_conf("[field.x]\ntype = colour\n"), CM_ECONFIG);
	assert_int_equal(load_conf("[field.x]\nlabel = X\n"), CM_ECONFIG);
	assert_int_equal(load_conf("[field.x]\ntype = choice\n"), CM_ECONFIG);
	assert_int_equal(load_conf("[field.x]\ntype = text\nchoices = a\n"),
			 CM_ECONFIG);
	assert_int_equal(load_conf("[field.x]\ntype = text\ncolor = a\n"),
			 CM_ECONFIG);
	assert_int_equal(load_conf("[field.X]\ntype = text\n"), CM_ECONFIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_merge_moves_outside_team_and_requester, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_merge_moves_everything,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_merged_case_threads_onto_other,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_refusals_and_chain,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_both_ways, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_quoted_shipment_noted_on_both,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_field_types, setup_fields,
						teardown),
		cmocka_unit_test_setup_teardown(test_field_set_audited_and_filtered,
						setup_fields, teardown),
		cmocka_unit_test_setup_teardown(test_filters_several_and_negated,
						setup, teardown),
		cmocka_unit_test(test_field_config_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
