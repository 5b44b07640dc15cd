/* test_thread.c - case numbers in subjects and addresses; classification. */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "casemail/classify.h"
#include "casemail/mime.h"
#include "casemail/msgid.h"
#include "casemail/thread.h"

static struct config *
cfg_new(char **dir_r)
{
	struct config *cfg = NULL;
	char *path;

	*dir_r = testutil_tmpdir();
	path = testutil_write(*dir_r, "c.conf",
			      "[case]\naddress = cases@desk.example\n"
			      "organization_domains = desk.example\n");
	assert_int_equal(config_load(path, &cfg, NULL), 0);
	g_free(path);
	return cfg;
}

static void
expect_ids(const struct config *cfg, const char *subject, int n, ...)
{
	GArray *ids = thread_subject_cases(cfg, subject);
	va_list ap;

	if ((int)ids->len != n)
		fail_msg("'%s': %u ids, expected %d", subject, ids->len, n);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(g_array_index(ids, int64_t, i), va_arg(ap, int));
	va_end(ap);
	g_array_unref(ids);
}

static void
test_subject_tags(void **state)
{
	char *dir;
	struct config *cfg = cfg_new(&dir);

	(void)state;
	expect_ids(cfg, "[CV000123] Damaged pallet", 1, 123);
	expect_ids(cfg, "Re: CV000123 Damaged pallet", 1, 123);
	expect_ids(cfg, "AW: cv123", 1, 123);
	/* bracketed wins over bare, whatever the order */
	expect_ids(cfg, "RE: CV12 see [CV7]", 2, 7, 12);
	expect_ids(cfg, "Fwd: [CV7] [CV7] CV7", 1, 7);
	/* not ours: glued to letters or digits, no digits, zero */
	expect_ids(cfg, "ACV12 CV12a CV CV0 XCV1", 0);
	expect_ids(cfg, "", 0);
	expect_ids(cfg, "CV1234567890123456789", 0);
	config_free(&cfg);
	testutil_rmdir(dir);
}

static void
test_plus_and_case_address(void **state)
{
	char *dir;
	struct config *cfg = cfg_new(&dir);
	GPtrArray *to = g_ptr_array_new();
	struct mime_address a = { NULL, (char *)"x@y.test" };
	struct mime_address b = { NULL, (char *)"cases+CV000042@desk.example" };

	(void)state;
	g_ptr_array_add(to, &a);
	assert_int_equal(thread_plus_case(cfg, to), 0);
	g_ptr_array_add(to, &b);
	assert_int_equal(thread_plus_case(cfg, to), 42);
	assert_true(thread_is_case_address(cfg, "CASES@desk.example"));
	assert_true(thread_is_case_address(cfg, "cases+x@desk.example"));
	assert_false(thread_is_case_address(cfg, "cases@other.example"));
	assert_false(thread_is_case_address(cfg, "casesx@desk.example"));
	g_ptr_array_unref(to);
	config_free(&cfg);
	testutil_rmdir(dir);
}

static void
test_unsubscribe_address(void **state)
{
	char *dir;
	struct config *cfg = cfg_new(&dir);
	GPtrArray *to = g_ptr_array_new();
	struct mime_address plain = {
		NULL, (char *)"cases+CV000042@desk.example"
	};
	struct mime_address other = {
		NULL, (char *)"x+unsubscribe-CV000007@other.example"
	};
	struct mime_address bare = {
		NULL, (char *)"cases+unsubscribe-@desk.example"
	};
	struct mime_address unsub = {
		NULL, (char *)"Cases+Unsubscribe-cv7@desk.example"
	};

	struct mime_address signed_addr = {
		NULL, (char *)"cases+unsubscribe-cv000009-0a1b2c3d4e5f6071@desk.example"
	};
	struct mime_address no_case = {
		NULL, (char *)"cases+unsubscribe--0a1b@desk.example"
	};
	char *token = NULL;

	(void)state;
	g_ptr_array_add(to, &plain);
	g_ptr_array_add(to, &other);
	g_ptr_array_add(to, &bare);
	g_ptr_array_add(to, &no_case);
	assert_int_equal(thread_unsubscribe_case(cfg, to, &token), 0);
	assert_null(token);
	/* The old form, without token: the case, and no token. */
	g_ptr_array_add(to, &unsub);
	assert_int_equal(thread_unsubscribe_case(cfg, to, &token), 7);
	assert_null(token);
	/* With the token after the case number: both, as written. */
	g_ptr_array_remove_index(to, to->len - 1);
	g_ptr_array_add(to, &signed_addr);
	assert_int_equal(thread_unsubscribe_case(cfg, to, &token), 9);
	assert_string_equal(token, "0a1b2c3d4e5f6071");
	g_free(token);
	/* An unsubscribe address is no plus address of its case. */
	g_ptr_array_remove_index(to, 0);
	assert_int_equal(thread_plus_case(cfg, to), 0);
	g_ptr_array_unref(to);
	config_free(&cfg);
	testutil_rmdir(dir);
}

static void
expect_clean(const struct config *cfg, const char *in, const char *out)
{
	char *s = thread_clean_subject(cfg, in);

	if (strcmp(s, out) != 0)
		fail_msg("'%s' -> '%s', expected '%s'", in, s, out);
	g_free(s);
}

static void
test_clean_subject(void **state)
{
	char *dir;
	struct config *cfg = cfg_new(&dir);

	(void)state;
	expect_clean(cfg, "Re: Fwd: AW: [CV000001] Damaged", "Damaged");
	expect_clean(cfg, "RE[2]: SV: TR: WG: late truck", "late truck");
	expect_clean(cfg, "Recall of goods", "Recall of goods");
	expect_clean(cfg, "Re:", "(no subject)");
	expect_clean(cfg, "", "(no subject)");
	config_free(&cfg);
	testutil_rmdir(dir);
}

static enum classify_kind
classify_self_text(const struct config *cfg, const struct classify_self *self,
		   const char *raw)
{
	struct mime_message *m = NULL;
	enum classify_kind k;
	const char *why;

	assert_int_equal(mime_parse(raw, strlen(raw), &m, NULL), 0);
	k = classify_message(m, cfg, self, &why);
	assert_non_null(why);
	mime_message_free(&m);
	return k;
}

static enum classify_kind
classify_text(const struct config *cfg, const char *raw)
{
	return classify_self_text(cfg, NULL, raw);
}

/* Only this desk's own loop value marks mail as ours: another casemail
 * desk's mail is mail from a person (or an auto-reply by its markers). */
static void
test_classify_loop(void **state)
{
	const char *key = "0123456789abcdef0123456789abcdef"
			  "0123456789abcdef0123456789abcdef";
	char *dir, *ours, *other_desk, *other_key, *raw;
	struct config *cfg = cfg_new(&dir);
	struct classify_self self = { 0 };

	(void)state;
	ours = msgid_loop_value(key, "cases@desk.example");
	other_desk = msgid_loop_value(key, "help@other.example");
	other_key = msgid_loop_value("another desk's key, also 32 bytes",
				     "cases@desk.example");
	assert_string_not_equal(ours, other_desk);
	assert_string_not_equal(ours, other_key);
	assert_non_null(strstr(ours, "cases@desk.example; id="));
	self.loop = ours;
	raw = g_strdup_printf("From: a@b.test\nX-Casemail-Loop: %s\n"
			      "Subject: x\n\nx\n", ours);
	assert_int_equal(classify_self_text(cfg, &self, raw), CLASSIFY_OWN);
	g_free(raw);
	/* Folded and upper-cased on the way: still ours. */
	raw = g_strdup_printf("From: a@b.test\nX-Casemail-Loop: CASES@DESK."
			      "EXAMPLE;\n id=%s\nSubject: x\n\nx\n",
			      strstr(ours, "id=") + 3);
	assert_int_equal(classify_self_text(cfg, &self, raw), CLASSIFY_OWN);
	g_free(raw);
	/* A human reply relayed by another desk: a person. */
	raw = g_strdup_printf("From: agent@other.example\nX-Casemail-Loop: "
			      "%s\nSubject: Re: x\n\nx\n", other_desk);
	assert_int_equal(classify_self_text(cfg, &self, raw), CLASSIFY_PERSON);
	g_free(raw);
	/* Same address, another key (a second installation): not ours. */
	raw = g_strdup_printf("From: a@b.test\nX-Casemail-Loop: %s\n"
			      "Subject: x\n\nx\n", other_key);
	assert_int_equal(classify_self_text(cfg, &self, raw), CLASSIFY_PERSON);
	g_free(raw);
	/* Another desk's acknowledgement keeps its auto-reply marker. */
	raw = g_strdup_printf("From: help@other.example\nX-Casemail-Loop: %s\n"
			      "Auto-Submitted: auto-replied\nSubject: [HD1] "
			      "received\n\nx\n", other_desk);
	assert_int_equal(classify_self_text(cfg, &self, raw),
			 CLASSIFY_AUTOREPLY);
	g_free(raw);
	/* The old presence check is gone: any value but ours is a person's. */
	assert_int_equal(classify_self_text(cfg, &self, "From: a@b.test\n"
					    "X-Casemail-Loop: 1\nSubject: x"
					    "\n\nx\n"), CLASSIFY_PERSON);
	/* A Message-ID shaped like ours but not signed by us (another desk
	 * on our domain) is not ours; a signed one is. */
	assert_int_equal(classify_self_text(cfg, &self, "From: a@b.test\n"
					    "Message-ID: <cm.1.0.aa.bb@desk."
					    "example>\nSubject: x\n\nx\n"),
			 CLASSIFY_PERSON);
	self.msgid_ours = 1;
	assert_int_equal(classify_self_text(cfg, &self, "From: a@b.test\n"
					    "Subject: x\n\nx\n"),
			 CLASSIFY_OWN);
	g_free(ours);
	g_free(other_desk);
	g_free(other_key);
	config_free(&cfg);
	testutil_rmdir(dir);
}

static void
test_classify(void **state)
{
	char *dir;
	struct config *cfg = cfg_new(&dir);

	(void)state;
	assert_int_equal(classify_text(cfg, "From: a@b.test\nSubject: hi\n\nx\n"),
			 CLASSIFY_PERSON);
	assert_int_equal(classify_text(cfg, "From: a@b.test\nAuto-Submitted: "
				       "auto-replied\nSubject: hi\n\nx\n"),
			 CLASSIFY_AUTOREPLY);
	assert_int_equal(classify_text(cfg, "From: a@b.test\nAuto-Submitted: no"
				       "\nSubject: hi\n\nx\n"), CLASSIFY_PERSON);
	assert_int_equal(classify_text(cfg, "From: a@b.test\nSubject: Out of "
				       "Office: away\n\nx\n"), CLASSIFY_AUTOREPLY);
	assert_int_equal(classify_text(cfg, "From: a@b.test\nPrecedence: bulk\n"
				       "Subject: x\n\nx\n"), CLASSIFY_AUTOREPLY);
	assert_int_equal(classify_text(cfg, "From: MAILER-DAEMON@mx.test\n"
				       "Subject: Undelivered\n\nx\n"),
			 CLASSIFY_BOUNCE);
	assert_int_equal(classify_text(cfg, "Return-Path: <>\nFrom: x@mx.test\n"
				       "Subject: failure\n\nx\n"), CLASSIFY_BOUNCE);
	assert_int_equal(classify_text(cfg, "From: cases@desk.example\n"
				       "Subject: [CV1] x\n\nx\n"), CLASSIFY_OWN);
	config_free(&cfg);
	testutil_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_tags),
		cmocka_unit_test(test_plus_and_case_address),
		cmocka_unit_test(test_unsubscribe_address),
		cmocka_unit_test(test_clean_subject),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_classify_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
