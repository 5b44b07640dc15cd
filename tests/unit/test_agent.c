/* test_agent.c - agents as people: names, signatures, who may act. */
#include "testutil.h"

#include <string.h>

#include "casemail/agent.h"
#include "casemail/store_agent.h"

static void
test_names(void **state)
{
	static const char *const bad[] = {
		"", "   ", "Anna\nAgent", "Anna\r\nBcc: x@y.z", "Anna\tAgent",
		"\x7f", "Anna \xc2\x85", "\xff\xfe",
	};
	struct cm_error err;
	char *name;

	(void)state;
	assert_int_equal(agent_check_name("Anna Agent", NULL), 0);
	/* Quotes, commas and non-ASCII are a name's business: GMime
	 * quotes or encodes them in the header. */
	assert_int_equal(agent_check_name("\"Anna\", <Agent> Ærø", NULL), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		cm_error_clear(&err);
		assert_int_equal(agent_check_name(bad[i], &err), CM_EUSAGE);
		assert_true(err.msg[0] != '\0');
	}
	assert_int_equal(agent_check_name(NULL, NULL), CM_EUSAGE);
	/* The limit is in characters: 100 two-byte ones pass, 101 do not. */
	name = g_strnfill(AGENT_NAME_MAX_CHARS * 2, 'x');
	for (int i = 0; i < AGENT_NAME_MAX_CHARS; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	assert_int_equal(agent_check_name(name, NULL), 0);
	g_free(name);
	name = g_strnfill(AGENT_NAME_MAX_CHARS + 1, 'x');
	assert_int_equal(agent_check_name(name, &err), CM_EUSAGE);
	assert_non_null(strstr(err.msg, "more than 100"));
	g_free(name);
}

static void
test_signatures(void **state)
{
	struct cm_error err;
	char *sig = NULL, *big;

	(void)state;
	assert_int_equal(agent_clean_signature("Anna\r\nDesk\rTeam\n\n \n", 19,
					       &sig, NULL), 0);
	assert_string_equal(sig, "Anna\nDesk\nTeam");
	g_free(sig);
	assert_int_equal(agent_clean_signature("", 0, &sig, NULL), 0);
	assert_string_equal(sig, "");
	g_free(sig);
	assert_int_equal(agent_clean_signature("a\x1b[2Jb", 6, &sig, &err),
			 CM_EUSAGE);
	assert_null(sig);
	assert_int_equal(agent_clean_signature("a\0b", 3, &sig, NULL),
			 CM_EUSAGE);
	assert_int_equal(agent_clean_signature("\xff", 1, &sig, NULL),
			 CM_EUSAGE);
	big = g_strnfill(AGENT_SIGNATURE_MAX_BYTES + 1, 'x');
	assert_int_equal(agent_clean_signature(big, AGENT_SIGNATURE_MAX_BYTES,
					       &sig, NULL), 0);
	g_free(sig);
	assert_int_equal(agent_clean_signature(big,
					       AGENT_SIGNATURE_MAX_BYTES + 1,
					       &sig, &err), CM_EUSAGE);
	assert_non_null(strstr(err.msg, "more than 4096"));
	g_free(big);
}

static void
test_may_act(void **state)
{
	struct testutil_env env;
	struct store_agent anna = { "anna@desk.example", "Anna Agent",
				    "Anna\nThe Desk", 0, 0, 0 }, *a = NULL;
	struct cm_error err;

	(void)state;
	testutil_env_open(&env, NULL);
	/* No agents: anyone acts, as before agents existed. */
	assert_int_equal(agent_may_act(env.store, "bob@desk.example", NULL), 0);
	assert_int_equal(store_agent_add(env.store, &anna, 100, NULL), 0);
	assert_int_equal(store_agent_add(env.store, &anna, 100, &err),
			 CM_EREFUSED);
	assert_int_equal(agent_may_act(env.store, "ANNA@desk.example", NULL), 0);
	assert_int_equal(agent_may_act(env.store, "bob@desk.example", &err),
			 CM_EREFUSED);
	assert_non_null(strstr(err.msg, "bob@desk.example is not a "
			       "registered agent"));
	assert_int_equal(agent_find(env.store, "bob@desk.example", &a, NULL), 0);
	assert_null(a);
	assert_int_equal(agent_find(env.store, "anna@desk.example", &a, NULL), 0);
	assert_string_equal(a->name, "Anna Agent");
	assert_string_equal(a->signature, "Anna\nThe Desk");
	store_agent_free(&a);
	/* Disabled: may not act, and its name no longer signs. */
	assert_int_equal(store_agent_update(env.store, "anna@desk.example",
					    NULL, "", 1, 200, NULL), 0);
	assert_int_equal(agent_may_act(env.store, "anna@desk.example", &err),
			 CM_EREFUSED);
	assert_non_null(strstr(err.msg, "disabled"));
	assert_int_equal(agent_find(env.store, "anna@desk.example", &a, NULL), 0);
	assert_null(a);
	assert_int_equal(store_agent_get(env.store, "anna@desk.example", &a,
					 NULL), 0);
	assert_null(a->signature);
	assert_int_equal(a->updated_at, 200);
	store_agent_free(&a);
	assert_int_equal(store_agent_update(env.store, "x@desk.example", "X",
					    NULL, -1, 1, NULL), CM_ENOTFOUND);
	assert_int_equal(store_agent_remove(env.store, "anna@desk.example",
					    NULL), 0);
	assert_int_equal(store_agent_remove(env.store, "anna@desk.example",
					    NULL), CM_ENOTFOUND);
	/* The last one gone: the desk is open to anyone again. */
	assert_int_equal(agent_may_act(env.store, "bob@desk.example", NULL), 0);
	testutil_env_close(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_may_act),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
