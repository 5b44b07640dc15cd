/*
 * store_merge.c - one issue, one case: merging a case into another,
 * following the pointer a merged case leaves, links between related
 * cases, and finding Active cases by their shipment reference.
 */
#include "store_private.h"

#include <string.h>

int
store_case_merged_into(struct store *s, int64_t id, int64_t *into_r,
		       struct cm_error *err)
{
	static const char sql[] =
		"SELECT coalesce(merged_into, 0) FROM cases WHERE id = ?1";
	const struct store_arg args[] = { STORE_INT(id) };
	sqlite3_stmt *st;
	int rc;

	*into_r = 0;
	if ((rc = store_query(s, sql, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	rc = store_read_int64(s, st, "merged into", into_r, 1, err);
	if (rc == STORE_DONE)
		return cm_error_set(err, CM_ENOTFOUND, "no such case");
	return rc < 0 ? rc : 0;
}

int
store_case_resolve(struct store *s, int64_t id, int64_t *final_r,
		   struct cm_error *err)
{
	int64_t cur = id, next = 0;
	int rc;

	*final_r = id;
	/* case_merge() never makes a loop; the bound is against damage. */
	for (int hops = 0; hops <= STORE_MERGE_MAX_HOPS; hops++) {
		if ((rc = store_case_merged_into(s, cur, &next, err)) != 0)
			return rc;
		if (next == 0) {
			*final_r = cur;
			return 0;
		}
		cur = next;
	}
	return cm_error_set(err, CM_ESTORE, "the merge chain of case %lld "
			    "is longer than %d cases or loops",
			    (long long)id, STORE_MERGE_MAX_HOPS);
}

/* Run one statement of a merge with ?1 from and ?2 into (one that uses
 * only ?1 ignores the other), adding the rows it changed to *n. */
static int
merge_step(struct store *s, const char *sql, int64_t from, int64_t into,
	   const char *what, int64_t *n, struct cm_error *err)
{
	const struct store_arg args[] = { STORE_INT(from), STORE_INT(into) };
	int rc = store_run(s, sql, STORE_ARGS(args), what, err);

	if (rc == 0 && n != NULL)
		*n += sqlite3_changes(s->db);
	return rc;
}

/* The people: owners keep owning where into's side is free, else they
 * watch; every other role moves as it is. */
static int
merge_roles(struct store *s, int64_t from, int64_t into,
	    struct store_merge_counts *n, struct cm_error *err)
{
	static const char count[] =
		"SELECT count(DISTINCT person_id) FROM case_roles"
		" WHERE case_id = ?1";
	static const char owners[] =
		"INSERT OR IGNORE INTO case_roles(case_id, person_id, role, side,"
		" subscribed, added_at) SELECT ?2, person_id, role, side,"
		" subscribed, added_at FROM case_roles r WHERE r.case_id = ?1"
		" AND r.role = 'owner' AND NOT EXISTS (SELECT 1 FROM case_roles o"
		" WHERE o.case_id = ?2 AND o.role = 'owner' AND o.side = r.side)";
	static const char demoted[] =
		"INSERT OR IGNORE INTO case_roles(case_id, person_id, role, side,"
		" subscribed, added_at) SELECT ?2, person_id, 'watcher', NULL,"
		" subscribed, added_at FROM case_roles r WHERE r.case_id = ?1"
		" AND r.role = 'owner' AND NOT EXISTS (SELECT 1 FROM case_roles o"
		" WHERE o.case_id = ?2 AND o.person_id = r.person_id"
		" AND o.role = 'owner')";
	static const char others[] =
		"INSERT OR IGNORE INTO case_roles(case_id, person_id, role, side,"
		" subscribed, added_at) SELECT ?2, person_id, role, side,"
		" subscribed, added_at FROM case_roles WHERE case_id = ?1"
		" AND role <> 'owner'";
	static const char drop[] =
		"DELETE FROM case_roles WHERE case_id = ?1";
	const struct store_arg args[] = { STORE_INT(from) };
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_query(s, count, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	rc = store_read_int64(s, st, "count people", &n->people, 1, err);
	if (rc < 0)
		return rc;
	if ((rc = merge_step(s, owners, from, into, "move owners", NULL,
			     err)) != 0 ||
	    (rc = merge_step(s, demoted, from, into, "owners to watchers",
			     NULL, err)) != 0 ||
	    (rc = merge_step(s, others, from, into, "move people", NULL,
			     err)) != 0)
		return rc;
	return merge_step(s, drop, from, into, "drop people", NULL, err);
}

/* Links of from become links of into (but none of into to itself). */
static int
merge_links(struct store *s, int64_t from, int64_t into,
	    struct store_merge_counts *n, struct cm_error *err)
{
	static const char move[] =
		"INSERT OR IGNORE INTO case_links(a, b, actor, created_at)"
		" SELECT min(x, ?2), max(x, ?2), actor, created_at FROM"
		" (SELECT CASE WHEN a = ?1 THEN b ELSE a END AS x, actor,"
		" created_at FROM case_links WHERE a = ?1 OR b = ?1)"
		" WHERE x <> ?2";
	static const char drop[] =
		"DELETE FROM case_links WHERE (a = ?1 OR b = ?1)";
	int rc = merge_step(s, move, from, into, "move links", &n->links, err);

	return rc != 0 ? rc : merge_step(s, drop, from, into, "drop links",
					 NULL, err);
}

int
store_case_merge(struct store *s, int64_t from, int64_t into,
		 struct store_merge_counts *n_r, struct cm_error *err)
{
	static const char msgs[] =
		"UPDATE messages SET case_id = ?2 WHERE case_id = ?1";
	static const char outbox[] =
		"UPDATE outbox SET case_id = ?2 WHERE case_id = ?1";
	static const char sent[] =
		"UPDATE sent_ids SET case_id = ?2 WHERE case_id = ?1";
	static const char events[] =
		"UPDATE events SET case_id = ?2 WHERE case_id = ?1";
	static const char fields[] =
		"INSERT OR IGNORE INTO case_fields(case_id, name, value)"
		" SELECT ?2, name, value FROM case_fields WHERE case_id = ?1";
	/* The outside team stays outside: it moves as a team, never as
	 * participants; into keeps its own requester and caller, and takes
	 * from's when it has none (from keeps its copy). */
	static const char outside[] =
		"INSERT OR IGNORE INTO case_outside(case_id, address, added_at)"
		" SELECT ?2, address, added_at FROM case_outside"
		" WHERE case_id = ?1";
	static const char outside_drop[] =
		"DELETE FROM case_outside WHERE case_id = ?1";
	/* ... and never one of into's participants (from's participant
	 * may be into's team): that role is dropped, and counted. */
	static const char outside_people[] =
		"DELETE FROM case_roles WHERE case_id = ?2"
		" AND role = 'participant' AND person_id IN (SELECT p.id"
		" FROM people p JOIN case_outside o ON o.address = p.address"
		" WHERE o.case_id = ?2)";
	static const char contact[] =
		"INSERT OR IGNORE INTO case_contacts(case_id, requester_address,"
		" requester_name, caller_name, caller_company, caller_phone,"
		" caller_email) SELECT ?2, requester_address, requester_name,"
		" caller_name, caller_company, caller_phone, caller_email"
		" FROM case_contacts WHERE case_id = ?1";
	static const char point[] =
		"UPDATE cases SET merged_into = ?2 WHERE id = ?1";
	/* into's latest message may now be one that came with from (notes
	 * do not count, as in store_msg.c). */
	static const char latest[] =
		"UPDATE cases SET (last_message_at, last_message_from) ="
		" (SELECT received_at, from_address FROM messages"
		"  WHERE case_id = ?2 AND state = 'stored'"
		"  AND direction <> 'internal' AND internal = 0"
		"  ORDER BY received_at DESC, id DESC LIMIT 1)"
		" WHERE id = ?2 AND EXISTS (SELECT 1 FROM messages"
		" WHERE case_id = ?2 AND state = 'stored'"
		" AND direction <> 'internal' AND internal = 0)";
	struct store_merge_counts n = { 0 };
	int rc;

	memset(n_r, 0, sizeof(*n_r));
	if (from == into)
		return cm_error_set(err, CM_EREFUSED,
				    "a case cannot be merged into itself");
	if ((rc = merge_step(s, msgs, from, into, "move messages",
			     &n.messages, err)) != 0 ||
	    (rc = merge_step(s, outbox, from, into, "move outbox", NULL,
			     err)) != 0 ||
	    (rc = merge_step(s, sent, from, into, "move sent ids", NULL,
			     err)) != 0 ||
	    (rc = merge_step(s, events, from, into, "move events",
			     &n.events, err)) != 0 ||
	    (rc = merge_roles(s, from, into, &n, err)) != 0 ||
	    (rc = merge_links(s, from, into, &n, err)) != 0 ||
	    (rc = merge_step(s, fields, from, into, "copy fields", &n.fields,
			     err)) != 0 ||
	    (rc = merge_step(s, outside, from, into, "move outside team",
			     NULL, err)) != 0 ||
	    (rc = merge_step(s, outside_drop, from, into, "drop outside team",
			     NULL, err)) != 0 ||
	    (rc = merge_step(s, outside_people, from, into,
			     "drop outside team's roles", &n.outside_dropped,
			     err)) != 0 ||
	    (rc = merge_step(s, contact, from, into, "copy contact", NULL,
			     err)) != 0 ||
	    (rc = merge_step(s, point, from, into, "mark merged", NULL,
			     err)) != 0 ||
	    (rc = merge_step(s, latest, from, into, "latest message", NULL,
			     err)) != 0)
		return rc;
	*n_r = n;
	return 0;
}

int
store_case_link(struct store *s, int64_t a, int64_t b, const char *actor,
		int64_t now, int *added_r, struct cm_error *err)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO case_links(a, b, actor, created_at)"
		" VALUES (?1, ?2, ?3, ?4)";
	const struct store_arg args[] = {
		STORE_INT(MIN(a, b)), STORE_INT(MAX(a, b)), STORE_TEXT(actor),
		STORE_INT(now),
	};
	int rc;

	*added_r = 0;
	if (a == b)
		return cm_error_set(err, CM_EREFUSED,
				    "a case cannot be linked to itself");
	rc = store_run(s, sql, STORE_ARGS(args), "link cases", err);
	*added_r = rc == 0 && sqlite3_changes(s->db) > 0;
	return rc;
}

int
store_case_unlink(struct store *s, int64_t a, int64_t b, int *removed_r,
		  struct cm_error *err)
{
	static const char sql[] =
		"DELETE FROM case_links WHERE a = ?1 AND b = ?2";
	const struct store_arg args[] = {
		STORE_INT(MIN(a, b)), STORE_INT(MAX(a, b)),
	};
	int rc = store_run(s, sql, STORE_ARGS(args), "unlink cases", err);

	*removed_r = rc == 0 && sqlite3_changes(s->db) > 0;
	return rc;
}

int
store_rows_ptr(struct store *s, const char *sql, const struct store_arg *args,
	       size_t n, const char *what, store_row_cb read_row,
	       GDestroyNotify free_func, GPtrArray **rows_r,
	       struct cm_error *err)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func(free_func);
	int rc = store_query_rows(s, sql, args, n, what, read_row, rows, err);

	if (rc != 0)
		g_clear_pointer(&rows, g_ptr_array_unref);
	*rows_r = rows;
	return rc;
}

int
store_rows_ids(struct store *s, const char *sql, const struct store_arg *args,
	       size_t n, const char *what, GArray **ids_r,
	       struct cm_error *err)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	int rc = store_query_rows(s, sql, args, n, what, store_row_id, ids,
				  err);

	if (rc != 0)
		g_clear_pointer(&ids, g_array_unref);
	*ids_r = ids;
	return rc;
}

/* Every id sql (one parameter, the case) returns, in a new GArray. */
static int
store_ids_of(struct store *s, const char *sql, int64_t id, const char *what,
	     GArray **ids_r, struct cm_error *err)
{
	const struct store_arg args[] = { STORE_INT(id) };

	return store_rows_ids(s, sql, STORE_ARGS(args), what, ids_r, err);
}

int
store_case_links(struct store *s, int64_t id, GArray **ids_r,
		 struct cm_error *err)
{
	static const char sql[] =
		"SELECT CASE WHEN a = ?1 THEN b ELSE a END AS x FROM case_links"
		" WHERE a = ?1 OR b = ?1 ORDER BY x";

	return store_ids_of(s, sql, id, "load links", ids_r, err);
}

int
store_case_merged_from(struct store *s, int64_t id, GArray **ids_r,
		       struct cm_error *err)
{
	static const char sql[] =
		"SELECT id FROM cases WHERE merged_into = ?1 ORDER BY id";

	return store_ids_of(s, sql, id, "load merged cases", ids_r, err);
}

int
store_cases_by_shipment(struct store *s, const char *ref, int64_t except,
			int limit, GArray **ids_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT id FROM cases WHERE shipment = ?1 COLLATE NOCASE"
		" AND status = 'active' AND merged_into IS NULL AND id <> ?2"
		" ORDER BY id LIMIT ?3";
	const struct store_arg args[] = {
		STORE_TEXT(ref), STORE_INT(except), STORE_INT(limit),
	};

	return store_rows_ids(s, sql, STORE_ARGS(args), "find shipment", ids_r,
			      err);
}

static void
ref_hit_free(gpointer p)
{
	struct store_ref_hit *h = p;

	g_free(h->shipment);
	g_free(h);
}

static int
ref_hit_row(sqlite3_stmt *st, void *hits, struct cm_error *err)
{
	struct store_ref_hit *h = g_new0(struct store_ref_hit, 1);

	(void)err;
	h->case_id = sqlite3_column_int64(st, 0);
	h->shipment = store_col_text(st, 1);
	g_ptr_array_add(hits, h);
	return 0;
}

int
store_cases_quoted(struct store *s, const char *subject, const char *body,
		   int64_t except, int min_len, int limit, GPtrArray **hits_r,
		   struct cm_error *err)
{
	/* Only when a mail opens a case, over the Active cases with a
	 * reference: a scan, but of the open work, not of the archive. */
	static const char sql[] =
		"SELECT id, shipment FROM cases WHERE status = 'active'"
		" AND merged_into IS NULL AND shipment IS NOT NULL"
		" AND length(shipment) >= ?4 AND id <> ?3"
		" AND (instr(?1, lower(shipment)) > 0"
		"  OR instr(?2, lower(shipment)) > 0)"
		" ORDER BY id LIMIT ?5";
	const struct store_arg args[] = {
		STORE_TEXT(subject != NULL ? subject : ""),
		STORE_TEXT(body != NULL ? body : ""), STORE_INT(except),
		STORE_INT(min_len), STORE_INT(limit),
	};

	return store_rows_ptr(s, sql, STORE_ARGS(args), "find quoted",
			      ref_hit_row, ref_hit_free, hits_r, err);
}
