/*
 * case_merge.c - the rules of merging, linking and shared shipment
 * references, on top of store_merge.c.
 */
#include "casemail/case_merge.h"

#include <glib.h>
#include <string.h>

/* Whether case id stands, not merged; CM_ENOTFOUND naming it if there is
 * no such case.  *into_r: where it went (0: nowhere). */
static int
merge_state(const struct case_ctx *ctx, int64_t id, int64_t *into_r,
	    struct cm_error *err)
{
	char num[CASENUM_BUF_SIZE];
	int rc = store_case_merged_into(ctx->store, id, into_r, err);

	if (rc == CM_ENOTFOUND) {
		case_format_number(ctx->cfg, id, num, sizeof(num));
		return cm_error_set(err, CM_ENOTFOUND, "no case %s", num);
	}
	return rc;
}

/* Two case numbers for a message. */
struct merge_nums {
	char a[CASENUM_BUF_SIZE], b[CASENUM_BUF_SIZE];
};

static struct merge_nums
merge_nums(const struct case_ctx *ctx, int64_t a, int64_t b)
{
	struct merge_nums n;

	case_format_number(ctx->cfg, a, n.a, sizeof(n.a));
	case_format_number(ctx->cfg, b, n.b, sizeof(n.b));
	return n;
}

static int
merge_event(const struct case_ctx *ctx, int64_t id, const char *what,
	    int64_t other, const char *detail, struct cm_error *err)
{
	char num[CASENUM_BUF_SIZE];

	case_format_number(ctx->cfg, other, num, sizeof(num));
	return case_event_add(ctx, id, what, NULL, num, detail, err);
}

/* The merged case is closed: Solved, and waiting on nobody. */
static int
merge_close(const struct case_ctx *ctx, int64_t from, struct cm_error *err)
{
	int solved = 0;
	int rc = store_case_is_solved(ctx->store, from, &solved, err);

	if (rc == 0 && !solved)
		rc = case_solve(ctx, from, err);
	if (rc == 0)
		rc = case_set_waiting(ctx, from, NULL, err);
	return rc;
}

int
case_merge(const struct case_ctx *ctx, int64_t from, int64_t into,
	   int64_t *final_r, struct store_merge_counts *n_r,
	   struct cm_error *err)
{
	int64_t merged = 0, final = 0;
	struct merge_nums n;
	char *detail;
	int rc;

	*final_r = 0;
	memset(n_r, 0, sizeof(*n_r));
	if ((rc = merge_state(ctx, from, &merged, err)) != 0 ||
	    (rc = merge_state(ctx, into, &final, err)) != 0)
		return rc;
	n = merge_nums(ctx, from, merged != 0 ? merged : into);
	if (from == into)
		return cm_error_set(err, CM_EREFUSED, "%s cannot be merged "
				    "into itself", n.a);
	if (merged != 0)
		return cm_error_set(err, CM_EREFUSED, "%s was merged into %s "
				    "already", n.a, n.b);
	if ((rc = store_case_resolve(ctx->store, into, &final, err)) != 0)
		return rc;
	if (final == from)
		return cm_error_set(err, CM_EREFUSED, "%s cannot be merged into "
				    "%s: that case was merged into it", n.a,
				    n.b);
	if ((rc = store_case_merge(ctx->store, from, final, n_r, err)) != 0)
		return rc;
	detail = g_strdup_printf("%lld messages, %lld events, %lld people, "
				 "%lld fields, %lld links moved%s",
				 (long long)n_r->messages,
				 (long long)n_r->events, (long long)n_r->people,
				 (long long)n_r->fields, (long long)n_r->links,
				 n_r->outside_dropped > 0
				 ? "; the outside team's participant role "
				   "dropped (never one of the case's people)"
				 : "");
	rc = merge_close(ctx, from, err);
	if (rc == 0)
		rc = merge_event(ctx, from, "merged into", final, detail, err);
	if (rc == 0)
		rc = merge_event(ctx, final, "merged from", from, detail, err);
	if (rc == 0)
		rc = store_case_touch(ctx->store, final, ctx->now, err);
	g_free(detail);
	if (rc == 0)
		*final_r = final;
	return rc;
}

int
case_link(const struct case_ctx *ctx, int64_t a, int64_t b, int link,
	  int *changed_r, struct cm_error *err)
{
	int64_t into_a = 0, into_b = 0;
	struct merge_nums n;
	int rc;

	*changed_r = 0;
	if ((rc = merge_state(ctx, a, &into_a, err)) != 0 ||
	    (rc = merge_state(ctx, b, &into_b, err)) != 0)
		return rc;
	n = into_a != 0 ? merge_nums(ctx, a, into_a) : merge_nums(ctx, b, into_b);
	if (a == b)
		return cm_error_set(err, CM_EREFUSED, "%s cannot be linked to "
				    "itself", merge_nums(ctx, a, b).a);
	if (link && (into_a != 0 || into_b != 0))
		return cm_error_set(err, CM_EREFUSED, "%s was merged into %s: "
				    "link that case", n.a, n.b);
	rc = link ? store_case_link(ctx->store, a, b, ctx->actor, ctx->now,
				    changed_r, err)
		  : store_case_unlink(ctx->store, a, b, changed_r, err);
	if (rc != 0 || !*changed_r)
		return rc;
	rc = merge_event(ctx, a, link ? "linked" : "unlinked", b, NULL, err);
	if (rc == 0)
		rc = merge_event(ctx, b, link ? "linked" : "unlinked", a, NULL,
				 err);
	return rc;
}

int
case_active_with_shipment(const struct case_ctx *ctx, const char *ref,
			  int64_t except, GArray **ids_r, struct cm_error *err)
{
	*ids_r = NULL;
	if (ref == NULL || ref[0] == '\0') {
		*ids_r = g_array_new(FALSE, FALSE, sizeof(int64_t));
		return 0;
	}
	return store_cases_by_shipment(ctx->store, ref, except,
				       CASE_QUOTED_MAX, ids_r, err);
}

/* The same note on id (naming other) and on other (naming id). */
static int
note_pair(const struct case_ctx *ctx, const char *what, int64_t id,
	  int64_t other, const char *detail, struct cm_error *err)
{
	int rc = merge_event(ctx, id, what, other, detail, err);

	return rc != 0 ? rc : merge_event(ctx, other, what, id, detail, err);
}

int
case_note_same_shipment(const struct case_ctx *ctx, int64_t id,
			const char *ref, GArray *others, struct cm_error *err)
{
	int rc = 0;

	for (guint i = 0; rc == 0 && others != NULL && i < others->len; i++)
		rc = note_pair(ctx, "shipment shared", id,
			       g_array_index(others, int64_t, i), ref, err);
	return rc;
}

/* Whether ref occurs in text as a whole word (ASCII case ignored). */
static int
quoted_word(const char *text, const char *ref)
{
	size_t n = strlen(ref);

	if (text == NULL || n == 0)
		return 0;
	for (const char *p = text; *p != '\0'; p++) {
		if (g_ascii_strncasecmp(p, ref, n) != 0)
			continue;
		if ((p == text || !g_ascii_isalnum(p[-1])) &&
		    !g_ascii_isalnum(p[n]))
			return 1;
	}
	return 0;
}

/* The first CASE_QUOTED_SCAN_BYTES of body, cut on a character
 * boundary, in ASCII lower case (new string). */
static char *
quoted_head(const char *body)
{
	size_t len = body != NULL ? strlen(body) : 0;

	if (len > CASE_QUOTED_SCAN_BYTES) {
		const char *end = g_utf8_find_prev_char(body,
			body + CASE_QUOTED_SCAN_BYTES + 1);

		len = end != NULL ? (size_t)(end - body) : 0;
	}
	return g_ascii_strdown(body != NULL ? body : "", (gssize)len);
}

int
case_note_quoted_refs(const struct case_ctx *ctx, int64_t id,
		      const char *subject, const char *body, int *n_r,
		      struct cm_error *err)
{
	GPtrArray *hits = NULL;
	char *subj = g_ascii_strdown(subject != NULL ? subject : "", -1);
	char *text = quoted_head(body);
	int n = 0, rc;

	if (n_r != NULL)
		*n_r = 0;
	rc = store_cases_quoted(ctx->store, subj, text, id,
				CASE_QUOTED_REF_MIN, CASE_QUOTED_MAX, &hits,
				err);
	for (guint i = 0; rc == 0 && i < hits->len; i++) {
		const struct store_ref_hit *h = hits->pdata[i];

		if (!quoted_word(subj, h->shipment) &&
		    !quoted_word(text, h->shipment))
			continue;
		rc = note_pair(ctx, "shipment quoted", id, h->case_id,
			       h->shipment, err);
		n++;
	}
	if (hits != NULL)
		g_ptr_array_unref(hits);
	g_free(subj);
	g_free(text);
	if (rc == 0 && n_r != NULL)
		*n_r = n;
	return rc;
}
