/*
 * test_policy.c - who may post to a case and whom a mail adds (issue 12,
 * "who may post, tightened"): membership by exact address, partner
 * domains (never free mail), replies by reference from outsiders, and
 * [case] max_new_participants.
 */
#include <glib.h>
#include <string.h>

#include "casemail/case.h"
#include "casemail/msgid.h"

#include "ingestutil.h"

/* A partner domain, and outbound for signed references. */
static int
setup_policy_conf(void **state, const char *case_conf)
{
	char *conf = g_strdup_printf("%s[trust]\npartner_domains = "
				     "Trucks.Test\n", case_conf);
	struct fixture *fx;

	setup_conf(state, conf);
	g_free(conf);
	fx = *state;
	outbound_init(&fx->out, fx->env.store, fx->env.cfg, NULL);
	fx->ing.out = &fx->out;
	return 0;
}

static int
setup_policy(void **state)
{
	return setup_policy_conf(state, "");
}

static int
setup_policy_solved_new(void **state)
{
	return setup_policy_conf(state, "reply_to_solved = new\n");
}

/* Whether address is a (subscribed) participant of case id. */
static int
is_participant(struct fixture *fx, int64_t id, const char *address)
{
	struct store_case *c = get_case(fx, id);
	int found = 0;

	for (guint i = 0; i < c->participants->len; i++)
		found |= strcmp(((struct store_person *)
				 c->participants->pdata[i])->address,
				address) == 0;
	store_case_free(&c);
	return found;
}

static guint
participants(struct fixture *fx, int64_t id)
{
	struct store_case *c = get_case(fx, id);
	guint n = c->participants->len;

	store_case_free(&c);
	return n;
}

/* The detail of the case's last event named what (g_free), or NULL. */
static char *
event_detail(struct fixture *fx, int64_t id, const char *what)
{
	GPtrArray *events = NULL;
	char *detail = NULL;

	assert_int_equal(store_events_get(fx->env.store, id, &events, NULL), 0);
	for (guint i = 0; i < events->len; i++) {
		const struct store_event *e = events->pdata[i];

		if (strcmp(e->what, what) == 0) {
			g_free(detail);
			detail = g_strdup(e->detail);
		}
	}
	g_ptr_array_unref(events);
	return detail;
}

/* The decision record of a kept message contains needle. */
static void
assert_decision(struct fixture *fx, const char *mid, const char *needle)
{
	struct store_message *m = msg(fx, mid);

	if (strstr(m->decision, needle) == NULL)
		fail_msg("%s: '%s' lacks '%s'", mid, m->decision, needle);
	store_message_free(&m);
}

/* A reply to case 1 by tag from sender, with id <mid>. */
static enum ingest_outcome
reply_from(struct fixture *fx, const char *sender, const char *mid)
{
	char *raw = g_strdup_printf("From: %s\nTo: cases@desk.example\n"
				    "Subject: Re: [CV000001] status\n"
				    "Message-ID: <%s>\n\nAny news?\n",
				    sender, mid);
	enum ingest_outcome out = feed(fx, raw);

	g_free(raw);
	return out;
}

static void
test_policy_domain_mates(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(feed(fx, "From: Bob <bob@gmail.com>\n"
			      "To: cases@desk.example\n"
			      "Cc: sara@acme.test, carl@trucks.test\n"
			      "Subject: Where is my parcel\n"
			      "Message-ID: <open@gmail.com>\n\nLate.\n"),
			 INGEST_STORED);
	assert_int_equal(participants(fx, 1), 3);
	/* a free-mail domain-mate of bob: a stranger */
	assert_int_equal(reply_from(fx, "mallory@gmail.com", "m1@gmail.com"),
			 INGEST_HELD);
	/* a domain-mate of sara at a company that is no partner: held */
	assert_int_equal(reply_from(fx, "boss@acme.test", "b1@acme.test"),
			 INGEST_HELD);
	/* lookalikes of the partner domain are not in it */
	assert_int_equal(reply_from(fx, "x@nottrucks.test", "x1@nottrucks.test"),
			 INGEST_HELD);
	assert_int_equal(reply_from(fx, "x@trucks.test.evil", "x2@evil"),
			 INGEST_HELD);
	assert_int_equal(participants(fx, 1), 3);
	/* carl's colleague at the partner domain, and at a subdomain */
	assert_int_equal(reply_from(fx, "dispatch@trucks.test", "d1@trucks.test"),
			 INGEST_STORED);
	assert_decision(fx, "<d1@trucks.test>", "partner domain trucks.test");
	assert_int_equal(reply_from(fx, "ops@eu.trucks.test", "d2@trucks.test"),
			 INGEST_STORED);
	assert_true(is_participant(fx, 1, "dispatch@trucks.test"));
	/* bob himself, his address in other case: exact, not case-exact */
	assert_int_equal(reply_from(fx, "Bob@GMail.com", "b2@gmail.com"),
			 INGEST_STORED);
	assert_int_equal(participants(fx, 1), 5);
}

static void
test_policy_partner_needs_colleague(void **state)
{
	struct fixture *fx = *state;

	/* a partner address is no member of a case none of its company
	 * is on */
	feed(fx, "From: sara@acme.test\nTo: cases@desk.example\n"
	     "Subject: x\nMessage-ID: <o2@acme.test>\n\nx\n");
	assert_int_equal(reply_from(fx, "dispatch@trucks.test", "d3@trucks.test"),
			 INGEST_HELD);
}

static void
test_policy_signed_reference(void **state)
{
	struct fixture *fx = *state;
	const char *key = NULL;
	char *ref, *raw, *detail, *forged;

	feed(fx, SHIPPER_MAIL);
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(outbound_key(&fx->out, &key, NULL), 0);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	/* our notification to sara, replayed by an outsider */
	ref = msgid_make(key, msgid_domain(fx->env.cfg), 1, "sara@acme.test");
	raw = g_strdup_printf("From: attacker@evil.test\n"
			      "To: cases@desk.example\n"
			      "Cc: crowd1@evil.test, Crowd2 <crowd2@x.test>, "
			      "carl@trucks.test, attacker@evil.test\n"
			      "Subject: Re: Pallet crushed\n"
			      "In-Reply-To: %s\nMessage-ID: <rp1@evil.test>\n\n"
			      "/resolve\nnote: see http://evil.test/\n", ref);
	assert_int_equal(feed(fx, raw), INGEST_STORED);
	g_free(raw);
	assert_int_equal(case_of(fx, "<rp1@evil.test>"), 1);
	assert_decision(fx, "<rp1@evil.test>", "a reply by reference");
	/* nobody added: not the sender, not the strangers in Cc */
	assert_int_equal(participants(fx, 1), 2);
	assert_false(is_participant(fx, 1, "attacker@evil.test"));
	assert_false(is_participant(fx, 1, "crowd1@evil.test"));
	detail = event_detail(fx, 1, "not added");
	assert_non_null(detail);
	assert_non_null(strstr(detail, "2 addresses"));
	assert_non_null(strstr(detail, "crowd1@evil.test, crowd2@x.test"));
	assert_null(strstr(detail, "carl@"));
	g_free(detail);
	/* a forged signature proves nothing: held (threaded by the tag) */
	forged = g_strdup(ref);
	forged[strlen(forged) - 2 - strlen(msgid_domain(fx->env.cfg))] ^= 1;
	raw = g_strdup_printf("From: attacker@evil.test\n"
			      "Subject: Re: [CV000001] x\n"
			      "In-Reply-To: %s\nMessage-ID: <rp2@evil.test>\n"
			      "\nx\n", forged);
	assert_int_equal(feed(fx, raw), INGEST_HELD);
	g_free(raw);
	g_free(forged);
	/* sara herself, by the same reference: a member adds people */
	raw = g_strdup_printf("From: sara@acme.test\nCc: jo@acme.test\n"
			      "Subject: Re: x\nIn-Reply-To: %s\n"
			      "Message-ID: <rp3@acme.test>\n\nx\n", ref);
	assert_int_equal(feed(fx, raw), INGEST_STORED);
	g_free(raw);
	assert_true(is_participant(fx, 1, "jo@acme.test"));
	g_free(ref);
}

/* A reply by reference to a Solved case that opens a new one (
 * reply_to_solved = new): the new case is the sender's own. */
static void
test_policy_reference_to_solved(void **state)
{
	struct fixture *fx = *state;
	struct case_ctx ctx = { fx->env.store, fx->env.cfg, "agent", 0 };
	const char *key = NULL;
	char *ref, *raw;

	feed(fx, SHIPPER_MAIL);
	ctx.now = fx->now;
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(case_solve(&ctx, 1, NULL), 0);
	assert_int_equal(outbound_key(&fx->out, &key, NULL), 0);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	ref = msgid_make(key, msgid_domain(fx->env.cfg), 1, "sara@acme.test");
	raw = g_strdup_printf("From: jo@other.test\nCc: ann@other.test\n"
			      "Subject: Re: x\nIn-Reply-To: %s\n"
			      "Message-ID: <rs1@other.test>\n\nx\n", ref);
	assert_int_equal(feed(fx, raw), INGEST_STORED);
	assert_int_equal(case_of(fx, "<rs1@other.test>"), 2);
	assert_true(is_participant(fx, 2, "jo@other.test"));
	assert_true(is_participant(fx, 2, "ann@other.test"));
	assert_int_equal(participants(fx, 1), 2);
	g_free(raw);
	g_free(ref);
}

/* A mail from sara with n new Cc addresses prefix1.. prefixn@acme.test
 * (and those of known, already on the case). */
static enum ingest_outcome
mail_with_cc(struct fixture *fx, const char *mid, const char *known,
	     const char *prefix, int n)
{
	GString *raw = g_string_new("From: sara@acme.test\n"
				    "To: cases@desk.example\nCc: ");
	enum ingest_outcome out;

	g_string_append(raw, known);
	for (int i = 1; i <= n; i++)
		g_string_append_printf(raw, "%s%s%d@acme.test",
				       i > 1 || *known != '\0' ? ", " : "",
				       prefix, i);
	g_string_append_printf(raw, "\nSubject: [CV000001] many\n"
			       "Message-ID: <%s>\n\nx\n", mid);
	out = feed(fx, raw->str);
	g_string_free(raw, TRUE);
	return out;
}

static void
test_policy_max_new_participants(void **state)
{
	struct fixture *fx = *state;
	char *detail;

	feed(fx, SHIPPER_MAIL);
	/* 11 new people, the default limit 10: 10 added, 1 recorded */
	assert_int_equal(fx->env.cfg->case_max_new_participants, 10);
	assert_int_equal(mail_with_cc(fx, "many1@acme.test", "", "p", 11),
			 INGEST_STORED);
	assert_int_equal(participants(fx, 1), 2 + 10);
	assert_true(is_participant(fx, 1, "p10@acme.test"));
	assert_false(is_participant(fx, 1, "p11@acme.test"));
	assert_decision(fx, "<many1@acme.test>", "1 not added");
	detail = event_detail(fx, 1, "not added");
	assert_non_null(detail);
	assert_non_null(strstr(detail, "1 address in To/Cc not added "
			       "(over [case] max_new_participants): "
			       "p11@acme.test"));
	g_free(detail);
	/* people already on the case do not count: 10 known + 10 new ok */
	assert_int_equal(mail_with_cc(fx, "many2@acme.test",
				      "carl@trucks.test, p1@acme.test, "
				      "p2@acme.test", "q", 10),
			 INGEST_STORED);
	assert_int_equal(participants(fx, 1), 2 + 10 + 10);
	/* a long hostile list: all counted, ten named */
	assert_int_equal(mail_with_cc(fx, "many3@acme.test", "", "r", 40),
			 INGEST_STORED);
	detail = event_detail(fx, 1, "not added");
	assert_non_null(strstr(detail, "30 addresses"));
	assert_non_null(strstr(detail, "r20@acme.test, ..."));
	assert_null(strstr(detail, "r21@"));
	g_free(detail);
}

static int
setup_no_new(void **state)
{
	return setup_conf(state, "max_new_participants = 0\n");
}

static void
test_policy_no_new_participants(void **state)
{
	struct fixture *fx = *state;

	/* To/Cc add nobody; the sender of a new case still joins */
	assert_int_equal(feed(fx, SHIPPER_MAIL), INGEST_STORED);
	assert_int_equal(participants(fx, 1), 1);
	assert_true(is_participant(fx, 1, "sara@acme.test"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_policy_domain_mates,
						setup_policy, teardown),
		cmocka_unit_test_setup_teardown(test_policy_partner_needs_colleague,
						setup_policy, teardown),
		cmocka_unit_test_setup_teardown(test_policy_signed_reference,
						setup_policy, teardown),
		cmocka_unit_test_setup_teardown(test_policy_reference_to_solved,
						setup_policy_solved_new,
						teardown),
		cmocka_unit_test_setup_teardown(test_policy_max_new_participants,
						setup_policy, teardown),
		cmocka_unit_test_setup_teardown(test_policy_no_new_participants,
						setup_no_new, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
