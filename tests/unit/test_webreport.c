/* test_webreport.c - the reports page: figures, SVG charts, and every
 * printed value escaped (a hostile owner and type). */
#include "testutil.h"

#include <sqlite3.h>
#include <string.h>

#include "casemail/case.h"
#include "casemail/web_report.h"

#define HOSTILE_OWNER "<script>alert(1)</script>\"'&@evil.example"
#define HOSTILE_TYPE "\"><svg onload=alert(2)>"

struct fixture {
	struct testutil_env env;
	struct case_ctx ctx;
	struct web_api_env api;
};

#define TX(fx, call) TESTUTIL_TX((fx)->env.store, call)

static void
sql(struct fixture *fx, const char *text)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(fx->env.cfg->store_database, &db),
			 SQLITE_OK);
	sqlite3_busy_timeout(db, 1000);
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("sql: %s", msg);
	sqlite3_close(db);
}

static int
setup(void **state)
{
	struct fixture *fx = g_new0(struct fixture, 1);
	struct case_fields f = { .subject = "s", .type = "damaged" };
	int64_t id = 0;

	testutil_env_open(&fx->env, "timezone = UTC\n[sla]\n"
			  "first_response = normal 4h\n"
			  "resolution = normal 16h\n");
	fx->ctx.store = fx->env.store;
	fx->ctx.cfg = fx->env.cfg;
	fx->ctx.actor = "agent@desk.example";
	fx->ctx.now = 1000000;
	for (int i = 0; i < 3; i++) {
		fx->ctx.now += 3600;
		assert_int_equal(TX(fx, case_create(&fx->ctx, &f, &id, NULL)),
				 0);
		assert_int_equal(TX(fx, case_assign(&fx->ctx, id,
			i < 2 ? "anna@desk.example" : "bob@desk.example",
			"shipper", NULL, NULL)), 0);
	}
	fx->ctx.now += 3600;
	assert_int_equal(TX(fx, case_solve(&fx->ctx, id, NULL)), 0);
	/* What no form lets in, the page must still print safely. */
	{
		char *text = sqlite3_mprintf("UPDATE people SET address = %Q"
					     " WHERE address = "
					     "'anna@desk.example';"
					     "UPDATE cases SET type = %Q"
					     " WHERE id = 1;", HOSTILE_OWNER,
					     HOSTILE_TYPE);

		sql(fx, text);
		sqlite3_free(text);
	}
	fx->api.store = fx->env.store;
	fx->api.cfg = fx->env.cfg;
	fx->api.now = fx->ctx.now + 3600;
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

static char *
page(struct fixture *fx, const char *query)
{
	GString *out = g_string_new(NULL);
	struct cm_error err;

	if (web_report_page(&fx->api, query, out, &err) != 0)
		fail_msg("report: %s", err.msg);
	return g_string_free(out, FALSE);
}

/* Nothing of the hostile values comes through unescaped; the chart's
 * label is the owner cut to 28 characters. */
static void
assert_escaped(const char *html)
{
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<svg onload"));
	assert_null(strstr(html, "alert(1)</"));
	assert_null(strstr(html, "\"'&@"));
	assert_non_null(strstr(html, "\">&lt;script&gt;alert(1)&lt;/script"
			       "&gt;&quot;&#39;\xe2\x80\xa6</text>"));
}

static void
test_page(void **state)
{
	struct fixture *fx = *state;
	char *html = page(fx, NULL);

	/* The form, the summary, the charts. */
	assert_non_null(strstr(html, "<form id=\"report\""));
	assert_non_null(strstr(html, "<option value=\"30d\" selected>"));
	assert_non_null(strstr(html, "<th scope=\"row\">all</th><td>3</td>"
			       "<td>1</td>"));
	assert_non_null(strstr(html, "<title>Active cases per owner</title>"));
	assert_non_null(strstr(html, "<title>Cases by type</title>"));
	assert_non_null(strstr(html, "Open cases by age"));
	assert_non_null(strstr(html, "over 7 days"));
	/* The hostile owner is in the load chart, the type in by type. */
	assert_escaped(html);
	assert_non_null(strstr(html, "&quot;&gt;&lt;svg onload=alert(2)&gt;"));
	/* No inline style or script anywhere: the CSP would refuse it. */
	assert_null(strstr(html, "style="));
	assert_null(strstr(html, "<script"));
	g_free(html);
}

static void
test_grouped(void **state)
{
	struct fixture *fx = *state;
	char *html = page(fx, "period=7d&by=owner");

	assert_non_null(strstr(html, "<option value=\"7d\" selected>"));
	assert_non_null(strstr(html, "<option value=\"owner\" selected>"));
	assert_non_null(strstr(html, "<th scope=\"row\">bob@desk.example"
			       "</th><td>1</td><td>1</td>"));
	assert_escaped(html);
	/* The group's row has the owner whole. */
	assert_non_null(strstr(html, "<th scope=\"row\">&lt;script&gt;alert(1)"
			       "&lt;/script&gt;&quot;&#39;&amp;@evil.example"
			       "</th><td>2</td>"));
	g_free(html);
	html = page(fx, "by=type&period=month");
	assert_non_null(strstr(html, "<th scope=\"row\">&quot;&gt;&lt;svg "
			       "onload=alert(2)&gt;</th>"));
	g_free(html);
}

static void
test_bad_query(void **state)
{
	static const char *const bad[] = {
		"period=0d", "period=forever", "by=colour", "period=%zz",
		"period=3661d",
	};
	struct fixture *fx = *state;
	GString *out = g_string_new(NULL);
	struct cm_error err;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		assert_int_equal(web_report_page(&fx->api, bad[i], out, &err),
				 CM_EUSAGE);
		assert_int_equal(out->len, 0);
	}
	g_string_free(out, TRUE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grouped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_query, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
