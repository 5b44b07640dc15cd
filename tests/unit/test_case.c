/* test_case.c - the case model's rules and audit trail. */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "casemail/case.h"
#include "casemail/trust.h"

struct fixture {
	struct testutil_env env;
	struct case_ctx ctx;
};

static int
setup(void **state)
{
	struct fixture *fx = g_new0(struct fixture, 1);

	testutil_env_open(&fx->env, "types = damaged, lost, other\n");
	fx->ctx.store = fx->env.store;
	fx->ctx.cfg = fx->env.cfg;
	fx->ctx.actor = "agent@desk.example";
	fx->ctx.now = 1000;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	testutil_env_close(&fx->env);
	g_free(fx);
	return 0;
}

/* Run one change in its own transaction, as casectl does. */
#define TX(fx, call) TESTUTIL_TX((fx)->env.store, call)

static int64_t
create(struct fixture *fx, const char *subject)
{
	struct case_fields f = { .subject = subject };
	int64_t id = 0;

	assert_int_equal(TX(fx, case_create(&fx->ctx, &f, &id, NULL)), 0);
	return id;
}

static struct store_case *
get(struct fixture *fx, int64_t id)
{
	struct store_case *c = NULL;

	assert_int_equal(store_case_get(fx->env.store, id, &c, NULL), 0);
	return c;
}

static guint
n_events(struct fixture *fx, int64_t id)
{
	GPtrArray *ev = NULL;
	guint n;

	assert_int_equal(store_events_get(fx->env.store, id, &ev, NULL), 0);
	n = ev->len;
	g_ptr_array_unref(ev);
	return n;
}

static void
test_create_defaults(void **state)
{
	struct fixture *fx = *state;
	struct case_fields f = { 0 };
	struct cm_error err = { 0 };
	struct store_case *c;
	int64_t id;
	char num[CASENUM_BUF_SIZE];

	id = create(fx, "Pallet crushed");
	c = get(fx, id);
	assert_string_equal(c->type, "other");
	assert_string_equal(c->priority, "normal");
	assert_string_equal(c->kind, "client");
	assert_string_equal(c->source, "user");
	assert_int_equal(c->status, STORE_CASE_ACTIVE);
	assert_string_equal(c->creator, "agent@desk.example");
	assert_int_equal(c->created_at, 1000);
	assert_int_equal(c->solved_at, 0);
	store_case_free(&c);
	case_format_number(fx->env.cfg, id, num, sizeof(num));
	assert_string_equal(num, "CV000001");
	/* no subject, a control character, an unknown type */
	assert_int_equal(case_create(&fx->ctx, &f, &id, &err), CM_EUSAGE);
	f.subject = "bad\r\nBcc: x@evil";
	assert_int_equal(case_create(&fx->ctx, &f, &id, &err), CM_EUSAGE);
	assert_non_null(strstr(err.msg, "control character"));
	f.subject = "ok";
	f.type = "wismo"; /* not in this config's list */
	assert_int_equal(case_create(&fx->ctx, &f, &id, &err), CM_EUSAGE);
	assert_non_null(strstr(err.msg, "damaged, lost, other"));
}

static void
test_set_and_audit(void **state)
{
	struct fixture *fx = *state;
	struct case_fields f = { .type = "lost", .priority = "URGENT",
				 .shipment = "1Z1", .set_follow_up = 1,
				 .follow_up = 5000 };
	struct store_case *c;
	int64_t id = create(fx, "Missing parcel");
	int n = 0;

	fx->ctx.now = 2000;
	assert_int_equal(TX(fx, case_set(&fx->ctx, id, &f, &n, NULL)), 0);
	assert_int_equal(n, 4);
	c = get(fx, id);
	assert_string_equal(c->type, "lost");
	assert_string_equal(c->priority, "urgent");
	assert_string_equal(c->shipment, "1Z1");
	assert_int_equal(c->follow_up, 5000);
	assert_int_equal(c->updated_at, 2000);
	store_case_free(&c);
	assert_int_equal(n_events(fx, id), 5); /* created + 4 */
	/* The same values again change nothing and audit nothing. */
	assert_int_equal(TX(fx, case_set(&fx->ctx, id, &f, &n, NULL)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(n_events(fx, id), 5);
	/* "" clears, follow-up 0 clears */
	memset(&f, 0, sizeof(f));
	f.shipment = "";
	f.set_follow_up = 1;
	assert_int_equal(TX(fx, case_set(&fx->ctx, id, &f, &n, NULL)), 0);
	c = get(fx, id);
	assert_null(c->shipment);
	assert_int_equal(c->follow_up, 0);
	store_case_free(&c);
	/* unknown case */
	assert_int_equal(TX(fx, case_set(&fx->ctx, 99, &f, &n, NULL)),
			 CM_ENOTFOUND);
}

static void
test_solve_reopen(void **state)
{
	struct fixture *fx = *state;
	struct cm_error err = { 0 };
	struct store_case *c;
	int64_t id = create(fx, "Refused delivery");

	fx->ctx.now = 3000;
	assert_int_equal(TX(fx, case_solve(&fx->ctx, id, NULL)), 0);
	c = get(fx, id);
	assert_int_equal(c->status, STORE_CASE_SOLVED);
	assert_int_equal(c->solved_at, 3000);
	store_case_free(&c);
	assert_int_equal(TX(fx, case_solve(&fx->ctx, id, &err)), CM_EREFUSED);
	assert_non_null(strstr(err.msg, "already solved"));
	assert_int_equal(TX(fx, case_reopen(&fx->ctx, id, NULL)), 0);
	c = get(fx, id);
	assert_int_equal(c->status, STORE_CASE_ACTIVE);
	assert_int_equal(c->solved_at, 0);
	store_case_free(&c);
	assert_int_equal(TX(fx, case_reopen(&fx->ctx, id, NULL)), CM_EREFUSED);
	assert_int_equal(n_events(fx, id), 3);
}

static void
test_owners(void **state)
{
	struct fixture *fx = *state;
	struct cm_error err = { 0 };
	struct store_case *c;
	const char *side = NULL;
	int64_t id = create(fx, "Two owners at most"), id2;
	guint before;

	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, "Ship@Acme.test",
					    "shipper", &side, NULL)), 0);
	assert_string_equal(side, "shipper");
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, "drive@trucks.test",
					    "CARRIER", &side, NULL)), 0);
	/* idempotent */
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, "ship@acme.test",
					    "shipper", &side, NULL)), 0);
	before = n_events(fx, id);
	/* a third owner, the same person on the other side, no side */
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, "other@acme.test",
					    "shipper", &side, &err)), CM_EREFUSED);
	assert_non_null(strstr(err.msg, "at most one owner per side"));
	assert_int_equal(n_events(fx, id), before);
	assert_int_equal(TX(fx, case_unassign(&fx->ctx, id, NULL, "carrier",
					      NULL)), 0);
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, "ship@acme.test",
					    "carrier", &side, &err)), CM_EREFUSED);
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, "new@x.test", NULL,
					    &side, &err)), CM_EUSAGE);
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, "not an address",
					    "shipper", &side, &err)), CM_EUSAGE);
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, "x@y.test", "middle",
					    &side, &err)), CM_EUSAGE);
	/* the side is remembered for the next case */
	id2 = create(fx, "Second case");
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id2, "drive@trucks.test",
					    NULL, &side, NULL)), 0);
	assert_string_equal(side, "carrier");
	c = get(fx, id);
	assert_int_equal(c->owners->len, 1);
	store_case_free(&c);
	assert_int_equal(TX(fx, case_unassign(&fx->ctx, id, "nobody@x.test",
					      NULL, &err)), CM_ENOTFOUND);
	assert_int_equal(TX(fx, case_unassign(&fx->ctx, id, NULL, NULL, &err)),
			 CM_EUSAGE);
	assert_int_equal(TX(fx, case_unassign(&fx->ctx, id, "ship@acme.test",
					      NULL, NULL)), 0);
	c = get(fx, id);
	assert_int_equal(c->owners->len, 0);
	store_case_free(&c);
}

static void
test_watchers_participants_notes(void **state)
{
	struct fixture *fx = *state;
	struct store_case *c;
	GPtrArray *msgs;
	int64_t id = create(fx, "Watch me");
	int changed;

	assert_int_equal(TX(fx, case_watch(&fx->ctx, id, "w@desk.example",
					   &changed, NULL)), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(TX(fx, case_watch(&fx->ctx, id, "W@desk.example",
					   &changed, NULL)), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(TX(fx, case_add_participant(&fx->ctx, id,
			 "carrier@trucks.test", "Carrier Co", &changed, NULL)), 0);
	assert_int_equal(TX(fx, case_note(&fx->ctx, id, "Called the driver",
					  NULL)), 0);
	assert_int_equal(TX(fx, case_note(&fx->ctx, id, " \n\t", NULL)),
			 CM_EUSAGE);
	c = get(fx, id);
	assert_int_equal(c->watchers->len, 1);
	assert_int_equal(c->participants->len, 1);
	assert_string_equal(((struct store_person *)c->participants->pdata[0])->name,
			    "Carrier Co");
	/* a note is not a response: no last message */
	assert_int_equal(c->last_message_at, 0);
	store_case_free(&c);
	assert_int_equal(store_messages_get(fx->env.store, id, &msgs, NULL), 0);
	assert_int_equal(msgs->len, 1);
	assert_string_equal(((struct store_message *)msgs->pdata[0])->direction,
			    "internal");
	g_ptr_array_unref(msgs);
	assert_int_equal(TX(fx, case_unwatch(&fx->ctx, id, "w@desk.example",
					     &changed, NULL)), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(TX(fx, case_unwatch(&fx->ctx, id, "w@desk.example",
					     &changed, NULL)), 0);
	assert_int_equal(changed, 0);
}

static void
test_parse_number(void **state)
{
	struct fixture *fx = *state;
	int64_t id;

	assert_int_equal(case_parse_number(fx->env.cfg, "cv12", &id, NULL), 0);
	assert_int_equal(id, 12);
	assert_int_equal(case_parse_number(fx->env.cfg, "CV", &id, NULL),
			 CM_EUSAGE);
}

/* Free mail: exact domains, brands under country suffixes, subdomains. */
static void
test_free_mail(void **state)
{
	static const char *const free_mail[] = {
		"gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk",
		"yahoo.com.br", "yahoo.de", "hotmail.fr", "live.com.au",
		"outlook.com", "gmx.net", "web.de", "mail.ru", "yandex.ru",
		"proton.me", "qq.com", "163.com", "icloud.com", "aol.com",
		"eu.gmail.com", "GMail.COM", "gmail.com.", NULL,
	};
	static const char *const not_free[] = {
		"acme.test", "live.events", "olive.com", "yahoo.example",
		"gmail.com.evil", "notgmail.com", "hotmail", "yahoo.co.ukx",
		"", NULL,
	};

	(void)state;
	for (int i = 0; free_mail[i] != NULL; i++)
		if (!trust_is_free_mail(free_mail[i]))
			fail_msg("%s is free mail", free_mail[i]);
	for (int i = 0; not_free[i] != NULL; i++)
		if (trust_is_free_mail(not_free[i]))
			fail_msg("%s is no free mail", not_free[i]);
	assert_false(trust_is_free_mail(NULL));
}

/* Partners: the entry or a subdomain; never free mail, even in a config
 * built past config_load()'s check. */
static void
test_partners(void **state)
{
	char *list[] = { "gmail.com", "trucks.example", NULL };
	struct config cfg = { .trust_partner_domains = list };

	(void)state;
	assert_true(trust_is_partner(&cfg, "carl@trucks.example"));
	assert_true(trust_is_partner(&cfg, "ops@EU.Trucks.Example"));
	assert_string_equal(trust_partner_domain(&cfg, "ops@eu.trucks.example"),
			    "trucks.example");
	assert_false(trust_is_partner(&cfg, "bob@gmail.com"));
	assert_false(trust_is_partner(&cfg, "x@nottrucks.example"));
	assert_false(trust_is_partner(&cfg, "x@trucks.example.evil"));
	assert_false(trust_is_partner(&cfg, "trucks.example"));
	assert_false(trust_is_partner(&cfg, "x@"));
	assert_false(trust_is_partner(&cfg, NULL));
	cfg.trust_partner_domains = NULL;
	assert_false(trust_is_partner(&cfg, "carl@trucks.example"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_and_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_solve_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owners, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchers_participants_notes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_number, setup, teardown),
		cmocka_unit_test(test_free_mail),
		cmocka_unit_test(test_partners),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
