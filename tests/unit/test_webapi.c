/* test_webapi.c - the JSON API through web_api_dispatch(): every endpoint
 * and every error code, with real tokens on a real store. */
#include "testutil.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#include "casemail/store_agent.h"
#include "casemail/web_api.h"
#include "casemail/webauth.h"

#define ANNA "anna@desk.example"

struct fixture {
	struct testutil_env env;
	struct web_api_env api;
	char *token;          /* anna's client "erp" */
	JsonParser *parser;   /* the last answer */
	int status;
};

static int
setup_conf(void **state, const char *extra)
{
	struct fixture *fx = g_new0(struct fixture, 1);
	struct store_agent anna = { ANNA, "Anna Agent", NULL, 0, 0, 0 };
	char *conf = g_strdup_printf("templates = %s\n"
				     "[field.product]\ntype = choice\n"
				     "choices = Alpha, Beta\n%s",
				     getenv("TEMPLATES_DIR"), extra);

	testutil_env_open(&fx->env, conf);
	g_free(conf);
	assert_int_equal(store_agent_add(fx->env.store, &anna, 100, NULL), 0);
	assert_int_equal(apiclient_create(fx->env.store, "erp", ANNA,
					  &fx->token, NULL), 0);
	fx->api.store = fx->env.store;
	fx->api.cfg = fx->env.cfg;
	fx->api.now = 1000;
	*state = fx;
	return 0;
}

static int
setup(void **state)
{
	return setup_conf(state, "");
}

static int
setup_small_body(void **state)
{
	return setup_conf(state, "[web]\nmax_body = 2048\n");
}

static int
setup_sla(void **state)
{
	return setup_conf(state, "[sla]\nfirst_response = normal 4h\n");
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->parser != NULL)
		g_object_unref(fx->parser);
	g_free(fx->token);
	testutil_env_close(&fx->env);
	g_free(fx);
	return 0;
}

/* One request with body (may be NULL) and token; the answer's object. */
static JsonObject *
call_len(struct fixture *fx, const char *method, const char *path,
	 const char *query, const char *body, size_t len, const char *token)
{
	char *json = NULL;
	JsonNode *root;

	if (fx->parser != NULL)
		g_object_unref(fx->parser);
	assert_int_equal(web_api_dispatch(&fx->api, method, path, query, body,
					  len, token, &fx->status, &json), 0);
	fx->parser = json_parser_new();
	assert_true(json_parser_load_from_data(fx->parser, json, -1, NULL));
	g_free(json);
	root = json_parser_get_root(fx->parser);
	assert_true(JSON_NODE_HOLDS_OBJECT(root));
	return json_node_get_object(root);
}

static JsonObject *
call(struct fixture *fx, const char *method, const char *path,
     const char *query, const char *body)
{
	return call_len(fx, method, path, query, body,
			body != NULL ? strlen(body) : 0, fx->token);
}

/* The answer is the error code with status. */
static void
assert_error(struct fixture *fx, JsonObject *o, int status, const char *code)
{
	JsonObject *e;

	if (fx->status != status || !json_object_has_member(o, "error"))
		fail_msg("want %d %s, got %d (%s)", status, code, fx->status,
			 json_object_has_member(o, "number") ?
			 json_object_get_string_member(o, "subject") : "");
	e = json_object_get_object_member(o, "error");
	assert_string_equal(json_object_get_string_member(e, "code"), code);
	assert_true(strlen(json_object_get_string_member(e, "message")) > 0);
}

static int64_t
db_count(struct fixture *fx, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	assert_int_equal(sqlite3_open_v2(fx->env.cfg->store_database, &db,
					 SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Create a case by the API; its number into num (CV000001...). */
static void
create_case(struct fixture *fx, const char *body, char *num, size_t size)
{
	JsonObject *o = call(fx, "POST", "/cases", NULL, body);

	if (fx->status != 201)
		fail_msg("create: %d %s", fx->status, json_object_get_string_member(
			json_object_get_object_member(o, "error"), "message"));
	g_strlcpy(num, json_object_get_string_member(o, "number"), size);
}

static void
test_unauthorized(void **state)
{
	struct fixture *fx = *state;
	JsonObject *o;
	char *bad;

	o = call_len(fx, "GET", "/cases", NULL, NULL, 0, NULL);
	assert_error(fx, o, 401, WEB_API_EUNAUTHORIZED);
	o = call_len(fx, "GET", "/cases", NULL, NULL, 0, "");
	assert_error(fx, o, 401, WEB_API_EUNAUTHORIZED);
	o = call_len(fx, "GET", "/cases", NULL, NULL, 0, "cm_not-a-token");
	assert_error(fx, o, 401, WEB_API_EUNAUTHORIZED);
	bad = g_strdup(fx->token);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A';
	o = call_len(fx, "POST", "/cases", NULL, "{\"subject\":\"x\"}", 15,
		     bad);
	assert_error(fx, o, 401, WEB_API_EUNAUTHORIZED);
	g_free(bad);
	/* Nothing was made by the refused POST. */
	assert_int_equal(db_count(fx, "SELECT count(*) FROM cases"), 0);
	/* Revoked: the same token stops working at once. */
	call(fx, "GET", "/cases", NULL, NULL);
	assert_int_equal(fx->status, 200);
	assert_int_equal(apiclient_revoke(fx->env.store, "erp", 1001, NULL), 0);
	o = call(fx, "GET", "/cases", NULL, NULL);
	assert_error(fx, o, 401, WEB_API_EUNAUTHORIZED);
}

static void
test_create_show(void **state)
{
	struct fixture *fx = *state;
	JsonObject *o, *fields;
	char num[32], path[64];

	create_case(fx, "{\"subject\":\"Pallet <b>crushed</b>\","
		    "\"type\":\"damaged\",\"priority\":\"high\","
		    "\"shipment\":\"SHP-1\",\"requester\":"
		    "\"carol@shipper.example\",\"requester_name\":\"Carol\","
		    "\"fields\":{\"product\":\"alpha\"}}", num, sizeof(num));
	assert_string_equal(num, "CV000001");
	g_snprintf(path, sizeof(path), "/cases/%s", num);
	o = call(fx, "GET", path, NULL, NULL);
	assert_int_equal(fx->status, 200);
	assert_string_equal(json_object_get_string_member(o, "subject"),
			    "Pallet <b>crushed</b>");
	assert_string_equal(json_object_get_string_member(o, "source"), "api");
	assert_string_equal(json_object_get_string_member(o, "creator"), ANNA);
	assert_string_equal(json_object_get_string_member(o, "priority"),
			    "high");
	fields = json_object_get_object_member(o, "fields");
	assert_string_equal(json_object_get_string_member(fields, "product"),
			    "Alpha");
	assert_string_equal(json_object_get_string_member(
		json_object_get_object_member(o, "requester"), "address"),
		"carol@shipper.example");
	assert_true(json_object_has_member(o, "messages"));
	assert_true(json_object_has_member(o, "events"));
	assert_true(json_object_has_member(o, "owners"));
	/* The same shipment again: 409, unless forced. */
	o = call(fx, "POST", "/cases", NULL, "{\"subject\":\"again\","
		 "\"shipment\":\"SHP-1\"}");
	assert_error(fx, o, 409, WEB_API_ECONFLICT);
	assert_non_null(strstr(json_object_get_string_member(
		json_object_get_object_member(o, "error"), "message"),
		"CV000001"));
	create_case(fx, "{\"subject\":\"again\",\"shipment\":\"SHP-1\","
		    "\"force\":true}", num, sizeof(num));
	assert_string_equal(num, "CV000002");
	/* Not found: a number with no case, and garbage. */
	o = call(fx, "GET", "/cases/CV000099", NULL, NULL);
	assert_error(fx, o, 404, WEB_API_ENOTFOUND);
	o = call(fx, "GET", "/cases/..%2f..", NULL, NULL);
	assert_error(fx, o, 404, WEB_API_ENOTFOUND);
	o = call(fx, "GET", "/nothing", NULL, NULL);
	assert_error(fx, o, 404, WEB_API_ENOTFOUND);
	o = call(fx, "GET", "/cases/CV000001/elsewhere", NULL, NULL);
	assert_error(fx, o, 404, WEB_API_ENOTFOUND);
	o = call(fx, "POST", "/cases/CV000099/solve", NULL, NULL);
	assert_error(fx, o, 404, WEB_API_ENOTFOUND);
	/* The wrong method on a known path. */
	o = call(fx, "DELETE", "/cases/CV000001", NULL, NULL);
	assert_error(fx, o, 405, WEB_API_EBADREQUEST);
	o = call(fx, "GET", "/cases/CV000001/solve", NULL, NULL);
	assert_error(fx, o, 405, WEB_API_EBADREQUEST);
}

static void
test_bad_requests(void **state)
{
	static const char *const bad[] = {
		"{\"subject\":", "[1,2]", "\"text\"", "{\"subject\":5}",
		"{}", "{\"subject\":\"x\",\"colour\":\"red\"}",
		"{\"subject\":\"x\",\"priority\":\"whenever\"}",
		"{\"subject\":\"x\",\"fields\":{\"product\":\"Gamma\"}}",
		"{\"subject\":\"x\",\"fields\":{\"nope\":\"1\"}}",
		"{\"subject\":\"x\",\"fields\":[\"product\"]}",
		"{\"subject\":\"x\",\"force\":\"yes\"}",
		"{\"subject\":\"a\\u0000b\"}",
		"{\"subject\":\"line\\nBcc: x@y.z\"}",
	};
	static const char *const bad_queries[] = {
		"colour=red", "status=closed", "view=everything", "limit=0",
		"limit=1001", "offset=100001", "q=%00", "q=%zz", "field.nope=1",
		"owner=not-an-address",
	};
	struct fixture *fx = *state;
	JsonObject *o;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		o = call(fx, "POST", "/cases", NULL, bad[i]);
		assert_error(fx, o, 400, WEB_API_EBADREQUEST);
	}
	/* A NUL inside the body, and bytes that are not UTF-8. */
	o = call_len(fx, "POST", "/cases", NULL, "{\"subject\":\"a\"}\0x", 17,
		     fx->token);
	assert_error(fx, o, 400, WEB_API_EBADREQUEST);
	o = call(fx, "POST", "/cases", NULL, "{\"subject\":\"\xff\"}");
	assert_error(fx, o, 400, WEB_API_EBADREQUEST);
	/* Query: unknown names, bad values, bad escapes. */
	for (size_t i = 0; i < G_N_ELEMENTS(bad_queries); i++) {
		o = call(fx, "GET", "/cases", bad_queries[i], NULL);
		assert_error(fx, o, 400, WEB_API_EBADREQUEST);
	}
	assert_int_equal(db_count(fx, "SELECT count(*) FROM cases"), 0);
	/* Nesting that would overflow the parser's stack is refused
	 * unread; brackets inside a string do not count. */
	{
		GString *deep = g_string_new(NULL);

		for (int i = 0; i < 200000; i++)
			g_string_append_c(deep, '[');
		o = call(fx, "POST", "/cases", NULL, deep->str);
		assert_error(fx, o, 400, WEB_API_EBADREQUEST);
		g_string_assign(deep, "{\"subject\":\"");
		for (int i = 0; i < 100; i++)
			g_string_append(deep, "[{");
		g_string_append(deep, "\\\"\"}");
		o = call(fx, "POST", "/cases", NULL, deep->str);
		assert_int_equal(fx->status, 201);
		g_string_free(deep, TRUE);
	}
	/* An escaped backslash before u0000 is plain text, kept whole. */
	o = call(fx, "POST", "/cases", NULL,
		 "{\"subject\":\"a\\\\u0000b\"}");
	assert_int_equal(fx->status, 201);
	assert_string_equal(json_object_get_string_member(o, "subject"),
			    "a\\u0000b");
}

/* [web] max_body: at the limit is read, one byte over is refused. */
static void
test_body_limit(void **state)
{
	struct fixture *fx = *state;
	const size_t max = 2048;
	GString *body = g_string_new("{\"text\":\"");
	JsonObject *o;
	char num[32];

	assert_int_equal(fx->env.cfg->web_max_body_bytes, (int)max);
	create_case(fx, "{\"subject\":\"s\"}", num, sizeof(num));
	while (body->len < max - 2)
		g_string_append_c(body, 's');
	g_string_append(body, "\"}");
	assert_int_equal(body->len, max);
	call_len(fx, "POST", "/cases/CV000001/notes", NULL, body->str,
		 body->len, fx->token);
	assert_int_equal(fx->status, 201);
	g_string_insert_c(body, 10, 's');
	o = call_len(fx, "POST", "/cases/CV000001/notes", NULL, body->str,
		     body->len, fx->token);
	assert_error(fx, o, 413, WEB_API_EBADREQUEST);
	assert_non_null(strstr(json_object_get_string_member(
		json_object_get_object_member(o, "error"), "message"),
		"max_body"));
	g_string_free(body, TRUE);
}

/* The default limit is 1 MiB; the key's bounds are checked. */
static void
test_body_limit_config(void **state)
{
	static const char *const over[] = { "1023", "67108865", "-1", "1M" };
	struct fixture *fx = *state;
	struct config *cfg = NULL;
	struct cm_error err;

	assert_int_equal(fx->env.cfg->web_max_body_bytes, 1048576);
	for (size_t i = 0; i < G_N_ELEMENTS(over); i++) {
		char *text = g_strdup_printf("[case]\naddress = c@d.example\n"
					     "[web]\nmax_body = %s\n", over[i]);
		char *path = testutil_write(fx->env.dir, "limit.conf", text);

		assert_int_not_equal(config_load(path, &cfg, &err), 0);
		assert_non_null(strstr(err.msg, "max_body"));
		g_free(text);
		g_free(path);
	}
	{
		char *path = testutil_write(fx->env.dir, "limit.conf",
					    "[case]\naddress = c@d.example\n"
					    "[web]\nmax_body = 67108864\n");

		assert_int_equal(config_load(path, &cfg, &err), 0);
		assert_int_equal(cfg->web_max_body_bytes, 67108864);
		config_free(&cfg);
		g_free(path);
	}
}

static void
test_list_search(void **state)
{
	struct fixture *fx = *state;
	JsonObject *o;
	JsonArray *cases;
	char num[32];

	create_case(fx, "{\"subject\":\"Lost parcel\",\"type\":\"lost\"}",
		    num, sizeof(num));
	create_case(fx, "{\"subject\":\"Broken crate\",\"type\":\"damaged\","
		    "\"fields\":{\"product\":\"Beta\"}}", num, sizeof(num));
	create_case(fx, "{\"subject\":\"Late truck\",\"type\":\"delayed\"}",
		    num, sizeof(num));
	call(fx, "POST", "/cases/CV000003/solve", NULL, NULL);
	assert_int_equal(fx->status, 200);
	o = call(fx, "GET", "/cases", NULL, NULL);
	assert_int_equal(fx->status, 200);
	assert_int_equal(json_object_get_int_member(o, "count"), 2);
	o = call(fx, "GET", "/cases", "view=all&limit=2&offset=1", NULL);
	cases = json_object_get_array_member(o, "cases");
	assert_int_equal(json_array_get_length(cases), 2);
	assert_int_equal(json_object_get_int_member(o, "offset"), 1);
	o = call(fx, "GET", "/cases", "status=solved", NULL);
	cases = json_object_get_array_member(o, "cases");
	assert_int_equal(json_array_get_length(cases), 1);
	assert_string_equal(json_object_get_string_member(
		json_array_get_object_element(cases, 0), "number"), "CV000003");
	o = call(fx, "GET", "/cases", "type=lost,damaged&view=all", NULL);
	assert_int_equal(json_object_get_int_member(o, "count"), 2);
	o = call(fx, "GET", "/cases", "field.product=beta", NULL);
	cases = json_object_get_array_member(o, "cases");
	assert_int_equal(json_array_get_length(cases), 1);
	assert_string_equal(json_object_get_string_member(
		json_array_get_object_element(cases, 0), "subject"),
		"Broken crate");
	o = call(fx, "GET", "/cases", "q=crate", NULL);
	assert_int_equal(json_object_get_int_member(o, "count"), 1);
	o = call(fx, "GET", "/cases", "q=late+truck", NULL);
	assert_int_equal(json_object_get_int_member(o, "count"), 1);
	o = call(fx, "GET", "/cases", "q=nothing-like-it", NULL);
	assert_int_equal(json_object_get_int_member(o, "count"), 0);
	/* mine: the token's agent owns what it created (creator_owns). */
	o = call(fx, "GET", "/cases", "view=mine&owner=" ANNA, NULL);
	assert_int_equal(fx->status, 200);
}

static void
test_note_reply_solve(void **state)
{
	struct fixture *fx = *state;
	JsonObject *o;
	int64_t queued;
	char num[32];

	create_case(fx, "{\"subject\":\"Where is it\",\"requester\":"
		    "\"carol@shipper.example\",\"shipment\":\"SHP-9\"}", num,
		    sizeof(num));
	o = call(fx, "POST", "/cases/CV000001/notes", NULL,
		 "{\"text\":\"called the depot\"}");
	assert_int_equal(fx->status, 201);
	assert_int_equal(db_count(fx, "SELECT count(*) FROM messages WHERE "
				  "internal = 1 OR direction = 'internal'"), 1);
	o = call(fx, "POST", "/cases/CV000001/notes", NULL, "{}");
	assert_error(fx, o, 400, WEB_API_EBADREQUEST);
	o = call(fx, "POST", "/cases/CV000001/notes", NULL,
		 "{\"text\":\"x\",\"public\":\"yes\"}");
	assert_error(fx, o, 400, WEB_API_EBADREQUEST);
	/* Reply with the update template: queued for the requester. */
	queued = db_count(fx, "SELECT count(*) FROM outbox");
	o = call(fx, "POST", "/cases/CV000001/replies", NULL,
		 "{\"template\":\"update\",\"set\":{\"note\":\"Soon.\"}}");
	assert_int_equal(fx->status, 202);
	assert_string_equal(json_object_get_string_member(o, "number"),
			    "CV000001");
	assert_true(db_count(fx, "SELECT count(*) FROM outbox") > queued);
	assert_int_equal(db_count(fx, "SELECT count(*) FROM outbox_rcpts r "
				  "JOIN outbox o ON o.id = r.outbox_id WHERE "
				  "r.address = 'carol@shipper.example'"), 1);
	o = call(fx, "POST", "/cases/CV000001/replies", NULL,
		 "{\"template\":\"no-such-template\"}");
	assert_error(fx, o, 400, WEB_API_EBADREQUEST);
	o = call(fx, "POST", "/cases/CV000001/replies", NULL,
		 "{\"template\":\"update\",\"to\":[\"not an address\"]}");
	assert_error(fx, o, 400, WEB_API_EBADREQUEST);
	/* Forbidden: server files and escalations are not a client's. */
	o = call(fx, "POST", "/cases/CV000001/replies", NULL,
		 "{\"template\":\"update\",\"attach\":[\"/etc/passwd\"]}");
	assert_error(fx, o, 403, WEB_API_EFORBIDDEN);
	o = call(fx, "POST", "/cases/CV000001/replies", NULL,
		 "{\"template\":\"update\",\"escalate\":true}");
	assert_error(fx, o, 403, WEB_API_EFORBIDDEN);
	o = call(fx, "POST", "/cases", NULL,
		 "{\"subject\":\"x\",\"source\":\"email\"}");
	assert_error(fx, o, 403, WEB_API_EFORBIDDEN);
	/* Solve, then again: a conflict. */
	o = call(fx, "POST", "/cases/CV000001/solve", NULL, "");
	assert_int_equal(fx->status, 200);
	assert_string_equal(json_object_get_string_member(o, "status"),
			    "solved");
	o = call(fx, "POST", "/cases/CV000001/solve", NULL, NULL);
	assert_error(fx, o, 409, WEB_API_ECONFLICT);
	o = call(fx, "POST", "/cases/CV000001/solve", NULL, "{\"now\":1}");
	assert_error(fx, o, 400, WEB_API_EBADREQUEST);
	/* The history says who did it. */
	assert_int_equal(db_count(fx, "SELECT count(*) FROM events WHERE "
				  "actor = '" ANNA "' AND what = 'status'"), 1);
}

/* internal: 503 while another writer holds the store, 500 when the
 * store itself is broken. */
static void
test_internal(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *db = NULL;
	JsonObject *o;
	char num[32];

	create_case(fx, "{\"subject\":\"s\"}", num, sizeof(num));
	assert_int_equal(sqlite3_open(fx->env.cfg->store_database, &db),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
			 SQLITE_OK);
	o = call(fx, "POST", "/cases/CV000001/solve", NULL, NULL);
	assert_error(fx, o, 503, WEB_API_EINTERNAL);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK; DROP TABLE case_links",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	o = call(fx, "GET", "/cases/CV000001", NULL, NULL);
	assert_error(fx, o, 500, WEB_API_EINTERNAL);
}

/* With targets set, a case shows its due times, as casectl show. */
static void
test_sla(void **state)
{
	struct fixture *fx = *state;
	JsonObject *o, *first;
	char num[32];

	create_case(fx, "{\"subject\":\"Due soon\"}", num, sizeof(num));
	o = call(fx, "GET", "/cases/CV000001", NULL, NULL);
	assert_int_equal(fx->status, 200);
	first = json_object_get_object_member(
		json_object_get_object_member(o, "sla"), "first_response");
	assert_non_null(first);
	assert_int_equal(json_object_get_int_member(first, "target_secs"),
			 4 * 3600);
	assert_true(json_object_has_member(first, "due"));
	o = call(fx, "GET", "/cases", "view=breaching", NULL);
	assert_int_equal(json_object_get_int_member(o, "count"), 0);
	/* A month on, unanswered: past its target. */
	fx->api.now += 30 * 86400;
	o = call(fx, "GET", "/cases", "view=breaching", NULL);
	assert_int_equal(fx->status, 200);
	assert_int_equal(json_object_get_int_member(o, "count"), 1);
	o = call(fx, "GET", "/cases/CV000001", NULL, NULL);
	first = json_object_get_object_member(
		json_object_get_object_member(o, "sla"), "first_response");
	assert_string_equal(json_object_get_string_member(first, "state"),
			    "breached");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unauthorized, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_create_show, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_body_limit,
						setup_small_body, teardown),
		cmocka_unit_test_setup_teardown(test_body_limit_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list_search, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_note_reply_solve, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sla, setup_sla, teardown),
		cmocka_unit_test_setup_teardown(test_internal, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
