/* test_mailtoken.c - the signed tokens of our bounce (VERP) and
 * unsubscribe addresses: made, read back, and refused when anything in
 * them or around them is not what was signed. */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "casemail/mailtoken.h"

#define KEY "0123456789abcdef0123456789abcdef0123456789abcdef"
#define BASE "cases@desk.example"
#define BOB "bob@trucks.test"

/* address with the character at i changed to another hex digit. */
static char *
flip(const char *address, size_t i)
{
	char *t = g_strdup(address);

	t[i] = t[i] == '0' ? '1' : '0';
	return t;
}

static void
test_bounce_address_round_trip(void **state)
{
	char *a = mailtoken_bounce_address(KEY, BASE, 12, BOB);
	char *upper;
	int64_t row = 0;

	(void)state;
	assert_non_null(a);
	assert_true(g_str_has_prefix(a, "cases+bounce-12-"));
	assert_true(g_str_has_suffix(a, "@desk.example"));
	assert_int_equal(strlen(a), strlen("cases+bounce-12-") + MSGID_MAC_HEX +
			 strlen("@desk.example"));
	assert_true(strchr(a, '@') - a <= MAILTOKEN_LOCAL_MAX);
	assert_true(mailtoken_bounce_verify(KEY, BASE, a, BOB, &row));
	assert_int_equal(row, 12);
	/* Mailers change the case of what they copy: still ours. */
	upper = g_ascii_strup(a, -1);
	row = 0;
	assert_true(mailtoken_bounce_verify(KEY, BASE, upper, "Bob@Trucks.Test",
					    &row));
	assert_int_equal(row, 12);
	g_free(upper);
	/* Made the same way each time: a retry sends the same path. */
	upper = mailtoken_bounce_address(KEY, BASE, 12, "BOB@trucks.test");
	assert_string_equal(upper, a);
	g_free(upper);
	g_free(a);
}

static void
test_bounce_address_refused(void **state)
{
	char *a = mailtoken_bounce_address(KEY, BASE, 12, BOB);
	char *other_row = mailtoken_bounce_address(KEY, BASE, 13, BOB);
	size_t mac_at = strlen("cases+bounce-12-");
	int64_t row = 0;
	char *t;

	(void)state;
	/* Any one character of the MAC changed: refused. */
	for (size_t i = mac_at; i < mac_at + MSGID_MAC_HEX; i++) {
		t = flip(a, i);
		assert_false(mailtoken_bounce_verify(KEY, BASE, t, BOB, &row));
		g_free(t);
	}
	/* Another row with this MAC, or this row with another's. */
	t = g_strdup(a);
	t[mac_at - 2] = '3';
	assert_false(mailtoken_bounce_verify(KEY, BASE, t, BOB, &row));
	g_free(t);
	t = g_strdup(other_row);
	memcpy(t + mac_at, a + mac_at, MSGID_MAC_HEX);
	assert_false(mailtoken_bounce_verify(KEY, BASE, t, BOB, &row));
	g_free(t);
	/* Another recipient, key, mailbox or domain. */
	assert_false(mailtoken_bounce_verify(KEY, BASE, a, "carl@trucks.test",
					     &row));
	assert_false(mailtoken_bounce_verify(KEY "x", BASE, a, BOB, &row));
	assert_false(mailtoken_bounce_verify(NULL, BASE, a, BOB, &row));
	assert_false(mailtoken_bounce_verify(KEY, "desk@desk.example", a, BOB,
					     &row));
	t = g_strconcat("cases+bounce-12-", a + mac_at, NULL);
	memcpy(strrchr(t, '@'), "@evil.test\0", 11);
	assert_false(mailtoken_bounce_verify(KEY, BASE, t, BOB, &row));
	g_free(t);
	/* Shapes that are not ours: no MAC, short MAC, long MAC, leading
	 * zero, no row, the plain address. */
	assert_false(mailtoken_bounce_verify(KEY, BASE,
		"cases+bounce-12@desk.example", BOB, &row));
	assert_false(mailtoken_bounce_verify(KEY, BASE,
		"cases+bounce-12-0123@desk.example", BOB, &row));
	t = g_strdup_printf("cases+bounce-12-%.*s0@desk.example",
			    MSGID_MAC_HEX, a + mac_at);
	assert_false(mailtoken_bounce_verify(KEY, BASE, t, BOB, &row));
	g_free(t);
	t = g_strdup_printf("cases+bounce-012-%.*s@desk.example",
			    MSGID_MAC_HEX, a + mac_at);
	assert_false(mailtoken_bounce_verify(KEY, BASE, t, BOB, &row));
	g_free(t);
	t = g_strdup_printf("cases+bounce--%.*s@desk.example",
			    MSGID_MAC_HEX, a + mac_at);
	assert_false(mailtoken_bounce_verify(KEY, BASE, t, BOB, &row));
	g_free(t);
	assert_false(mailtoken_bounce_verify(KEY, BASE, BASE, BOB, &row));
	assert_false(mailtoken_bounce_verify(KEY, BASE, "cases+bounce-@desk."
					     "example", BOB, &row));
	assert_int_equal(row, 0);
	g_free(other_row);
	g_free(a);
}

static void
test_bounce_address_too_long(void **state)
{
	/* 64 - strlen("+bounce-1-") - 16 = 38: the longest local part that
	 * still fits row 1. */
	char local[40], base[64];
	char *a;

	(void)state;
	memset(local, 'a', 38);
	local[38] = '\0';
	g_snprintf(base, sizeof(base), "%s@desk.example", local);
	a = mailtoken_bounce_address(KEY, base, 1, BOB);
	assert_non_null(a);
	assert_int_equal(strchr(a, '@') - a, MAILTOKEN_LOCAL_MAX);
	g_free(a);
	assert_null(mailtoken_bounce_address(KEY, base, 10, BOB));
	/* A short local part on a domain that leaves no room for the tag. */
	a = g_strdup_printf("cases@%0*d.example", 240, 0);
	assert_null(mailtoken_bounce_address(KEY, a, 1, BOB));
	g_free(a);
	assert_null(mailtoken_bounce_address(KEY, "no-at-sign", 1, BOB));
	assert_null(mailtoken_bounce_address(NULL, BASE, 1, BOB));
	assert_null(mailtoken_bounce_address(KEY, BASE, 0, BOB));
}

static void
test_unsubscribe_token(void **state)
{
	char tok[MSGID_MAC_HEX + 1], other[MSGID_MAC_HEX + 1];
	char *bounce, *t;

	(void)state;
	mailtoken_unsubscribe(KEY, 2, BOB, tok);
	assert_int_equal(strlen(tok), MSGID_MAC_HEX);
	assert_true(mailtoken_unsubscribe_verify(KEY, 2, BOB, tok));
	assert_true(mailtoken_unsubscribe_verify(KEY, 2, "BOB@trucks.test",
						 tok));
	for (size_t i = 0; i < MSGID_MAC_HEX; i++) {
		t = flip(tok, i);
		assert_false(mailtoken_unsubscribe_verify(KEY, 2, BOB, t));
		g_free(t);
	}
	/* Another case, person or key; none, short, long. */
	assert_false(mailtoken_unsubscribe_verify(KEY, 3, BOB, tok));
	assert_false(mailtoken_unsubscribe_verify(KEY, 2, "carl@trucks.test",
						  tok));
	assert_false(mailtoken_unsubscribe_verify(KEY "x", 2, BOB, tok));
	assert_false(mailtoken_unsubscribe_verify(KEY, 2, BOB, NULL));
	assert_false(mailtoken_unsubscribe_verify(KEY, 2, BOB, ""));
	t = g_strndup(tok, MSGID_MAC_HEX - 1);
	assert_false(mailtoken_unsubscribe_verify(KEY, 2, BOB, t));
	g_free(t);
	t = g_strconcat(tok, "0", NULL);
	assert_false(mailtoken_unsubscribe_verify(KEY, 2, BOB, t));
	g_free(t);
	/* Each person's token differs. */
	mailtoken_unsubscribe(KEY, 2, "carl@trucks.test", other);
	assert_string_not_equal(tok, other);
	/* A bounce MAC for the same numbers is no unsubscribe token. */
	bounce = mailtoken_bounce_address(KEY, BASE, 2, BOB);
	t = g_strndup(strrchr(bounce, '-') + 1, MSGID_MAC_HEX);
	assert_false(mailtoken_unsubscribe_verify(KEY, 2, BOB, t));
	g_free(t);
	g_free(bounce);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounce_address_round_trip),
		cmocka_unit_test(test_bounce_address_refused),
		cmocka_unit_test(test_bounce_address_too_long),
		cmocka_unit_test(test_unsubscribe_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
