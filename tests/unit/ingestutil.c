/* ingestutil.c - the fixture of the ingest tests (see ingestutil.h). */
#include "ingestutil.h"

#include <glib.h>
#include <string.h>

int
setup_conf(void **state, const char *extra_conf)
{
	struct fixture *fx = g_new0(struct fixture, 1);

	testutil_env_open(&fx->env, extra_conf);
	fx->ing.store = fx->env.store;
	fx->ing.cfg = fx->env.cfg;
	fx->now = 1795942800;
	*state = fx;
	return 0;
}

int
teardown(void **state)
{
	struct fixture *fx = *state;

	outbound_clear(&fx->out);
	testutil_env_close(&fx->env);
	g_free(fx);
	return 0;
}

enum ingest_outcome
feed(struct fixture *fx, const char *raw)
{
	struct cm_error err = { 0 };
	enum ingest_outcome out = INGEST_FAILED;

	assert_int_equal(store_begin(fx->env.store, NULL), 0);
	if (ingest_message(&fx->ing, raw, strlen(raw), NULL, fx->now++, &out,
			   &err) != 0)
		fail_msg("ingest: %s", err.msg);
	assert_int_equal(store_commit(fx->env.store, NULL), 0);
	return out;
}

struct store_message *
msg(struct fixture *fx, const char *mid)
{
	struct store_message *m = NULL;

	assert_int_equal(store_message_get(fx->env.store, mid, 0, &m, NULL), 0);
	return m;
}

int64_t
case_of(struct fixture *fx, const char *mid)
{
	struct store_message *m = msg(fx, mid);
	int64_t id = m->case_id;

	store_message_free(&m);
	return id;
}

struct store_case *
get_case(struct fixture *fx, int64_t id)
{
	struct store_case *c = NULL;

	assert_int_equal(store_case_get(fx->env.store, id, &c, NULL), 0);
	return c;
}
