/* test_desk.c - the desk's workflows (case_desk.c, outbound_escalate.c):
 * the contact's rules, the outside team, ownership, and who an escalation
 * may reach. */
#include "testutil.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "casemail/case.h"
#include "casemail/case_merge.h"
#include "casemail/outbound.h"
#include "casemail/template.h"

#define AGENT "anna@desk.example"
#define CARRIER "carla@fasttrucks.test"
#define CUSTOMER "rita@meyer.test"
#define TEAM "support@outside.test"

struct fixture {
	struct testutil_env env;
	struct case_ctx ctx;
	GPtrArray *templates;
};

static int
setup_conf(void **state, const char *extra)
{
	struct fixture *fx = g_new0(struct fixture, 1);
	struct cm_error err = { 0 };
	char *conf = g_strdup_printf("escalation_address = " TEAM "\n"
				     "templates = %s\n%s",
				     getenv("TEMPLATES_DIR"), extra);

	testutil_env_open(&fx->env, conf);
	g_free(conf);
	if (template_load_dir_or_none(fx->env.cfg->templates_dir,
				      TEMPLATE_MISSING_QUIET, &fx->templates,
				      &err) != 0)
		fail_msg("templates: %s", err.msg);
	fx->ctx.store = fx->env.store;
	fx->ctx.cfg = fx->env.cfg;
	fx->ctx.actor = AGENT;
	fx->ctx.now = 1000;
	*state = fx;
	return 0;
}

static int
setup(void **state)
{
	return setup_conf(state, "");
}

static int
setup_no_sides(void **state)
{
	return setup_conf(state, "sides = none\n");
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	g_ptr_array_unref(fx->templates);
	testutil_env_close(&fx->env);
	g_free(fx);
	return 0;
}

/* Run one change in its own transaction, as casectl does. */
#define TX(fx, call) TESTUTIL_TX((fx)->env.store, call)

static int64_t
create(struct fixture *fx)
{
	struct case_fields f = { .subject = "Pallet crushed" };
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

static void
test_contact_rules(void **state)
{
	struct fixture *fx = *state;
	int64_t id = create(fx);
	char long_phone[CASE_CONTACT_MAX + 2];
	struct case_contact_fields bad = { .requester = "not an address" };
	struct case_contact_fields ok = {
		.requester = "Rita@Meyer.TEST", .requester_name = "Rita Meyer",
		.caller_phone = "+49 30 1234",
	};
	struct case_contact_fields clear = { .caller_phone = "" };
	struct store_case *c;
	int n = -1;

	assert_int_equal(TX(fx, case_set_contact(&fx->ctx, id, &bad, &n,
						 NULL)), CM_EUSAGE);
	/* Just over the limit, and a control character. */
	memset(long_phone, '1', sizeof(long_phone) - 1);
	long_phone[sizeof(long_phone) - 1] = '\0';
	bad = (struct case_contact_fields){ .caller_phone = long_phone };
	assert_int_equal(TX(fx, case_set_contact(&fx->ctx, id, &bad, &n,
						 NULL)), CM_EUSAGE);
	long_phone[CASE_CONTACT_MAX] = '\0';
	bad = (struct case_contact_fields){ .caller_name = "a\rb" };
	assert_int_equal(TX(fx, case_set_contact(&fx->ctx, id, &bad, &n,
						 NULL)), CM_EUSAGE);
	bad = (struct case_contact_fields){ .caller_phone = long_phone };
	assert_int_equal(TX(fx, case_set_contact(&fx->ctx, id, &bad, &n,
						 NULL)), 0);
	assert_int_equal(TX(fx, case_set_contact(&fx->ctx, id, &ok, &n,
						 NULL)), 0);
	assert_int_equal(n, 3);
	c = get(fx, id);
	assert_string_equal(c->contact->requester_address, CUSTOMER);
	assert_string_equal(c->contact->caller_phone, "+49 30 1234");
	/* The requester is one of the case's people. */
	assert_int_equal(c->participants->len, 1);
	assert_string_equal(((struct store_person *)
			     c->participants->pdata[0])->address, CUSTOMER);
	store_case_free(&c);
	/* The same again changes nothing; "" clears. */
	assert_int_equal(TX(fx, case_set_contact(&fx->ctx, id, &ok, &n,
						 NULL)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(TX(fx, case_set_contact(&fx->ctx, id, &clear, &n,
						 NULL)), 0);
	assert_int_equal(n, 1);
	c = get(fx, id);
	assert_null(c->contact->caller_phone);
	store_case_free(&c);
}

static void
test_outside_team(void **state)
{
	struct fixture *fx = *state;
	int64_t id = create(fx);
	struct case_contact_fields ct = { .requester = CUSTOMER };
	struct store_case *c;
	int added = -1, n;

	assert_int_equal(TX(fx, case_set_contact(&fx->ctx, id, &ct, &n,
						 NULL)), 0);
	/* The customer cannot be the outside team. */
	assert_int_equal(TX(fx, case_add_outside(&fx->ctx, id, CUSTOMER,
						 &added, NULL)), CM_EREFUSED);
	assert_int_equal(TX(fx, case_add_outside(&fx->ctx, id, "Support@"
						 "Outside.test", &added,
						 NULL)), 0);
	assert_int_equal(added, 1);
	assert_int_equal(TX(fx, case_add_outside(&fx->ctx, id, TEAM, &added,
						 NULL)), 0);
	assert_int_equal(added, 0);
	c = get(fx, id);
	assert_int_equal(c->outside->len, 1);
	assert_true(case_is_outside(c, "SUPPORT@outside.test"));
	assert_false(case_is_outside(c, CUSTOMER));
	/* And the team is none of the case's people. */
	assert_int_equal(c->participants->len, 1);
	store_case_free(&c);
	/* Nor can the team become the requester. */
	ct.requester = TEAM;
	assert_int_equal(TX(fx, case_set_contact(&fx->ctx, id, &ct, &n,
						 NULL)), CM_EREFUSED);
}

static void
test_creator_owns_two_sides(void **state)
{
	struct fixture *fx = *state;
	int64_t id = create(fx);
	const char *side = "x";
	struct store_case *c;
	struct config *cfg = (struct config *)fx->env.cfg;

	/* Side unknown: nobody is made owner. */
	assert_int_equal(TX(fx, case_creator_owns(&fx->ctx, id, NULL, &side,
						  NULL)), 0);
	assert_null(side);
	assert_int_equal(TX(fx, case_creator_owns(&fx->ctx, id, "carrier",
						  &side, NULL)), 0);
	assert_string_equal(side, "carrier");
	c = get(fx, id);
	assert_int_equal(c->owners->len, 1);
	store_case_free(&c);
	/* Known now. */
	id = create(fx);
	assert_int_equal(TX(fx, case_creator_owns(&fx->ctx, id, NULL, &side,
						  NULL)), 0);
	assert_string_equal(side, "carrier");
	/* Off: nothing; an actor that is no address: nothing. */
	id = create(fx);
	cfg->case_creator_owns = 0;
	assert_int_equal(TX(fx, case_creator_owns(&fx->ctx, id, "shipper",
						  &side, NULL)), 0);
	assert_null(side);
	cfg->case_creator_owns = 1;
	fx->ctx.actor = "Anna";
	assert_int_equal(TX(fx, case_creator_owns(&fx->ctx, id, "shipper",
						  &side, NULL)), 0);
	assert_null(side);
}

static void
test_one_owner_per_case(void **state)
{
	struct fixture *fx = *state;
	int64_t id = create(fx);
	const char *side = NULL;
	struct store_case *c;

	assert_int_equal(TX(fx, case_creator_owns(&fx->ctx, id, NULL, &side,
						  NULL)), 0);
	assert_string_equal(side, CASE_SIDE_DESK);
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, CARRIER, NULL, NULL,
					    NULL)), CM_EREFUSED);
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, CARRIER, "carrier",
					    NULL, NULL)), CM_EUSAGE);
	/* The owner again is no change. */
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, AGENT, NULL, NULL,
					    NULL)), 0);
	assert_int_equal(TX(fx, case_unassign(&fx->ctx, id, AGENT, NULL,
					      NULL)), 0);
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, CARRIER, NULL, NULL,
					    NULL)), 0);
	c = get(fx, id);
	assert_int_equal(c->owners->len, 1);
	assert_string_equal(((struct store_person *)c->owners->pdata[0])->side,
			    CASE_SIDE_DESK);
	store_case_free(&c);
	/* A desk owner is never written as the person's side. */
	{
		struct store_person *p = NULL;

		assert_int_equal(store_person_get(fx->env.store, CARRIER, &p,
						  NULL), 0);
		assert_null(p->side);
		store_person_free(&p);
	}
}

/* Reply on id as the agent (preview: rendered into *out). */
static int
reply(struct fixture *fx, int64_t id, const char *tname, const char *to,
      int escalate, GString *preview, struct cm_error *err)
{
	GHashTable *fields = g_hash_table_new(g_str_hash, g_str_equal);
	const char *tos[1] = { to };
	struct outbound_reply_req r = {
		.template_name = tname, .fields = fields, .actor = AGENT,
		.to = tos, .n_to = to != NULL, .escalate = escalate,
		.text = tname == NULL ? "More, please." : NULL,
	};
	struct outbound out;
	int rc;

	g_hash_table_insert(fields, "issue", "Crushed twice");
	g_hash_table_insert(fields, "company", "Meyer GmbH");
	g_hash_table_insert(fields, "phone", "+49 30 1234");
	outbound_init(&out, fx->env.store, fx->env.cfg, fx->templates);
	rc = TX(fx, outbound_reply(&out, id, &r, fx->ctx.now, preview, err));
	outbound_clear(&out);
	g_hash_table_unref(fields);
	return rc;
}

/* A header line of a rendered mail ("To: ..."), or "" (g_free). */
static char *
header(const GString *mail, const char *name)
{
	char *needle = g_strdup_printf("\n%s: ", name);
	const char *at = strstr(mail->str, needle), *end;
	char *v;

	if (at == NULL && g_str_has_prefix(mail->str, needle + 1))
		at = mail->str - 1;
	if (at == NULL) {
		g_free(needle);
		return g_strdup("");
	}
	at += strlen(needle);
	end = at + strcspn(at, "\r\n");
	v = g_strndup(at, (gsize)(end - at));
	g_free(needle);
	return v;
}

static void
test_escalation_recipients(void **state)
{
	struct fixture *fx = *state;
	int64_t id = create(fx);
	struct case_contact_fields ct = { .requester = CUSTOMER,
					  .requester_name = "Rita Meyer" };
	GString *mail = g_string_new(NULL);
	struct cm_error err = { 0 };
	struct store_case *c;
	GPtrArray *msgs = NULL;
	char *to, *cc;
	int n;

	assert_int_equal(TX(fx, case_set_contact(&fx->ctx, id, &ct, &n,
						 NULL)), 0);
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, CARRIER, "carrier",
					    NULL, NULL)), 0);
	assert_int_equal(TX(fx, case_assign(&fx->ctx, id, "sven@desk.example",
					    "shipper", NULL, NULL)), 0);
	/* The shipped template: the team, our owner; never the carrier. */
	assert_int_equal(reply(fx, id, "escalation", NULL, 0, mail, &err), 0);
	to = header(mail, "To");
	cc = header(mail, "Cc");
	assert_string_equal(to, TEAM);
	assert_string_equal(cc, "sven@desk.example");
	assert_non_null(strstr(mail->str, "Rita Meyer"));
	assert_non_null(strstr(mail->str, CUSTOMER));
	g_free(to);
	g_free(cc);
	/* A template naming the customer is no way around it either: the
	 * update template's requester is withheld from an escalation. */
	g_string_truncate(mail, 0);
	assert_int_equal(reply(fx, id, "update", NULL, 1, mail, &err),
			 CM_EUSAGE);
	assert_non_null(strstr(err.msg, "nobody to send"));
	/* Sent for real: stored internal, the team recorded, the carrier's
	 * withholding on the record. */
	assert_int_equal(reply(fx, id, "escalation", NULL, 0, NULL, &err), 0);
	c = get(fx, id);
	assert_true(case_is_outside(c, TEAM));
	assert_int_equal(c->outside->len, 1);
	store_case_free(&c);
	assert_int_equal(store_messages_get(fx->env.store, id, &msgs, NULL), 0);
	assert_int_equal(msgs->len, 1);
	assert_true(((struct store_message *)msgs->pdata[0])->internal);
	g_ptr_array_unref(msgs);
	/* A free text to the team goes to the recorded team only. */
	g_string_truncate(mail, 0);
	assert_int_equal(reply(fx, id, NULL, NULL, 1, mail, &err), 0);
	to = header(mail, "To");
	assert_string_equal(to, TEAM);
	g_free(to);
	g_string_free(mail, TRUE);
}

static void
test_requester_first(void **state)
{
	struct fixture *fx = *state;
	int64_t id = create(fx);
	struct case_contact_fields ct = { .requester = CUSTOMER };
	GString *mail = g_string_new(NULL);
	struct cm_error err = { 0 };
	char *to;
	int n;

	/* Opened by an agent: update has nobody to go to. */
	assert_int_equal(reply(fx, id, "update", NULL, 0, mail, &err),
			 CM_EUSAGE);
	assert_int_equal(TX(fx, case_set_contact(&fx->ctx, id, &ct, &n,
						 NULL)), 0);
	assert_int_equal(reply(fx, id, "update", NULL, 0, mail, &err), 0);
	to = header(mail, "To");
	assert_string_equal(to, CUSTOMER);
	g_free(to);
	g_string_free(mail, TRUE);
}

static int
is_participant(struct fixture *fx, int64_t id, const char *address)
{
	struct store_case *c = get(fx, id);
	const char *role = case_role_of(c, address);
	int yes = role != NULL && strcmp(role, "participant") == 0;

	store_case_free(&c);
	return yes;
}

/* The case's contact is the customer even when not on the case: never
 * the outside team; and the team never becomes a participant. */
static void
test_outside_is_never_a_person(void **state)
{
	struct fixture *fx = *state;
	int64_t id = create(fx), phone = create(fx);
	struct case_contact_fields ct = { .requester = CUSTOMER,
					  .caller_email = "caller@cust.test" };
	struct store_contact bare = { .requester_address = "req@cust.test" };
	struct cm_error err = { 0 };
	int added = -1, changed = -1, n;

	assert_int_equal(TX(fx, case_set_contact(&fx->ctx, id, &ct, &n,
						 NULL)), 0);
	assert_int_equal(TX(fx, case_add_outside(&fx->ctx, id,
						 "Caller@cust.test", &added,
						 &err)), CM_EREFUSED);
	assert_non_null(strstr(err.msg, "caller"));
	assert_int_equal(reply(fx, id, "escalation", "caller@cust.test", 1,
			       NULL, &err), CM_EUSAGE);
	assert_non_null(strstr(err.msg, "caller"));
	/* A requester who is not (or no longer) a participant. */
	assert_int_equal(TX(fx, store_contact_set(fx->env.store, phone, &bare,
						  NULL)), 0);
	assert_false(is_participant(fx, phone, "req@cust.test"));
	assert_int_equal(TX(fx, case_add_outside(&fx->ctx, phone,
						 "req@cust.test", &added,
						 &err)), CM_EREFUSED);
	assert_non_null(strstr(err.msg, "requester"));
	/* The team, by any Cc or agent: refused as a participant. */
	assert_int_equal(TX(fx, case_add_outside(&fx->ctx, id, TEAM, &added,
						 NULL)), 0);
	assert_int_equal(TX(fx, case_add_participant(&fx->ctx, id,
						     "SUPPORT@outside.test",
						     NULL, &changed, &err)),
			 CM_EREFUSED);
	assert_non_null(strstr(err.msg, "outside team"));
	assert_false(is_participant(fx, id, TEAM));
}

/* A merge never leaves into's outside team one of its participants. */
static void
test_merge_drops_team_participant(void **state)
{
	struct fixture *fx = *state;
	int64_t into = create(fx), from = create(fx), final = 0;
	struct store_merge_counts counts;
	struct store_case *c;
	int added, changed;

	assert_int_equal(TX(fx, case_add_outside(&fx->ctx, into, TEAM, &added,
						 NULL)), 0);
	assert_int_equal(TX(fx, case_add_participant(&fx->ctx, from, TEAM,
						     NULL, &changed, NULL)), 0);
	assert_int_equal(TX(fx, case_merge(&fx->ctx, from, into, &final,
					   &counts, NULL)), 0);
	assert_int_equal(counts.outside_dropped, 1);
	assert_false(is_participant(fx, into, TEAM));
	c = get(fx, into);
	assert_true(case_is_outside(c, TEAM));
	store_case_free(&c);
}

static void
add_message(struct fixture *fx, int64_t id, const char *mid,
	    const char *from, int64_t at, int internal)
{
	struct store_message *m = store_message_new();

	m->case_id = id;
	m->message_id = g_strdup(mid);
	m->direction = g_strdup("in");
	m->state = STORE_MSG_STORED;
	m->from.address = g_strdup(from);
	m->received_at = at;
	m->internal = internal;
	assert_int_equal(TX(fx, store_message_insert(fx->env.store, m, NULL,
						     NULL)), 0);
	store_message_free(&m);
}

/* Internal messages (the team's) are never the case's latest message:
 * neither when stored nor after a merge. */
static void
test_internal_not_latest(void **state)
{
	struct fixture *fx = *state;
	int64_t into = create(fx), from = create(fx), final = 0;
	struct store_merge_counts counts;
	struct store_case *c;

	add_message(fx, from, "<a@cust.test>", CUSTOMER, 2000, 0);
	add_message(fx, from, "<b@outside.test>", TEAM, 3000, 1);
	c = get(fx, from);
	assert_string_equal(c->last_message_from, CUSTOMER);
	assert_int_equal(c->last_message_at, 2000);
	assert_true(c->updated_at >= 3000);
	store_case_free(&c);
	assert_int_equal(TX(fx, case_merge(&fx->ctx, from, into, &final,
					   &counts, NULL)), 0);
	c = get(fx, into);
	assert_string_equal(c->last_message_from, CUSTOMER);
	assert_int_equal(c->last_message_at, 2000);
	store_case_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_contact_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_outside_team, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_creator_owns_two_sides,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_owner_per_case,
						setup_no_sides, teardown),
		cmocka_unit_test_setup_teardown(test_escalation_recipients,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_requester_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_outside_is_never_a_person,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_merge_drops_team_participant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_internal_not_latest,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
