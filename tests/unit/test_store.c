/* test_store.c - the SQLite store: migrations, numbers, constraints, FTS. */
#include "testutil.h"

#include <glib.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "casemail/attach.h"
#include "casemail/case.h"
/* The connection itself, to make the database "full" (max_page_count). */
#include "../../src/store/store_private.h"

static struct store_case *
sample_case(const char *subject, const char *shipment)
{
	struct store_case *c = store_case_new();

	c->kind = g_strdup("client");
	c->type = g_strdup("damaged");
	c->subject = g_strdup(subject);
	c->status = STORE_CASE_ACTIVE;
	c->priority = g_strdup("normal");
	c->source = g_strdup("user");
	c->shipment = g_strdup(shipment);
	c->created_at = c->updated_at = 1000;
	return c;
}

static int64_t
insert_case(struct store *s, const char *subject, const char *shipment)
{
	struct store_case *c = sample_case(subject, shipment);
	int64_t id = 0;

	assert_int_equal(store_begin(s, NULL), 0);
	assert_int_equal(store_case_insert(s, c, &id, NULL), 0);
	assert_int_equal(store_commit(s, NULL), 0);
	store_case_free(&c);
	return id;
}

static void
test_migrate_empty(void **state)
{
	struct testutil_env env;
	struct store *again = NULL;
	struct store_options opt = { 1000, NULL };

	(void)state;
	testutil_env_open(&env, NULL);
	assert_int_equal(store_schema_version(env.store), STORE_SCHEMA_VERSION);
	store_close(&env.store);
	/* Reopening an up-to-date file changes nothing. */
	assert_int_equal(store_open(env.cfg->store_database, &opt, &again,
				    NULL), 0);
	assert_int_equal(store_schema_version(again), STORE_SCHEMA_VERSION);
	store_close(&again);
	testutil_env_close(&env);
}

static void
test_refuse_newer_schema(void **state)
{
	struct testutil_env env;
	struct store_options opt = { 1000, NULL };
	struct cm_error err = { 0 };
	struct store *s = NULL;
	sqlite3 *db;

	(void)state;
	testutil_env_open(&env, NULL);
	store_close(&env.store);
	assert_int_equal(sqlite3_open(env.cfg->store_database, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(env.cfg->store_database, &opt, &s, &err),
			 CM_ESTORE);
	assert_null(s);
	assert_non_null(strstr(err.msg, "newer"));
	testutil_env_close(&env);
}

static void
test_open_errors(void **state)
{
	struct store_options opt = { 1000, NULL };
	struct cm_error err = { 0 };
	struct store *s = NULL;
	char *dir = testutil_tmpdir();
	char *junk = testutil_write(dir, "junk.db",
				    "this is certainly not an SQLite file, "
				    "it is text that is long enough to fill a "
				    "header and then some more bytes.........");

	(void)state;
	assert_int_equal(store_open("/nonexistent/dir/x.db", &opt, &s, &err),
			 CM_ESTORE);
	assert_non_null(strstr(err.msg, "/nonexistent/dir"));
	assert_int_equal(store_open(junk, &opt, &s, &err), CM_ESTORE);
	assert_non_null(strstr(err.msg, "damaged or not a casemail store"));
	assert_null(s);
	g_free(junk);
	testutil_rmdir(dir);
}

/*
 * A full disk is one failure wherever it happens (issue 13): SQLITE_FULL
 * from the database and ENOSPC from an attachment file both give
 * CM_ETEMP ("try again later": exit 75 for an MTA) and the words "disk
 * full".  The database is filled with max_page_count; the attachment is
 * written through a symbolic link to /dev/full, whose writes fail with
 * ENOSPC for root too.
 */
static int64_t count_on(sqlite3 *db, const char *sql);

static void
test_disk_full_is_one_failure(void **state)
{
	struct testutil_env env;
	struct cm_error err = { 0 };
	size_t len = 1 << 20;
	char sha[ATTACH_SHA256_HEX], *big = g_malloc(len), *sql, *path;
	char *dir, *tmp;
	int created = 0;

	(void)state;
	testutil_env_open(&env, NULL);
	sql = g_strdup_printf("PRAGMA max_page_count = %lld", (long long)
			      count_on(env.store->db, "PRAGMA page_count"));
	assert_int_equal(sqlite3_exec(env.store->db, sql, NULL, NULL, NULL),
			 SQLITE_OK);
	memset(big, 'x', len);
	attach_sha256_hex(big, len, sha);
	assert_int_equal(store_begin(env.store, NULL), 0);
	assert_int_equal(store_blob_put_data(env.store, sha, big, len, &err),
			 CM_ETEMP);
	store_rollback(env.store);
	assert_non_null(strstr(err.msg, "disk full"));
	assert_non_null(strstr(err.msg, env.cfg->store_database));

	cm_error_clear(&err);
	path = attach_path(env.cfg->store_attachments, sha);
	dir = g_path_get_dirname(path);
	tmp = g_strdup_printf("%s.tmp.%ld", path, (long)getpid());
	assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
	assert_int_equal(symlink("/dev/full", tmp), 0);
	assert_int_equal(attach_put(env.cfg->store_attachments, big, len, 0,
				    sha, &created, &err), CM_ETEMP);
	assert_non_null(strstr(err.msg, "attachments: write"));
	assert_non_null(strstr(err.msg, "disk full"));
	assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	assert_false(g_file_test(tmp, G_FILE_TEST_IS_SYMLINK));
	g_free(sql);
	g_free(dir);
	g_free(path);
	g_free(tmp);
	g_free(big);
	testutil_env_close(&env);
}

static void
test_numbers_never_reused(void **state)
{
	struct testutil_env env;
	struct store_case *c;
	int64_t a, b, id;

	(void)state;
	testutil_env_open(&env, NULL);
	a = insert_case(env.store, "first", NULL);
	b = insert_case(env.store, "second", NULL);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	/* A rolled-back creation takes no number for good... */
	c = sample_case("rolled back", NULL);
	assert_int_equal(store_begin(env.store, NULL), 0);
	assert_int_equal(store_case_insert(env.store, c, &id, NULL), 0);
	assert_int_equal(id, 3);
	store_rollback(env.store);
	store_case_free(&c);
	/* ...but a deleted case's number is never handed out again. */
	assert_int_equal(store_begin(env.store, NULL), 0);
	assert_int_equal(store_event_add(env.store, b, 1, "t", "x", NULL, NULL,
					 NULL, NULL), 0);
	assert_int_equal(store_commit(env.store, NULL), 0);
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open(env.cfg->store_database, &db), 0);
		assert_int_equal(sqlite3_exec(db, "DELETE FROM cases WHERE id = 3;"
					      "DELETE FROM events; DELETE FROM"
					      " cases WHERE id = 2", NULL, NULL,
					      NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	assert_int_equal(insert_case(env.store, "third", NULL), 3);
	testutil_env_close(&env);
}

static void
test_constraints(void **state)
{
	struct testutil_env env;
	struct cm_error err = { 0 };
	struct store_case *c;
	int64_t id, p1, p2, p3;
	int added;

	(void)state;
	testutil_env_open(&env, NULL);
	id = insert_case(env.store, "owners", NULL);
	assert_int_equal(store_begin(env.store, NULL), 0);
	assert_int_equal(store_person_ensure(env.store, "a@x.test", "A", &p1, NULL), 0);
	assert_int_equal(store_person_ensure(env.store, "b@x.test", NULL, &p2, NULL), 0);
	assert_int_equal(store_person_ensure(env.store, "c@x.test", NULL, &p3, NULL), 0);
	/* The same address in another case is the same person. */
	assert_int_equal(store_person_ensure(env.store, "A@X.TEST", "Other", &p3, NULL), 0);
	assert_int_equal(p3, p1);
	assert_int_equal(store_role_add(env.store, id, p1, "owner", "shipper",
					&added, NULL), 0);
	assert_int_equal(added, 1);
	assert_int_equal(store_role_add(env.store, id, p1, "owner", "shipper",
					&added, NULL), 0);
	assert_int_equal(added, 0);
	/* The schema itself refuses a second owner on one side. */
	assert_int_equal(store_role_add(env.store, id, p2, "owner", "shipper",
					&added, &err), CM_EREFUSED);
	assert_non_null(strstr(err.msg, "shipper owner"));
	/* An owner needs a side; a bad role or side is refused. */
	assert_int_equal(store_role_add(env.store, id, p2, "owner", NULL,
					&added, NULL), CM_EREFUSED);
	assert_int_equal(store_role_add(env.store, id, p2, "owner", "middle",
					&added, NULL), CM_EREFUSED);
	assert_int_equal(store_role_add(env.store, id, p2, "boss", NULL,
					&added, NULL), CM_EREFUSED);
	assert_int_equal(store_role_add(env.store, id, p2, "owner", "carrier",
					&added, NULL), 0);
	assert_int_equal(store_commit(env.store, NULL), 0);
	assert_int_equal(store_case_get(env.store, id, &c, NULL), 0);
	assert_int_equal(c->owners->len, 2);
	assert_string_equal(((struct store_person *)c->owners->pdata[0])->name, "A");
	store_case_free(&c);
	testutil_env_close(&env);
}

static void
test_bad_values_refused(void **state)
{
	struct testutil_env env;
	struct store_case *c = sample_case("bad status", NULL);
	int64_t id;

	(void)state;
	testutil_env_open(&env, NULL);
	c->status = (enum store_case_status)(STORE_CASE_SOLVED + 1);
	assert_int_equal(store_begin(env.store, NULL), 0);
	assert_int_equal(store_case_insert(env.store, c, &id, NULL), CM_EREFUSED);
	/* solved needs solved_at and the other way round */
	c->status = STORE_CASE_SOLVED;
	assert_int_equal(store_case_insert(env.store, c, &id, NULL), CM_EREFUSED);
	store_rollback(env.store);
	store_case_free(&c);
	assert_int_equal(store_case_get(env.store, 1, &c, NULL), CM_ENOTFOUND);
	assert_null(c);
	testutil_env_close(&env);
}

static struct store_message *
sample_message(int64_t case_id, const char *mid, const char *body)
{
	struct store_message *m = store_message_new();
	struct store_address *to = g_new0(struct store_address, 1);

	m->case_id = case_id;
	m->message_id = g_strdup(mid);
	m->direction = g_strdup("in");
	m->from.address = g_strdup("carrier@trucks.test");
	m->from.name = g_strdup("Carrier");
	to->address = g_strdup("cases@desk.example");
	g_ptr_array_add(m->to, to);
	m->subject = g_strdup("Re: damaged pallet");
	m->received_at = 5000;
	m->body = g_strdup(body);
	m->body_full = g_strdup(body);
	return m;
}

static GArray *
search(struct store *s, const char *text)
{
	struct store_filter f;
	GArray *ids = NULL;

	store_filter_init(&f, 10000);
	f.text = text;
	assert_int_equal(store_case_list(s, &f, &ids, NULL), 0);
	return ids;
}

static void
assert_search(struct store *s, const char *text, guint n, int64_t first)
{
	GArray *ids = search(s, text);

	if (ids->len != n)
		fail_msg("search '%s': %u hits, expected %u", text, ids->len, n);
	if (n > 0)
		assert_int_equal(g_array_index(ids, int64_t, 0), first);
	g_array_unref(ids);
}

static void
test_messages_and_fts(void **state)
{
	struct testutil_env env;
	struct store_message *m;
	struct cm_error err = { 0 };
	GPtrArray *msgs;
	struct store_case *c;
	int64_t a, b;

	(void)state;
	testutil_env_open(&env, NULL);
	a = insert_case(env.store, "Damaged pallet in Rotterdam", "1Z999AA10123456784");
	b = insert_case(env.store, "Schäden an der Lieferung", NULL);
	m = sample_message(a, "<m1@trucks.test>", "The forklift punctured the wrapping.");
	assert_int_equal(store_begin(env.store, NULL), 0);
	assert_int_equal(store_message_insert(env.store, m, NULL, NULL), 0);
	/* Message-ID is the idempotency key. */
	assert_int_equal(store_message_insert(env.store, m, NULL, &err), CM_EREFUSED);
	assert_non_null(strstr(err.msg, "already stored"));
	assert_int_equal(store_commit(env.store, NULL), 0);
	store_message_free(&m);

	assert_search(env.store, "forklift", 1, a);
	assert_search(env.store, "fork", 1, a);          /* prefix */
	assert_search(env.store, "rotterdam pallet", 1, a);
	assert_search(env.store, "1Z999AA10123456784", 1, a);
	assert_search(env.store, "schaden", 1, b);       /* diacritics */
	assert_search(env.store, "forklift schaden", 0, 0);
	assert_search(env.store, "\"AND( OR * NEAR", 0, 0); /* no syntax error */
	assert_search(env.store, "   ", 0, 0);

	assert_int_equal(store_messages_get(env.store, a, &msgs, NULL), 0);
	assert_int_equal(msgs->len, 1);
	m = msgs->pdata[0];
	assert_string_equal(m->message_id, "<m1@trucks.test>");
	assert_int_equal(m->to->len, 1);
	g_ptr_array_unref(msgs);
	assert_int_equal(store_case_get(env.store, a, &c, NULL), 0);
	assert_int_equal(c->last_message_at, 5000);
	assert_string_equal(c->last_message_from, "carrier@trucks.test");
	assert_int_equal(c->updated_at, 5000);
	store_case_free(&c);
	testutil_env_close(&env);
}

/* Run sql on a second connection to the store's file. */
static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static int64_t
count_on(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t n;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * The search index holds exactly what a fresh index of the messages
 * would: compared term by term, document by document and position by
 * position with one rebuilt from scratch.  (FTS5's integrity-check in
 * SQLite 3.40 does not compare an external-content index with its
 * content.)  Nothing may be left waiting to be indexed.
 */
static void
assert_index_matches(const char *path, int64_t messages)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db,
		 "CREATE VIRTUAL TABLE check_fts USING fts5(subject, body_full,"
		 " content='messages', content_rowid='id',"
		 " tokenize='unicode61 remove_diacritics 2');"
		 "INSERT INTO check_fts(check_fts) VALUES ('rebuild');"
		 "CREATE VIRTUAL TABLE temp.v_live USING"
		 " fts5vocab(main, messages_fts, instance);"
		 "CREATE VIRTUAL TABLE temp.v_fresh USING"
		 " fts5vocab(main, check_fts, instance);"
		 "INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check');",
		 NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("index check: %s", msg);
	assert_int_equal(count_on(db, "SELECT count(*) FROM messages"), messages);
	assert_int_equal(count_on(db, "SELECT count(*) FROM messages_fts_docsize"),
			 messages);
	assert_int_equal(count_on(db, "SELECT count(*) FROM messages_fts_pending"),
			 0);
	assert_int_equal(count_on(db, "SELECT count(*) FROM ("
		 "SELECT * FROM (SELECT * FROM v_live EXCEPT SELECT * FROM v_fresh)"
		 " UNION ALL "
		 "SELECT * FROM (SELECT * FROM v_fresh EXCEPT SELECT * FROM v_live))"),
			 0);
	assert_true(count_on(db, "SELECT count(*) FROM v_live") > 0);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE check_fts", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
insert_message(struct store *s, int64_t case_id, const char *mid,
	       enum store_msg_state state, const char *body, int64_t *row_r)
{
	struct store_message *m = sample_message(case_id, mid, body);

	m->state = state;
	assert_int_equal(store_message_insert(s, m, row_r, NULL), 0);
	store_message_free(&m);
}

/*
 * Messages are indexed when their transaction commits (migration 3):
 * rows added, changed and removed inside one transaction, rows removed
 * after they were indexed, rows rolled back, and rows a foreign program
 * wrote without our commit all leave the index exactly right.
 */
static void
test_fts_at_commit(void **state)
{
	struct testutil_env env;
	const char *path;
	int64_t a, gone = 0, held = 0;

	(void)state;
	testutil_env_open(&env, NULL);
	path = env.cfg->store_database;
	a = insert_case(env.store, "Pallet", NULL);
	assert_int_equal(store_begin(env.store, NULL), 0);
	insert_message(env.store, a, "<k@t.test>", STORE_MSG_STORED, "forklift", NULL);
	insert_message(env.store, a, "<g@t.test>", STORE_MSG_HELD, "gangway", &gone);
	insert_message(env.store, a, "<h@t.test>", STORE_MSG_HELD, "hoist", &held);
	/* Only held mail is ever deleted (a reprocess). */
	assert_int_equal(store_message_delete(env.store, gone, NULL), 0);
	/* Not searchable before the commit that indexes it. */
	assert_search(env.store, "forklift", 0, 0);
	assert_int_equal(store_commit(env.store, NULL), 0);
	assert_search(env.store, "forklift", 1, a);
	assert_index_matches(path, 2);

	/* A rolled-back message leaves nothing behind. */
	assert_int_equal(store_begin(env.store, NULL), 0);
	insert_message(env.store, a, "<r@t.test>", STORE_MSG_STORED, "crane", NULL);
	store_rollback(env.store);
	assert_search(env.store, "crane", 0, 0);
	assert_index_matches(path, 2);

	/* Removing an indexed message takes it out of the index. */
	assert_int_equal(store_begin(env.store, NULL), 0);
	assert_int_equal(store_message_delete(env.store, held, NULL), 0);
	insert_message(env.store, a, "<l@t.test>", STORE_MSG_STORED, "tarpaulin", NULL);
	assert_int_equal(store_commit(env.store, NULL), 0);
	assert_search(env.store, "tarpaulin", 1, a);
	assert_index_matches(path, 2);

	/* Another program adds, edits and removes rows, committing on its
	 * own: new rows wait, unsearchable, for our next commit; changes
	 * to indexed rows show at once. */
	raw_exec(path, "BEGIN;"
		 "INSERT INTO messages(case_id, message_id, direction, state,"
		 " subject, body_full, received_at)"
		 " VALUES (1, '<x@t.test>', 'in', 'stored', 'x', 'dinghy', 1),"
		 " (1, '<y@t.test>', 'in', 'held', 'y', 'yawl', 1);"
		 "UPDATE messages SET body_full = 'dinghy oars'"
		 " WHERE message_id = '<x@t.test>';"
		 "DELETE FROM messages WHERE message_id = '<y@t.test>';"
		 "UPDATE messages SET body_full = 'tarpaulin torn'"
		 " WHERE message_id = '<l@t.test>';"
		 "COMMIT;");
	assert_search(env.store, "oars", 0, 0);
	assert_search(env.store, "torn", 1, a);
	assert_int_equal(store_begin(env.store, NULL), 0);
	assert_int_equal(store_commit(env.store, NULL), 0);
	assert_search(env.store, "oars", 1, a);
	assert_search(env.store, "yawl", 0, 0);
	assert_index_matches(path, 3);
	testutil_env_close(&env);
}

static void
test_views(void **state)
{
	struct testutil_env env;
	struct store_message *m;
	struct store_filter f;
	GArray *ids;
	int64_t a, b;

	(void)state;
	testutil_env_open(&env, NULL);
	a = insert_case(env.store, "external reply", NULL);
	b = insert_case(env.store, "our reply", NULL);
	assert_int_equal(store_begin(env.store, NULL), 0);
	m = sample_message(a, "<x1@trucks.test>", "hello");
	assert_int_equal(store_message_insert(env.store, m, NULL, NULL), 0);
	store_message_free(&m);
	m = sample_message(b, "<x2@desk.example>", "hello");
	g_free(m->from.address);
	m->from.address = g_strdup("agent@desk.example");
	assert_int_equal(store_message_insert(env.store, m, NULL, NULL), 0);
	store_message_free(&m);
	assert_int_equal(store_commit(env.store, NULL), 0);

	store_filter_init(&f, 10000);
	f.view = STORE_VIEW_RECENT;
	assert_int_equal(store_case_list(env.store, &f, &ids, NULL), 0);
	assert_int_equal(ids->len, 1);
	assert_int_equal(g_array_index(ids, int64_t, 0), a);
	g_array_unref(ids);

	store_filter_init(&f, 10000);
	f.limit = 1;
	assert_int_equal(store_case_list(env.store, &f, &ids, NULL), 0);
	assert_int_equal(ids->len, 1);
	g_array_unref(ids);
	testutil_env_close(&env);
}

/* A bouncing mark: set with its time, expired before a cutoff, cleared
 * once; an outbox row knows its recipients. */
static void
test_bouncing_mark(void **state)
{
	struct testutil_env env;
	struct store_outbox ob = { 0 };
	const char *rcpts[] = { "bob@trucks.test" };
	int64_t pid, row = 0, case_id = 0;
	int b = -1, changed = -1, found = -1;

	(void)state;
	testutil_env_open(&env, NULL);
	case_id = insert_case(env.store, "bounces", NULL);
	assert_int_equal(store_begin(env.store, NULL), 0);
	assert_int_equal(store_person_ensure(env.store, "bob@trucks.test", NULL,
					     &pid, NULL), 0);
	assert_int_equal(store_person_bouncing(env.store, "bob@trucks.test", 0,
					       &b, NULL), 0);
	assert_false(b);
	assert_int_equal(store_person_set_bouncing(env.store, "Bob@Trucks.test",
						   5000, NULL), 0);
	assert_int_equal(store_person_bouncing(env.store, "bob@trucks.test",
					       5000, &b, NULL), 0);
	assert_true(b);
	/* Set before the cutoff: expired. */
	assert_int_equal(store_person_bouncing(env.store, "bob@trucks.test",
					       5001, &b, NULL), 0);
	assert_false(b);
	assert_int_equal(store_person_clear_bouncing(env.store,
		"bob@trucks.test", &changed, NULL), 0);
	assert_true(changed);
	assert_int_equal(store_person_clear_bouncing(env.store,
		"bob@trucks.test", &changed, NULL), 0);
	assert_false(changed);
	assert_int_equal(store_person_bouncing(env.store, "bob@trucks.test", 0,
					       &b, NULL), 0);
	assert_false(b);
	/* Unknown people: nothing to mark or clear, no error. */
	assert_int_equal(store_person_set_bouncing(env.store, "x@y.test", 1,
						   NULL), 0);
	assert_int_equal(store_person_bouncing(env.store, "x@y.test", 0, &b,
					       NULL), 0);
	assert_false(b);
	ob.case_id = case_id;
	ob.kind = (char *)"notify";
	ob.message_id = (char *)"<m@desk.example>";
	ob.env_from = (char *)"cases@desk.example";
	ob.raw = g_bytes_new_static("x", 1);
	assert_int_equal(store_outbox_add(env.store, &ob, rcpts, 1, NULL, &row,
					  NULL), 0);
	g_bytes_unref(ob.raw);
	assert_int_equal(store_outbox_rcpt_find(env.store, row, "BOB@trucks.test",
						&found, &case_id, NULL), 0);
	assert_true(found);
	assert_int_equal(case_id, 1);
	assert_int_equal(store_outbox_rcpt_find(env.store, row, "eve@evil.test",
						&found, &case_id, NULL), 0);
	assert_false(found);
	assert_int_equal(store_outbox_rcpt_find(env.store, row + 1,
						"bob@trucks.test", &found,
						&case_id, NULL), 0);
	assert_false(found);
	assert_int_equal(case_id, 0);
	assert_int_equal(store_commit(env.store, NULL), 0);
	testutil_env_close(&env);
}

/* Each value has a word of its own; a status word parses back. */
static void
test_state_words(void **state)
{
	enum store_case_status cs;

	(void)state;
	for (int v = STORE_CASE_ACTIVE; v <= STORE_CASE_SOLVED; v++) {
		assert_int_equal(store_case_status_parse(
			store_case_status_name(v), &cs), 0);
		assert_int_equal(cs, v);
	}
	assert_string_equal(store_msg_state_name(STORE_MSG_REJECTED),
			    "rejected");
	assert_string_equal(store_msg_state_name(STORE_MSG_IGNORED),
			    "ignored");
	assert_string_equal(store_outbox_state_name(STORE_OUTBOX_DONE), "done");
	assert_string_equal(store_rcpt_state_name(STORE_RCPT_FAILED), "failed");
	assert_null(store_msg_state_name(STORE_MSG_IGNORED + 1));
	assert_null(store_case_status_name((enum store_case_status)-1));
	assert_int_equal(store_case_status_parse("Solved", &cs), CM_EINPUT);
	assert_int_equal(store_case_status_parse("pending", &cs), CM_EINPUT);
	assert_int_equal(store_case_status_parse(NULL, &cs), CM_EINPUT);
}

/* A word the enum does not know, read from the file, is an error and
 * not a guess (a foreign program that got past the CHECKs wrote it). */
static void
test_unknown_word_refused(void **state)
{
	struct testutil_env env;
	struct store_message *m = NULL;
	struct store_case *c = NULL;
	struct cm_error err = { 0 };
	int64_t id, row = 0;
	sqlite3 *db;

	(void)state;
	testutil_env_open(&env, NULL);
	id = insert_case(env.store, "words", NULL);
	assert_int_equal(store_begin(env.store, NULL), 0);
	insert_message(env.store, id, "<w@t.test>", STORE_MSG_STORED, "x",
		       &row);
	assert_int_equal(store_commit(env.store, NULL), 0);
	assert_int_equal(sqlite3_open(env.cfg->store_database, &db), 0);
	assert_int_equal(sqlite3_exec(db, "PRAGMA ignore_check_constraints = 1;"
				      "UPDATE messages SET state = 'lost';"
				      "UPDATE cases SET status = 'closed'",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_message_get(env.store, NULL, row, &m, &err),
			 CM_ESTORE);
	assert_null(m);
	assert_non_null(strstr(err.msg, "unknown message state \"lost\""));
	assert_int_equal(store_case_get(env.store, id, &c, &err), CM_ESTORE);
	assert_null(c);
	assert_non_null(strstr(err.msg, "unknown case status \"closed\""));
	testutil_env_close(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_empty),
		cmocka_unit_test(test_refuse_newer_schema),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_disk_full_is_one_failure),
		cmocka_unit_test(test_numbers_never_reused),
		cmocka_unit_test(test_constraints),
		cmocka_unit_test(test_bad_values_refused),
		cmocka_unit_test(test_state_words),
		cmocka_unit_test(test_unknown_word_refused),
		cmocka_unit_test(test_messages_and_fts),
		cmocka_unit_test(test_fts_at_commit),
		cmocka_unit_test(test_views),
		cmocka_unit_test(test_bouncing_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
