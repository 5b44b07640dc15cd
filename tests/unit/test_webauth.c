/* test_webauth.c - agents' passwords and the API's client tokens. */
#include "testutil.h"

#include <sqlite3.h>
#include <string.h>

#include "casemail/store_agent.h"
#include "casemail/store_auth.h"
#include "casemail/webauth.h"

static void
add_agent(struct store *s, const char *address)
{
	struct store_agent a = { (char *)address, "An Agent", NULL, 0, 0, 0 };

	assert_int_equal(store_agent_add(s, &a, 100, NULL), 0);
}

/* The text of one column of the first row of sql, on a second handle:
 * what is really on disk (g_free()). */
static char *
db_text(const struct testutil_env *env, const char *sql)
{
	const char *path = env->cfg->store_database;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = g_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
test_passwords(void **state)
{
	struct testutil_env env;
	struct cm_error err;
	char *hash, *long_pw;
	int ok = -1;

	(void)state;
	testutil_env_open(&env, NULL);
	add_agent(env.store, "anna@desk.example");
	add_agent(env.store, "bob@desk.example");
	/* No password yet: nobody signs in. */
	assert_int_equal(agent_password_check(env.store, "anna@desk.example",
					      "", &ok, NULL), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(agent_password_set(env.store, "anna@desk.example",
					    "correct horse battery", NULL), 0);
	assert_int_equal(agent_password_set(env.store, "bob@desk.example",
					    "bobs own secret", NULL), 0);
	/* Stored as Argon2id, never in clear. */
	hash = db_text(&env, "SELECT password_hash FROM agents"
		       " WHERE address = 'anna@desk.example'");
	assert_non_null(hash);
	assert_true(g_str_has_prefix(hash, "$argon2id$"));
	assert_null(strstr(hash, "horse"));
	g_free(hash);
	assert_int_equal(agent_password_check(env.store, "ANNA@desk.example",
					      "correct horse battery", &ok,
					      NULL), 0);
	assert_int_equal(ok, 1);
	/* Wrong password, another agent's password, a prefix. */
	assert_int_equal(agent_password_check(env.store, "anna@desk.example",
					      "correct horse batterz", &ok,
					      NULL), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(agent_password_check(env.store, "anna@desk.example",
					      "bobs own secret", &ok, NULL), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(agent_password_check(env.store, "anna@desk.example",
					      "correct horse", &ok, NULL), 0);
	assert_int_equal(ok, 0);
	/* Unknown agent: no error, no sign-in. */
	assert_int_equal(agent_password_check(env.store, "eve@desk.example",
					      "correct horse battery", &ok,
					      NULL), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(agent_password_set(env.store, "eve@desk.example",
					    "some long password", &err),
			 CM_ENOTFOUND);
	/* Too short, too long (just over), a control character. */
	assert_int_equal(agent_password_set(env.store, "anna@desk.example",
					    "123456789", &err), CM_EUSAGE);
	long_pw = g_strnfill(WEBAUTH_PASSWORD_MAX_BYTES + 1, 'p');
	assert_int_equal(agent_password_set(env.store, "anna@desk.example",
					    long_pw, &err), CM_EUSAGE);
	assert_int_equal(agent_password_check(env.store, "anna@desk.example",
					      long_pw, &ok, NULL), 0);
	assert_int_equal(ok, 0);
	long_pw[WEBAUTH_PASSWORD_MAX_BYTES] = '\0';
	assert_int_equal(agent_password_set(env.store, "bob@desk.example",
					    long_pw, NULL), 0);
	assert_int_equal(agent_password_check(env.store, "bob@desk.example",
					      long_pw, &ok, NULL), 0);
	assert_int_equal(ok, 1);
	g_free(long_pw);
	assert_int_equal(agent_password_set(env.store, "anna@desk.example",
					    "tab\there ok?\x1b", &err),
			 CM_EUSAGE);
	/* Bob's hash copied onto Anna's row: Bob's password now opens
	 * Anna's account and hers does not (the hash is the password). */
	assert_int_equal(agent_password_set(env.store, "bob@desk.example",
					    "bobs own secret", NULL), 0);
	{
		char *bob_hash = NULL;
		int disabled;

		assert_int_equal(store_agent_password_hash(env.store,
			"bob@desk.example", &bob_hash, &disabled, NULL), 0);
		assert_int_equal(store_agent_set_password_hash(env.store,
			"anna@desk.example", bob_hash, 5, NULL), 0);
		g_free(bob_hash);
	}
	assert_int_equal(agent_password_check(env.store, "anna@desk.example",
					      "correct horse battery", &ok,
					      NULL), 0);
	assert_int_equal(ok, 0);
	/* Disabled: the right password no longer works. */
	assert_int_equal(store_agent_update(env.store, "bob@desk.example",
					    NULL, NULL, 1, 200, NULL), 0);
	assert_int_equal(agent_password_check(env.store, "bob@desk.example",
					      "bobs own secret", &ok, NULL), 0);
	assert_int_equal(ok, 0);
	testutil_env_close(&env);
}

static void
test_api_clients(void **state)
{
	struct testutil_env env;
	struct cm_error err;
	GPtrArray *list = NULL;
	struct store_apiclient *c;
	char *tok = NULL, *tok2 = NULL, *agent = NULL, *row, *bad;

	(void)state;
	testutil_env_open(&env, NULL);
	add_agent(env.store, "anna@desk.example");
	add_agent(env.store, "bob@desk.example");
	assert_int_equal(apiclient_create(env.store, "erp", "Anna@desk.example",
					  &tok, NULL), 0);
	assert_true(g_str_has_prefix(tok, WEBAUTH_TOKEN_PREFIX));
	assert_int_equal(strlen(tok), strlen(WEBAUTH_TOKEN_PREFIX) + 43);
	/* The row holds the SHA-256 in hex, not the token. */
	row = db_text(&env, "SELECT name || ' ' || token_hash || ' ' || agent"
		      " FROM api_clients");
	assert_null(strstr(row, tok + strlen(WEBAUTH_TOKEN_PREFIX)));
	assert_int_equal(strlen(row), strlen("erp ") + 64 +
			 strlen(" anna@desk.example"));
	g_free(row);
	assert_int_equal(apiclient_check(env.store, tok, 300, &agent, NULL), 0);
	assert_string_equal(agent, "anna@desk.example");
	g_free(agent);
	/* Within the minute: the last use stays 300 (checked below). */
	assert_int_equal(apiclient_check(env.store, tok, 359, &agent, NULL), 0);
	g_free(agent);
	/* Names: taken, malformed; agents: unknown. */
	assert_int_equal(apiclient_create(env.store, "erp", "bob@desk.example",
					  &tok2, &err), CM_EREFUSED);
	assert_null(tok2);
	assert_int_equal(apiclient_create(env.store, "a b", "bob@desk.example",
					  &tok2, &err), CM_EUSAGE);
	bad = g_strnfill(WEBAUTH_CLIENT_NAME_MAX + 1, 'n');
	assert_int_equal(apiclient_create(env.store, bad, "bob@desk.example",
					  &tok2, &err), CM_EUSAGE);
	bad[WEBAUTH_CLIENT_NAME_MAX] = '\0';
	assert_int_equal(apiclient_create(env.store, bad, "bob@desk.example",
					  &tok2, NULL), 0);
	g_free(bad);
	assert_int_equal(apiclient_create(env.store, "x", "eve@desk.example",
					  &row, &err), CM_ENOTFOUND);
	assert_null(row);
	/* Wrong, malformed and altered tokens. */
	assert_int_equal(apiclient_check(env.store, "cm_nope", 1, &agent, &err),
			 CM_EREFUSED);
	assert_null(agent);
	assert_int_equal(apiclient_check(env.store, "", 1, &agent, &err),
			 CM_EREFUSED);
	assert_int_equal(apiclient_check(env.store, NULL, 1, &agent, &err),
			 CM_EREFUSED);
	bad = g_strdup(tok);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	assert_int_equal(apiclient_check(env.store, bad, 1, &agent, &err),
			 CM_EREFUSED);
	g_free(bad);
	/* Each token acts as its own agent. */
	assert_int_equal(apiclient_check(env.store, tok2, 1, &agent, NULL), 0);
	assert_string_equal(agent, "bob@desk.example");
	g_free(agent);
	/* Revoked: stops working at once; revoking again or an unknown
	 * name are errors; the other client is untouched. */
	assert_int_equal(apiclient_revoke(env.store, "erp", 400, NULL), 0);
	assert_int_equal(apiclient_check(env.store, tok, 401, &agent, &err),
			 CM_EREFUSED);
	assert_null(agent);
	assert_int_equal(apiclient_revoke(env.store, "erp", 402, &err),
			 CM_EREFUSED);
	assert_int_equal(apiclient_revoke(env.store, "nope", 402, &err),
			 CM_ENOTFOUND);
	assert_int_equal(apiclient_check(env.store, tok2, 403, &agent, NULL), 0);
	g_free(agent);
	/* A disabled agent's client is refused. */
	assert_int_equal(store_agent_update(env.store, "bob@desk.example",
					    NULL, NULL, 1, 500, NULL), 0);
	assert_int_equal(apiclient_check(env.store, tok2, 501, &agent, &err),
			 CM_EREFUSED);
	assert_non_null(strstr(err.msg, "no longer an enabled agent"));
	assert_int_equal(store_apiclient_list(env.store, &list, NULL), 0);
	assert_int_equal(list->len, 2);
	c = list->pdata[0];
	assert_string_equal(c->name, "erp");
	assert_int_equal(c->revoked_at, 400);
	assert_int_equal(c->last_used_at, 300);
	c = list->pdata[1];
	assert_int_equal(c->revoked_at, 0);
	assert_int_equal(c->last_used_at, 501);
	g_ptr_array_unref(list);
	g_free(tok);
	g_free(tok2);
	testutil_env_close(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passwords),
		cmocka_unit_test(test_api_clients),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
