/*
 * test_ingest.c - the inbound pipeline on a real store, and the corpus.
 *
 * test_corpus runs every .eml of the shared corpus ($CASEMAIL_CORPUS, else
 * ../shared/corpus beside the checkout; skipped when absent) through
 * ingest in one store, in path order, and compares each message's outcome
 * with the golden file corpus.ref beside this file: one line per message
 * (path, outcome, case, state, attachments, reason), our results only, no
 * corpus content.  Any difference fails the test and is printed as
 * -golden/+now lines naming the file.  After a change meant to alter
 * outcomes, regenerate the file and review its diff before committing:
 *
 *     CASEMAIL_UPDATE_REF=1 ctest -R unit_ingest    (from the build directory)
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "casemail/case.h"
#include "casemail/ingest.h"
#include "casemail/mailtoken.h"
#include "casemail/outbound.h"
#include "casemail/mime.h"
#include "casemail/outbound.h"
#include "casemail/template.h"

#include "ingestutil.h"

static int
setup(void **state)
{
	return setup_conf(state, "max_messages_per_hour = 5\n"
			  "[store]\nmax_attachment_bytes = 2048\n");
}

/*
 * The corpus run: the default limits but the flood limit, which would
 * otherwise hold most of the corpus (whole sets share one synthetic
 * sender); test_flood_and_limits covers it.
 */
static int
setup_corpus(void **state)
{
	return setup_conf(state, "max_messages_per_hour = 100000\n");
}

static void
test_new_case_and_participants(void **state)
{
	struct fixture *fx = *state;
	struct store_case *c;
	struct store_message *m;

	assert_int_equal(feed(fx, SHIPPER_MAIL), INGEST_STORED);
	assert_int_equal(case_of(fx, "<first@acme.test>"), 1);
	c = get_case(fx, 1);
	assert_string_equal(c->subject, "Pallet crushed at Rotterdam");
	assert_string_equal(c->source, "email");
	assert_string_equal(c->creator, "sara@acme.test");
	/* From and To; never the case address */
	assert_int_equal(c->participants->len, 2);
	assert_int_equal(c->last_message_at, fx->now - 1);
	store_case_free(&c);
	m = msg(fx, "<first@acme.test>");
	assert_non_null(strstr(m->decision, "new case CV000001"));
	assert_non_null(m->raw_sha256);
	store_message_free(&m);
	/* the same Message-ID again: stored once */
	assert_int_equal(feed(fx, SHIPPER_MAIL), INGEST_DUPLICATE);
}

static void
test_threading(void **state)
{
	struct fixture *fx = *state;
	struct store_message *m;

	feed(fx, SHIPPER_MAIL);
	/* reply-all by the Cc'd carrier: References only, no tag */
	assert_int_equal(feed(fx, "From: carl@trucks.test\nTo: sara@acme.test\n"
			      "Cc: cases@desk.example\nSubject: Re: Pallet crushed\n"
			      "Message-ID: <r1@trucks.test>\n"
			      "In-Reply-To: <first@acme.test>\n\nPhotos attached.\n"
			      "\nOn Sun, Sara wrote:\n> The pallet\n"),
			 INGEST_STORED);
	assert_int_equal(case_of(fx, "<r1@trucks.test>"), 1);
	m = msg(fx, "<r1@trucks.test>");
	assert_string_equal(m->body_full, "Photos attached.\n\nOn Sun, Sara "
			    "wrote:\n> The pallet");
	assert_null(strstr(m->body, "> The pallet"));
	assert_non_null(strstr(m->decision, "References"));
	store_message_free(&m);
	/* by tag, from a participant's domain-mate: acme.test is no
	 * partner domain, so held (test_policy_* cover partners) */
	assert_int_equal(feed(fx, "From: boss@acme.test\nTo: cases@desk.example\n"
			      "Subject: AW: [CV000001] status?\n"
			      "Message-ID: <t1@acme.test>\n\nAny news?\n"),
			 INGEST_HELD);
	assert_int_equal(case_of(fx, "<t1@acme.test>"), 1);
	/* plus address */
	assert_int_equal(feed(fx, "From: sara@acme.test\n"
			      "To: cases+cv1@desk.example\nSubject: more\n"
			      "Message-ID: <p1@acme.test>\n\nx\n"), INGEST_STORED);
	assert_int_equal(case_of(fx, "<p1@acme.test>"), 1);
	/* a tag naming no case is ignored: new case */
	assert_int_equal(feed(fx, "From: z@zz.test\nTo: cases@desk.example\n"
			      "Subject: [CV000999] hello\n"
			      "Message-ID: <n1@zz.test>\n\nx\n"), INGEST_STORED);
	assert_int_equal(case_of(fx, "<n1@zz.test>"), 2);
}

static void
test_unknown_sender_held_and_released(void **state)
{
	struct fixture *fx = *state;
	struct store_case *c;
	enum ingest_outcome out;
	int64_t row;
	struct store_message *m;

	feed(fx, SHIPPER_MAIL);
	assert_int_equal(feed(fx, "From: stranger@evil.test\nSubject: Re: [CV1] x\n"
			      "Message-ID: <s1@evil.test>\n\nclick here\n"),
			 INGEST_HELD);
	m = msg(fx, "<s1@evil.test>");
	assert_int_equal(m->state, STORE_MSG_HELD);
	assert_non_null(strstr(m->reason, "not on case CV000001"));
	row = m->id;
	store_message_free(&m);
	c = get_case(fx, 1);
	assert_int_equal(c->participants->len, 2);
	store_case_free(&c);
	/* an agent accepts it: it lands on the case */
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(ingest_reprocess(&fx->ing, row, 1, fx->now, &out, NULL), 0);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	assert_int_equal(out, INGEST_STORED);
	m = msg(fx, "<s1@evil.test>");
	assert_int_equal(m->state, STORE_MSG_STORED);
	store_message_free(&m);
}

static void
test_reply_reopens_solved(void **state)
{
	struct fixture *fx = *state;
	struct case_ctx ctx = { fx->env.store, fx->env.cfg, "agent", 0 };
	struct store_case *c;

	feed(fx, SHIPPER_MAIL);
	ctx.now = fx->now;
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(case_solve(&ctx, 1, NULL), 0);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	assert_int_equal(feed(fx, "From: sara@acme.test\nSubject: Re: [CV000001] x\n"
			      "Message-ID: <again@acme.test>\n\nnot fixed\n"),
			 INGEST_STORED);
	c = get_case(fx, 1);
	assert_int_equal(c->status, STORE_CASE_ACTIVE);
	store_case_free(&c);
}

static void
test_noise(void **state)
{
	struct fixture *fx = *state;
	struct store_case *c;
	struct store_person *p = NULL;
	struct store_message *m;
	int bouncing = 1;

	feed(fx, SHIPPER_MAIL);
	/* an out-of-office on the case: logged, no state change */
	assert_int_equal(feed(fx, "From: carl@trucks.test\nSubject: Automatic "
			      "reply: [CV000001] x\nAuto-Submitted: auto-replied\n"
			      "Message-ID: <ooo@trucks.test>\n\naway\n"),
			 INGEST_IGNORED);
	/* a delivery report naming the carrier, not sent to a signed return
	 * path (anyone can write one): recorded, nobody marked bouncing */
	assert_int_equal(feed(fx, "From: MAILER-DAEMON@mx.test\n"
			      "Subject: Undelivered Mail: [CV000001] x\n"
			      "Message-ID: <dsn@mx.test>\nMIME-Version: 1.0\n"
			      "Content-Type: multipart/report; report-type="
			      "delivery-status; boundary=\"B\"\n\n--B\n"
			      "Content-Type: text/plain\n\nfailed\n--B\n"
			      "Content-Type: message/delivery-status\n\n"
			      "Reporting-MTA: dns; mx.test\n\n"
			      "Final-Recipient: rfc822; carl@trucks.test\n"
			      "Action: failed\nStatus: 5.1.1\n--B--\n"),
			 INGEST_IGNORED);
	/* our own mail coming back */
	assert_int_equal(feed(fx, "From: cases@desk.example\nSubject: [CV000001] x\n"
			      "Message-ID: <own@desk.example>\n\nx\n"),
			 INGEST_IGNORED);
	c = get_case(fx, 1);
	assert_int_equal(c->status, STORE_CASE_ACTIVE);
	assert_int_equal(c->participants->len, 2);
	store_case_free(&c);
	assert_int_equal(store_person_get(fx->env.store, "carl@trucks.test", &p,
					  NULL), 0);
	store_person_free(&p);
	assert_int_equal(store_person_bouncing(fx->env.store, "carl@trucks.test",
					       0, &bouncing, NULL), 0);
	assert_false(bouncing);
	m = msg(fx, "<dsn@mx.test>");
	assert_non_null(strstr(m->reason, "ignored for carl@trucks.test"));
	store_message_free(&m);
	/* no new case for any of them */
	assert_int_equal(store_case_get(fx->env.store, 2, &c, NULL), CM_ENOTFOUND);
}

/* ---- loops and mailing lists, with the outbound side on ------------------ */

struct fixture_out {
	struct fixture fx;     /* first: feed() and friends take it */
	struct outbound out;
	GPtrArray *templates;
};

static int
setup_out(void **state)
{
	struct fixture_out *fo = g_new0(struct fixture_out, 1);
	struct cm_error err = { 0 };
	char *here = g_path_get_dirname(__FILE__);
	/* The shipped templates, beside the tests unless ctest says. */
	char *dir = getenv("TEMPLATES_DIR") != NULL
			    ? g_strdup(getenv("TEMPLATES_DIR"))
			    : g_build_filename(here, "..", "..", "templates",
					       NULL);
	int rc = template_load_dir(dir, &fo->templates, &err);

	g_free(dir);
	g_free(here);
	if (rc != 0)
		fail_msg("templates: %s", err.msg);
	testutil_env_open(&fo->fx.env, NULL);
	fo->fx.ing.store = fo->fx.env.store;
	fo->fx.ing.cfg = fo->fx.env.cfg;
	fo->fx.now = 1795942800;
	outbound_init(&fo->out, fo->fx.env.store, fo->fx.env.cfg,
		      fo->templates);
	fo->fx.ing.out = &fo->out;
	*state = fo;
	return 0;
}

static int
teardown_out(void **state)
{
	struct fixture_out *fo = *state;

	outbound_clear(&fo->out);
	g_ptr_array_unref(fo->templates);
	testutil_env_close(&fo->fx.env);
	g_free(fo);
	return 0;
}

static int64_t
queued(struct fixture *fx)
{
	int64_t n = 0, failed = 0;

	assert_int_equal(store_outbox_counts(fx->env.store, &n, &failed, NULL),
			 0);
	return n;
}

static unsigned
participants(struct fixture *fx, int64_t id)
{
	struct store_case *c = get_case(fx, id);
	unsigned n = c->participants->len;

	store_case_free(&c);
	return n;
}

static void
assert_reason(struct fixture *fx, const char *mid, const char *needle)
{
	struct store_message *m = msg(fx, mid);

	if (m->reason == NULL || strstr(m->reason, needle) == NULL)
		fail_msg("%s: reason '%s' lacks '%s'", mid,
			 m->reason != NULL ? m->reason : "(none)", needle);
	store_message_free(&m);
}

/* Only mail with this desk's loop value is dropped as our own; another
 * casemail desk's mail opens a case like anyone's. */
static void
test_loop_identity(void **state)
{
	struct fixture_out *fo = *state;
	struct fixture *fx = &fo->fx;
	char *ours = NULL, *raw;
	int64_t before;

	assert_int_equal(outbound_loop_value(&fo->out, &ours, NULL), 0);
	assert_int_equal(feed(fx, SHIPPER_MAIL), INGEST_STORED);
	before = queued(fx);
	assert_true(before >= 1);   /* the acknowledgement */
	/* Our value, even from another address: ours, dropped, no mail. */
	raw = g_strdup_printf("From: relay@acme.test\nX-Casemail-Loop: %s\n"
			      "Subject: [CV000001] x\nMessage-ID: <loop@acme."
			      "test>\n\nx\n", ours);
	assert_int_equal(feed(fx, raw), INGEST_IGNORED);
	assert_reason(fx, "<loop@acme.test>", "own mail");
	g_free(raw);
	/* Another desk's human reply: a person's mail, a new case, an
	 * acknowledgement (the old presence check dropped it). */
	assert_int_equal(feed(fx, "From: agent@other.example\nX-Casemail-Loop: "
			      "help@other.example; id=0123456789abcdef0123456"
			      "789abcdef\nSubject: [HD000004] your pallet\n"
			      "Message-ID: <desk2@other.example>\n\nhello\n"),
			 INGEST_STORED);
	assert_int_equal(case_of(fx, "<desk2@other.example>"), 2);
	assert_true(queued(fx) > before);
	before = queued(fx);
	/* Another desk's acknowledgement: an auto-reply, answered by nobody. */
	assert_int_equal(feed(fx, "From: help@other.example\nX-Casemail-Loop: "
			      "help@other.example; id=0123456789abcdef0123456"
			      "789abcdef\nAuto-Submitted: auto-replied\n"
			      "Subject: [HD000005] received\nMessage-ID: "
			      "<ack2@other.example>\n\nthanks\n"),
			 INGEST_IGNORED);
	assert_int_equal(queued(fx), before);
	g_free(ours);
}

/* A List-Id mail opens no case and gets no acknowledgement; threaded onto
 * a case by a sender who may post, it is posted, adding no participants;
 * from anyone else it is held like any reply. */
static void
test_list_mail(void **state)
{
	struct fixture_out *fo = *state;
	struct fixture *fx = &fo->fx;
	struct store_case *c = NULL;
	int64_t before;

	assert_int_equal(feed(fx, SHIPPER_MAIL), INGEST_STORED);
	before = queued(fx);
	assert_int_equal(feed(fx, "From: member@lists.test\nTo: ops@lists.test\n"
			      "List-Id: Ops talk <ops.lists.test>\nSubject: "
			      "pallets everywhere\nMessage-ID: <l1@lists.test>"
			      "\n\nx\n"), INGEST_IGNORED);
	assert_int_equal(case_of(fx, "<l1@lists.test>"), 0);
	assert_reason(fx, "<l1@lists.test>", "List-Id");
	assert_int_equal(store_case_get(fx->env.store, 2, &c, NULL),
			 CM_ENOTFOUND);
	assert_int_equal(queued(fx), before);
	/* A participant's post through a list, threaded by tag: posted. */
	assert_int_equal(participants(fx, 1), 2);
	assert_int_equal(feed(fx, "From: sara@acme.test\nTo: ops@lists.test\n"
			      "Cc: newbie@acme.test\nList-Id: <ops.lists.test>"
			      "\nSubject: Re: [CV000001] Pallet crushed\n"
			      "Message-ID: <l2@lists.test>\n\nupdate\n"),
			 INGEST_STORED);
	assert_int_equal(case_of(fx, "<l2@lists.test>"), 1);
	assert_int_equal(participants(fx, 1), 2);
	/* A stranger's list post onto the case: held, as any stranger's. */
	assert_int_equal(feed(fx, "From: member@lists.test\nTo: ops@lists.test"
			      "\nList-Id: <ops.lists.test>\nSubject: Re: "
			      "[CV000001] Pallet crushed\nMessage-ID: "
			      "<l3@lists.test>\n\nme too\n"), INGEST_HELD);
	assert_int_equal(participants(fx, 1), 2);
	assert_int_equal(store_case_get(fx->env.store, 2, &c, NULL),
			 CM_ENOTFOUND);
}

/* A delivery report to raw_to naming who (the report's id: mid). */
static enum ingest_outcome
feed_dsn(struct fixture *fx, const char *raw_to, const char *who,
	 const char *mid)
{
	char *raw = g_strdup_printf(
		"From: MAILER-DAEMON@mx.test\nTo: %s\nSubject: Undelivered\n"
		"Message-ID: <%s@mx.test>\nMIME-Version: 1.0\nContent-Type: "
		"multipart/report; report-type=delivery-status; boundary=B\n\n"
		"--B\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.test\n\nFinal-Recipient: rfc822; %s\n"
		"Action: failed\nStatus: 5.1.1\n--B--\n", raw_to, mid, who);
	enum ingest_outcome out = feed(fx, raw);

	g_free(raw);
	return out;
}

static int
is_bouncing(struct fixture *fx, const char *who)
{
	int b = -1;

	assert_int_equal(store_person_bouncing(fx->env.store, who, 0, &b, NULL),
			 0);
	return b;
}

/* Only a report to the return path signed for that outbox row and that
 * recipient marks them; the token in an unsubscribe address decides who
 * is unsubscribed, not From. */
static void
test_signed_bounce_and_unsubscribe(void **state)
{
	struct fixture *fx = *state;
	struct outbound out;
	struct store_outbox ob = { 0 };
	const char *rcpts[] = { "carl@trucks.test" };
	char mac[MSGID_MAC_HEX + 1], *verp, *raw;
	const char *key = NULL;
	struct store_case *c;
	int64_t row = 0;

	outbound_init(&out, fx->env.store, fx->env.cfg, NULL);
	fx->ing.out = &out;
	feed(fx, SHIPPER_MAIL);
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(outbound_key(&out, &key, NULL), 0);
	ob.case_id = 1;
	ob.kind = (char *)"notify";
	ob.message_id = (char *)"<n1@desk.example>";
	ob.env_from = (char *)"cases@desk.example";
	ob.raw = g_bytes_new_static("x", 1);
	assert_int_equal(store_outbox_add(fx->env.store, &ob, rcpts, 1, NULL,
					  &row, NULL), 0);
	g_bytes_unref(ob.raw);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	verp = mailtoken_bounce_address(key, "cases@desk.example", row,
					"carl@trucks.test");
	/* naming sara, who is no recipient of that row: nobody marked */
	assert_int_equal(feed_dsn(fx, verp, "sara@acme.test", "d1"),
			 INGEST_IGNORED);
	assert_false(is_bouncing(fx, "sara@acme.test"));
	assert_false(is_bouncing(fx, "carl@trucks.test"));
	/* to the plain address, delivered to another: nobody marked */
	assert_int_equal(feed_dsn(fx, "cases@desk.example\nDelivered-To: "
				  "x@y.test", "carl@trucks.test", "d2"),
			 INGEST_IGNORED);
	assert_false(is_bouncing(fx, "carl@trucks.test"));
	/* the genuine report, to the envelope recipient the MTA wrote */
	raw = g_strdup_printf("cases@desk.example\nDelivered-To: <%s>", verp);
	assert_int_equal(feed_dsn(fx, raw, "carl@trucks.test", "d3"),
			 INGEST_IGNORED);
	assert_true(is_bouncing(fx, "carl@trucks.test"));
	g_free(raw);
	/* unsubscribe with carl's token but sara's From: carl is out */
	mailtoken_unsubscribe(key, 1, "carl@trucks.test", mac);
	raw = g_strdup_printf("From: sara@acme.test\nTo: cases+unsubscribe-"
			      "cv000001-%s@desk.example\nSubject: unsubscribe\n"
			      "Message-ID: <u1@acme.test>\n\nx\n", mac);
	assert_int_equal(feed(fx, raw), INGEST_IGNORED);
	g_free(raw);
	c = get_case(fx, 1);
	for (guint i = 0; i < c->participants->len; i++) {
		const struct store_person *p = c->participants->pdata[i];

		assert_int_equal(p->subscribed,
				 strcmp(p->address, "carl@trucks.test") != 0);
	}
	store_case_free(&c);
	g_free(verp);
	fx->ing.out = NULL;
	outbound_clear(&out);
}

static void
test_flood_and_limits(void **state)
{
	struct fixture *fx = *state;
	GString *big = g_string_new(NULL);
	struct store_message *m;
	char raw[256];

	for (int i = 0; i < 5; i++) {
		snprintf(raw, sizeof(raw), "From: loop@x.test\nSubject: s%d\n"
			 "Message-ID: <f%d@x.test>\n\nx\n", i, i);
		assert_int_equal(feed(fx, raw), INGEST_STORED);
	}
	assert_int_equal(feed(fx, "From: loop@x.test\nSubject: six\n"
			      "Message-ID: <f6@x.test>\n\nx\n"), INGEST_HELD);
	/* The count stops at the limit; held mail counts too: still held. */
	assert_int_equal(feed(fx, "From: loop@x.test\nSubject: seven\n"
			      "Message-ID: <f7@x.test>\n\nx\n"), INGEST_HELD);
	/* an attachment over max_attachment_bytes is recorded, not stored */
	g_string_append(big, "From: a@big.test\nSubject: big\nMessage-ID: "
			"<big@big.test>\nContent-Type: multipart/mixed; "
			"boundary=Q\n\n--Q\nContent-Type: text/plain\n\nsee file\n"
			"--Q\nContent-Type: application/octet-stream\n"
			"Content-Disposition: attachment; filename=big.bin\n\n");
	for (int i = 0; i < 100; i++)
		g_string_append(big, "0123456789012345678901234567890123456789\n");
	g_string_append(big, "--Q--\n");
	assert_int_equal(feed(fx, big->str), INGEST_STORED);
	m = msg(fx, "<big@big.test>");
	assert_int_equal(m->attachments->len, 1);
	assert_null(((struct store_attachment *)m->attachments->pdata[0])->sha256);
	assert_non_null(((struct store_attachment *)m->attachments->pdata[0])->skipped);
	store_message_free(&m);
	g_string_free(big, TRUE);
}

/* ---- the sender verdict -------------------------------------------------- */

static int
setup_trust(void **state)
{
	return setup_conf(state, "max_messages_per_hour = 100\n"
			  "[trust]\nauthserv_ids = mx.desk.example\n");
}

/* An agent's reply to case 1, not on it, with Cc and a command; hdr goes
 * on top (a server's Authentication-Results, or nothing). */
static char *
agent_mail(const char *hdr, const char *mid)
{
	return g_strdup_printf("%sFrom: Anna <anna@desk.example>\n"
			       "To: cases@desk.example\n"
			       "Cc: attacker@evil.test\n"
			       "Subject: Re: [CV000001] Pallet crushed\n"
			       "Message-ID: <%s>\n\n/resolve\nnote: see "
			       "http://evil.test/x\n", hdr, mid);
}

/* A forged agent mail changes nothing: held with the reason, nobody
 * added, the case untouched. */
static void
assert_forged_held(struct fixture *fx, const char *hdr, const char *mid,
		   const char *needle)
{
	char *raw = agent_mail(hdr, mid);
	char *bracketed = g_strdup_printf("<%s>", mid);
	struct store_message *m;
	struct store_case *c;

	assert_int_equal(feed(fx, raw), INGEST_HELD);
	m = msg(fx, bracketed);
	assert_int_equal(m->state, STORE_MSG_HELD);
	assert_non_null(strstr(m->reason, "organisation address not proven"));
	if (strstr(m->reason, needle) == NULL)
		fail_msg("reason '%s' lacks '%s'", m->reason, needle);
	assert_false(m->sender_verified);
	assert_non_null(strstr(m->sender_verdict, "not verified"));
	assert_non_null(strstr(m->decision, "sender not verified"));
	store_message_free(&m);
	c = get_case(fx, 1);
	assert_int_equal(c->participants->len, 2);
	store_case_free(&c);
	g_free(bracketed);
	g_free(raw);
}

static void
test_forged_agent(void **state)
{
	struct fixture *fx = *state;

	feed(fx, SHIPPER_MAIL);
	assert_forged_held(fx, "", "f1@x.test", "no trusted "
			   "Authentication-Results");
	assert_forged_held(fx, "Authentication-Results: evil.test; dmarc=pass "
			   "header.from=desk.example\n", "f2@x.test",
			   "no trusted");
	/* A trusted server's fail, with a forged pass below it. */
	assert_forged_held(fx, "Authentication-Results: mx.desk.example; "
			   "dmarc=fail header.from=desk.example\n"
			   "Authentication-Results: mx.desk.example; dmarc=pass "
			   "header.from=desk.example\n", "f3@x.test",
			   "dmarc=fail");
	/* A pass for another domain. */
	assert_forged_held(fx, "Authentication-Results: mx.desk.example; "
			   "dkim=pass header.d=evil.test\n", "f4@x.test",
			   "not aligned");
}

static void
test_verified_agent(void **state)
{
	struct fixture *fx = *state;
	char *raw = agent_mail("Authentication-Results: mx.desk.example;\n"
			       " dmarc=pass (p=reject) header.from=desk.example\n",
			       "v1@desk.example");
	char *pem = testutil_dkim_key(fx->env.dir, "sel", "desk.example");
	char *plain = agent_mail("", "v2@desk.example");
	char *signed_raw = testutil_dkim_sign(plain, pem, "sel",
					      "desk.example");
	struct store_message *m;

	feed(fx, SHIPPER_MAIL);
	/* Not on the case, but a proven agent: posted. */
	assert_int_equal(feed(fx, raw), INGEST_STORED);
	assert_int_equal(case_of(fx, "<v1@desk.example>"), 1);
	m = msg(fx, "<v1@desk.example>");
	assert_true(m->sender_verified);
	assert_string_equal(m->sender_verdict, "verified anna@desk.example: "
			    "dmarc=pass header.from=desk.example "
			    "(Authentication-Results of mx.desk.example)");
	assert_non_null(strstr(m->decision, "sender verified"));
	store_message_free(&m);
	/* Signed by the desk's own key (through the key file). */
	assert_int_equal(feed(fx, signed_raw), INGEST_STORED);
	m = msg(fx, "<v2@desk.example>");
	assert_true(m->sender_verified);
	assert_non_null(strstr(m->sender_verdict, "own DKIM check"));
	store_message_free(&m);
	/* An outside sender's verdict is recorded, the rules unchanged. */
	m = msg(fx, "<first@acme.test>");
	assert_false(m->sender_verified);
	assert_non_null(strstr(m->sender_verdict, "not verified"));
	store_message_free(&m);
	g_free(signed_raw);
	g_free(plain);
	g_free(pem);
	g_free(raw);
}

/* An agent releases a forged agent mail: it is posted, its command is
 * still not run (no outbound here: the hold reason names it only when
 * templates exist; test_outbound.py covers the refusal end to end). */
static void
test_forged_agent_released(void **state)
{
	struct fixture *fx = *state;
	char *raw = agent_mail("", "r1@x.test");
	struct store_message *m;
	enum ingest_outcome out;
	int64_t row;

	feed(fx, SHIPPER_MAIL);
	assert_int_equal(feed(fx, raw), INGEST_HELD);
	m = msg(fx, "<r1@x.test>");
	row = m->id;
	store_message_free(&m);
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(ingest_reprocess(&fx->ing, row, 1, fx->now, &out,
					  NULL), 0);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	assert_int_equal(out, INGEST_STORED);
	m = msg(fx, "<r1@x.test>");
	assert_false(m->sender_verified);
	store_message_free(&m);
	g_free(raw);
}

/* ---- the real-mail corpus ----------------------------------------------- */

/*
 * Where the corpus lies: $CASEMAIL_CORPUS (ctest sets it from the CMake
 * cache variable of that name), else ../shared/corpus beside the checkout.
 */
static char *
corpus_dir(void)
{
	const char *env = g_getenv("CASEMAIL_CORPUS");
	char *here = g_path_get_dirname(__FILE__);
	char *dir = env != NULL && *env != '\0' ? g_strdup(env) :
		g_build_filename(here, "..", "..", "..", "shared", "corpus",
				 NULL);

	g_free(here);
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_free(dir);
		return NULL;
	}
	return dir;
}

static void
corpus_collect(const char *dir, GPtrArray *out)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			corpus_collect(path, out);
		if (g_str_has_suffix(name, ".eml"))
			g_ptr_array_add(out, path);
		else
			g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
}

static int
corpus_path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What the corpus run remembers between messages. */
struct corpus_run {
	const char *root;       /* the corpus directory */
	int64_t next_row;       /* the row id a newly kept message gets */
	GPtrArray *openers;     /* case id - 1 -> path of the message that
				 * opened it (borrowed from the file list) */
	GPtrArray *lines;       /* the outcome line of each message */
	double worst_secs;
};

/*
 * The facts of one ingested message, for the golden file: where it went,
 * which case (opened by this message, or the corpus file that opened the
 * one it joined), the kept row's state, its attachments (how many, how
 * many recorded without their data) and why it was held, ignored or
 * failed.  No message content.
 */
static char *
corpus_facts(struct fixture *fx, struct corpus_run *run, const char *rel,
	     enum ingest_outcome out)
{
	struct store_message *m = NULL;
	const char *kase = "-", *state = "-", *reason = "-";
	guint atts = 0, skipped = 0;
	char *line;

	if (store_message_get(fx->env.store, NULL, run->next_row, &m,
			      NULL) == 0) {
		run->next_row++;
		state = store_msg_state_name(m->state);
		if (m->reason != NULL)
			reason = m->reason;
		if (m->case_id > (int64_t)run->openers->len)
			g_ptr_array_add(run->openers, (char *)rel);
		if (m->case_id > 0)
			kase = m->case_id == (int64_t)run->openers->len &&
			       run->openers->pdata[m->case_id - 1] == rel ?
			       "new" : run->openers->pdata[m->case_id - 1];
		for (guint i = 0; i < m->attachments->len; i++)
			skipped += ((struct store_attachment *)
				    m->attachments->pdata[i])->sha256 == NULL;
		atts = m->attachments->len;
	}
	line = g_strdup_printf("%s\t%s\tcase=%s\tstate=%s\tattachments=%u"
			       "\tskipped=%u\treason=%s", rel,
			       ingest_outcome_name(out), kase, state, atts,
			       skipped, reason);
	g_strdelimit(line + strlen(rel), "\n", ' ');
	store_message_free(&m);
	return line;
}

static void
corpus_ingest_one(struct fixture *fx, struct corpus_run *run,
		  const char *path)
{
	const char *rel = path + strlen(run->root) + 1;
	char *data = NULL;
	gsize len = 0;
	struct cm_error err = { 0 };
	enum ingest_outcome out;
	gint64 t0 = g_get_monotonic_time();
	double secs;

	assert_true(g_file_get_contents(path, &data, &len, NULL));
	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	if (ingest_message(&fx->ing, data, len, NULL, fx->now, &out, &err) != 0)
		fail_msg("%s: %s", path, err.msg);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	secs = (double)(g_get_monotonic_time() - t0) / 1e6;
	if (secs > run->worst_secs)
		run->worst_secs = secs;
	g_ptr_array_add(run->lines, corpus_facts(fx, run, rel, out));
	g_free(data);
}

#define CORPUS_REF_HEAD                                                    \
	"# test_ingest.c test_corpus: one line per corpus message, sorted:\n" \
	"# path, outcome, case, state, attachments, skipped, reason.\n"       \
	"# Regenerate: CASEMAIL_UPDATE_REF=1 ctest -R unit_ingest\n"

/* The path field of a golden line, as a new string. */
static char *
corpus_line_key(const char *line)
{
	const char *tab = strchr(line, '\t');

	return g_strndup(line, tab != NULL ? (gsize)(tab - line) : strlen(line));
}

/* Golden lines by path. */
static GHashTable *
corpus_ref_read(const char *text)
{
	GHashTable *ref = g_hash_table_new_full(g_str_hash, g_str_equal,
						g_free, g_free);
	char **lines = g_strsplit(text, "\n", -1);

	for (char **l = lines; *l != NULL; l++)
		if (**l != '\0' && **l != '#')
			g_hash_table_replace(ref, corpus_line_key(*l),
					     g_strdup(*l));
	g_strfreev(lines);
	return ref;
}

/*
 * Compare this run's lines with the golden file; print each difference as
 * "-golden" / "+now" naming the corpus file.  Returns how many differ.
 */
static int
corpus_ref_compare(const char *ref_path, GPtrArray *lines)
{
	char *text = NULL;
	GHashTable *ref;
	GHashTableIter it;
	gpointer key, val;
	int diffs = 0;

	if (!g_file_get_contents(ref_path, &text, NULL, NULL))
		fail_msg("%s missing: run with CASEMAIL_UPDATE_REF=1", ref_path);
	ref = corpus_ref_read(text);
	for (guint i = 0; i < lines->len; i++) {
		char *k = corpus_line_key(lines->pdata[i]);
		const char *want = g_hash_table_lookup(ref, k);

		if (want == NULL || strcmp(want, lines->pdata[i]) != 0) {
			print_message("corpus.ref: %s differs\n-%s\n+%s\n", k,
				      want != NULL ? want : "(no line)",
				      (char *)lines->pdata[i]);
			diffs++;
		}
		g_hash_table_remove(ref, k);
		g_free(k);
	}
	g_hash_table_iter_init(&it, ref);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		print_message("corpus.ref: %s not in the corpus\n-%s\n+(no line)\n",
			      (char *)key, (char *)val);
		diffs++;
	}
	g_hash_table_unref(ref);
	g_free(text);
	return diffs;
}

static void
corpus_ref_write(const char *ref_path, GPtrArray *lines)
{
	GString *out = g_string_new(CORPUS_REF_HEAD);

	for (guint i = 0; i < lines->len; i++)
		g_string_append_printf(out, "%s\n", (char *)lines->pdata[i]);
	assert_true(g_file_set_contents(ref_path, out->str, (gssize)out->len,
					NULL));
	print_message("corpus.ref: wrote %u lines to %s\n", lines->len,
		      ref_path);
	g_string_free(out, TRUE);
}

static void
test_corpus(void **state)
{
	struct fixture *fx = *state;
	char *dir = corpus_dir();
	char *here = g_path_get_dirname(__FILE__);
	char *ref_path = g_build_filename(here, "corpus.ref", NULL);
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	struct corpus_run run = { dir, 1, g_ptr_array_new(),
				  g_ptr_array_new_with_free_func(g_free), 0 };
	int diffs = 0;

	g_free(here);
	if (dir == NULL) {
		print_message("corpus not found beside the checkout: skipped\n");
		g_ptr_array_unref(files);
		g_ptr_array_unref(run.openers);
		g_ptr_array_unref(run.lines);
		g_free(ref_path);
		skip();
	}
	corpus_collect(dir, files);
	assert_true(files->len > 300);
	/* A fixed order: threading and flood limits depend on it. */
	g_ptr_array_sort(files, corpus_path_cmp);
	for (guint i = 0; i < files->len; i++)
		corpus_ingest_one(fx, &run, files->pdata[i]);
	print_message("corpus: %u messages: %d stored, %d duplicate, %d held, "
		      "%d ignored, %d failed; slowest %.3f s\n", files->len,
		      fx->ing.stats.stored, fx->ing.stats.duplicate,
		      fx->ing.stats.held, fx->ing.stats.ignored,
		      fx->ing.stats.failed, run.worst_secs);
	assert_int_equal(fx->ing.stats.stored + fx->ing.stats.duplicate +
			 fx->ing.stats.held + fx->ing.stats.ignored +
			 fx->ing.stats.failed, (int)files->len);
	if (g_strcmp0(g_getenv("CASEMAIL_UPDATE_REF"), "1") == 0)
		corpus_ref_write(ref_path, run.lines);
	else
		diffs = corpus_ref_compare(ref_path, run.lines);
	g_ptr_array_unref(run.openers);
	g_ptr_array_unref(run.lines);
	g_ptr_array_unref(files);
	g_free(ref_path);
	g_free(dir);
	if (diffs > 0)
		fail_msg("%d corpus messages differ from corpus.ref (if the "
			 "change is intended: CASEMAIL_UPDATE_REF=1)", diffs);
}

/* Apply a message set aside unread as poison (fetch.c): with cfg its
 * header is read once, without it nothing is. */
static enum ingest_outcome
feed_refused(struct fixture *fx, const char *raw, const struct config *cfg)
{
	struct ingest_parsed *p = ingest_parse_refused(cfg, raw, strlen(raw),
						       strlen(raw), "crashed");
	struct cm_error err = { 0 };
	enum ingest_outcome out = INGEST_STORED;

	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	assert_int_equal(ingest_apply(&fx->ing, p, NULL, fx->now++, &out,
				      &err), 0);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	ingest_parsed_free(&p);
	return out;
}

/* Set aside with its header read, then (its move lost) again unread: one
 * record, under its own Message-ID, not a second under its bytes' ID. */
static void
test_set_aside_twice(void **state)
{
	struct fixture *fx = *state;
	struct store_message *m;

	assert_int_equal(feed_refused(fx, SHIPPER_MAIL, fx->env.cfg),
			 INGEST_FAILED);
	assert_int_equal(feed_refused(fx, SHIPPER_MAIL, NULL),
			 INGEST_DUPLICATE_HELD);
	m = msg(fx, "<first@acme.test>");
	assert_int_equal(m->state, STORE_MSG_FAILED);
	store_message_free(&m);
	assert_int_equal(store_message_get(fx->env.store, NULL, 2, &m, NULL),
			 CM_ENOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_case_and_participants,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_threading, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_sender_held_and_released,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_reopens_solved,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_noise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_aside_twice, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_signed_bounce_and_unsubscribe,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_and_limits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_loop_identity, setup_out,
						teardown_out),
		cmocka_unit_test_setup_teardown(test_list_mail, setup_out,
						teardown_out),
		cmocka_unit_test_setup_teardown(test_forged_agent, setup_trust,
						teardown),
		cmocka_unit_test_setup_teardown(test_verified_agent,
						setup_trust, teardown),
		cmocka_unit_test_setup_teardown(test_forged_agent_released,
						setup_trust, teardown),
		cmocka_unit_test_setup_teardown(test_corpus, setup_corpus,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
