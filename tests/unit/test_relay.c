/*
 * test_relay.c - the desk cannot be made a relay: acknowledgements go
 * through their token buckets and quote little of a stranger, a
 * notification over a limit waits instead of being dropped, and
 * notifications reference attachments instead of copying them.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "casemail/ingest.h"
#include "casemail/outbound.h"
#include "casemail/store.h"
#include "casemail/template.h"

#include "ingestutil.h"

struct fixture_relay {
	struct fixture fx;     /* first: feed() and friends take it */
	GPtrArray *templates;
};

static int
setup_relay(void **state, const char *conf)
{
	struct fixture_relay *fr;
	struct cm_error err = { 0 };
	const char *dir = getenv("TEMPLATES_DIR");

	setup_conf(state, conf);
	fr = g_realloc(*state, sizeof(*fr));
	if (dir == NULL || template_load_dir(dir, &fr->templates, &err) != 0)
		fail_msg("templates: %s", dir != NULL ? err.msg : "no dir");
	outbound_init(&fr->fx.out, fr->fx.env.store, fr->fx.env.cfg,
		      fr->templates);
	fr->fx.ing.out = &fr->fx.out;
	*state = fr;
	return 0;
}

static int
setup(void **state)
{
	return setup_relay(state, "max_messages_per_hour = 100000\n");
}

static int
teardown_relay(void **state)
{
	struct fixture_relay *fr = *state;
	GPtrArray *t = fr->templates;
	int rc = teardown(state);

	g_ptr_array_unref(t);
	return rc;
}

/* The queued outbox mails (queued, not yet sent). */
static GPtrArray *
outbox(struct fixture *fx)
{
	GPtrArray *mails = NULL;

	assert_int_equal(store_outbox_list(fx->env.store, 0, &mails, NULL), 0);
	return mails;
}

static unsigned
count_kind(struct fixture *fx, const char *kind)
{
	GPtrArray *mails = outbox(fx);
	unsigned n = 0;

	for (guint i = 0; i < mails->len; i++)
		n += strcmp(((struct store_outbox *)mails->pdata[i])->kind,
			    kind) == 0;
	g_ptr_array_unref(mails);
	return n;
}

/* The events of case id named what. */
static unsigned
count_events(struct fixture *fx, int64_t id, const char *what)
{
	GPtrArray *ev = NULL;
	unsigned n = 0;

	assert_int_equal(store_events_get(fx->env.store, id, &ev, NULL), 0);
	for (guint i = 0; i < ev->len; i++)
		n += strcmp(((struct store_event *)ev->pdata[i])->what,
			    what) == 0;
	g_ptr_array_unref(ev);
	return n;
}

static enum ingest_outcome
feed_forged(struct fixture *fx, int i, const char *subject)
{
	char *raw = g_strdup_printf(
		"From: Buyer %d <buyer%d@spam.test>\n"
		"To: cases@desk.example\n"
		"Subject: %s %d\n"
		"Message-ID: <forged%d@spam.test>\n\n"
		"Cheap watches.\n", i, i, subject, i, i);
	enum ingest_outcome out = feed(fx, raw);

	g_free(raw);
	return out;
}

/* 300 new cases within a minute from 300 forged addresses of one domain:
 * every case is opened, at most 60 are acknowledged, and each skip is on
 * its case. */
static void
test_ack_flood(void **state)
{
	struct fixture *fx = *state;
	unsigned acks, skipped = 0;

	for (int i = 1; i <= 300; i++) {
		assert_int_equal(feed_forged(fx, i, "BUY NOW"), INGEST_STORED);
		if (i % 5 == 0)
			fx->now--;     /* 300 mails in 240 s */
	}
	acks = count_kind(fx, "ack");
	assert_true(acks > 0);
	assert_true(acks <= 60);
	for (int64_t id = 1; id <= 300; id++)
		skipped += count_events(fx, id, "not acknowledged");
	assert_int_equal(case_of(fx, "<forged300@spam.test>"), 300);
	assert_int_equal(acks + skipped, 300);
	/* The 61st and later: opened, not acknowledged, recorded. */
	assert_int_equal(count_events(fx, 61, "not acknowledged"), 1);
}

/* The acknowledgement quotes a short, cleaned subject. */
static void
test_ack_subject(void **state)
{
	struct fixture *fx = *state;
	GString *long_subject = g_string_new("Re: ");
	GPtrArray *mails;
	struct store_outbox *m = NULL;
	char *text;

	for (int i = 0; i < 50; i++)
		g_string_append(long_subject, "VIAGRA\tcheap ");
	assert_int_equal(feed_forged(fx, 1, long_subject->str),
			 INGEST_STORED);
	mails = outbox(fx);
	assert_int_equal(mails->len, 1);
	assert_int_equal(store_outbox_get(fx->env.store,
		((struct store_outbox *)mails->pdata[0])->id, &m, NULL), 0);
	text = g_strndup(g_bytes_get_data(m->raw, NULL),
			 g_bytes_get_size(m->raw));
	/* No more than 60 characters of theirs, nowhere (headers
	 * unfolded); control characters gone. */
	for (char *p; (p = strstr(text, "\n ")) != NULL;)
		memmove(p, p + 1, strlen(p));
	assert_non_null(strstr(text, "VIAGRA cheap VIAGRA"));
	assert_null(strstr(text, "VIAGRA cheap VIAGRA cheap VIAGRA cheap "
				 "VIAGRA cheap VIAGRA cheap"));
	assert_null(strchr(text, '\t'));
	assert_non_null(strstr(text, "CV000001"));
	g_free(text);
	store_outbox_free(&m);
	g_ptr_array_unref(mails);
	g_string_free(long_subject, TRUE);
}

static int
setup_tight(void **state)
{
	return setup_relay(state, "max_messages_per_hour = 100000\n"
			   "[smtp]\nlimit_global_hour = 1\n");
}

#define FIRST_MAIL                                                         \
	"From: Sara Shipper <sara@acme.test>\n"                            \
	"To: Carl Carrier <carl@trucks.test>, dan@trucks.test\n"          \
	"Cc: cases@desk.example\n"                                         \
	"Subject: Pallet crushed at Rotterdam\n"                           \
	"Message-ID: <first@acme.test>\n\n"                                \
	"The pallet for order 4471 arrived crushed.\n"

#define SECOND_MAIL                                                        \
	"From: Sara Shipper <sara@acme.test>\n"                            \
	"To: cases@desk.example\n"                                         \
	"Subject: Re: [CV000001] Pallet crushed at Rotterdam\n"            \
	"Message-ID: <second@acme.test>\n\n"                               \
	"Photos follow.\n"

/* The desk-wide limit used up: the next notification is queued to go
 * when the bucket has refilled, recorded, and listed as waiting. */
static void
test_deferred_not_dropped(void **state)
{
	struct fixture *fx = *state;
	GPtrArray *mails, *waits = NULL;
	const struct store_outbox_wait *w;
	int64_t now;
	unsigned due_now = 0, later = 0;

	assert_int_equal(feed(fx, FIRST_MAIL), INGEST_STORED);
	assert_int_equal(feed(fx, SECOND_MAIL), INGEST_STORED);
	now = fx->now;
	assert_int_equal(case_of(fx, "<second@acme.test>"), 1);
	mails = outbox(fx);
	for (guint i = 0; i < mails->len; i++) {
		const struct store_outbox *m = mails->pdata[i];

		if (strcmp(m->kind, "notify") != 0)
			continue;
		if (m->next_attempt_at <= now) {
			due_now++;
			assert_null(m->last_error);
		} else {
			later++;
			/* One token an hour: the next one in an hour. */
			assert_true(m->next_attempt_at >= now + 3500);
			assert_true(m->next_attempt_at <= now + 3600);
			assert_non_null(strstr(m->last_error, "rate limit"));
		}
	}
	g_ptr_array_unref(mails);
	assert_int_equal(due_now, 1);
	assert_int_equal(later, 1);
	assert_int_equal(count_events(fx, 1, "notification deferred"), 1);
	assert_int_equal(count_events(fx, 1, "not notified"), 0);
	/* What casectl show lists. */
	assert_int_equal(store_outbox_waiting(fx->env.store, 1, now, &waits,
					      NULL), 0);
	assert_int_equal(waits->len, 1);
	w = waits->pdata[0];
	assert_string_equal(w->kind, "notify");
	assert_int_equal(w->mails, 1);
	assert_true(w->until > now);
	g_ptr_array_unref(waits);
}

static int
setup_cap(void **state)
{
	return setup_relay(state, "max_messages_per_hour = 100000\n"
			   "[smtp]\nmax_attach_notifications = 1\n");
}

#define MAIL_WITH_FILE                                                     \
	"From: Sara Shipper <sara@acme.test>\n"                            \
	"To: cases@desk.example\n"                                         \
	"Subject: Re: [CV000001] Pallet crushed at Rotterdam\n"            \
	"Message-ID: <photo@acme.test>\n"                                  \
	"MIME-Version: 1.0\n"                                              \
	"Content-Type: multipart/mixed; boundary=b\n\n"                    \
	"--b\nContent-Type: text/plain\n\nPhoto attached.\n"               \
	"--b\nContent-Type: image/png\n"                                   \
	"Content-Disposition: attachment; filename=pallet.png\n"           \
	"Content-Transfer-Encoding: base64\n\n"                            \
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8\n"   \
	"--b--\n"

/* Just over [smtp] max_attach_notifications (1): one notification
 * carries the file, the second names it only, and the case says so. */
static void
test_attach_cap(void **state)
{
	struct fixture *fx = *state;
	GPtrArray *mails;
	unsigned with = 0, named = 0;

	assert_int_equal(feed(fx, FIRST_MAIL), INGEST_STORED);
	assert_int_equal(feed(fx, MAIL_WITH_FILE), INGEST_STORED);
	mails = outbox(fx);
	for (guint i = 0; i < mails->len; i++) {
		struct store_outbox *m = NULL;
		char *text;

		if (strcmp(((struct store_outbox *)mails->pdata[i])->kind,
			   "notify") != 0)
			continue;
		assert_int_equal(store_outbox_get(fx->env.store,
			((struct store_outbox *)mails->pdata[i])->id, &m,
			NULL), 0);
		text = g_strndup(g_bytes_get_data(m->raw, NULL),
				 g_bytes_get_size(m->raw));
		with += strstr(text, "Content-Type: image/png") != NULL;
		named += strstr(text, "pallet.png (not attached") != NULL;
		g_free(text);
		store_outbox_free(&m);
	}
	g_ptr_array_unref(mails);
	assert_int_equal(with, 1);
	assert_int_equal(named, 1);
	assert_int_equal(count_events(fx, 1, "attachments not sent"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ack_flood, setup,
						teardown_relay),
		cmocka_unit_test_setup_teardown(test_ack_subject, setup,
						teardown_relay),
		cmocka_unit_test_setup_teardown(test_deferred_not_dropped,
						setup_tight, teardown_relay),
		cmocka_unit_test_setup_teardown(test_attach_cap, setup_cap,
						teardown_relay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
