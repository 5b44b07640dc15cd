/*
 * case_merge.h - one issue, one case: merging a duplicate into the case
 * that keeps the work, linking related cases, and noticing when a new
 * case is about the shipment of an Active one.
 *
 * Like case.h, these apply changes and audit them without opening a
 * transaction: the caller wraps them in one, so a merge is all or
 * nothing.
 */
#ifndef CASEMAIL_CASE_MERGE_H
#define CASEMAIL_CASE_MERGE_H

#include "casemail/case.h"

/* A shipment reference shorter than this is not looked for in the text
 * of a mail: short ones ("123") turn up in any text by chance. */
#define CASE_QUOTED_REF_MIN 5
/* How much of a mail's text is searched for references: a new
 * conversation names its shipment near the top, and the search runs once
 * per Active case with a reference. */
#define CASE_QUOTED_SCAN_BYTES 65536
/* Cases one new mail may be noted against (and one create names). */
#define CASE_QUOTED_MAX 5

/*
 * Merge case from into case into: into's merge chain is followed to the
 * case that still stands (*final_r); everything of from moves there
 * (store_case_merge()); from is Solved and stays as a pointer; both
 * cases record it.  CM_EREFUSED for a case merged into itself (also
 * through the chain: no loops), or one that was merged already;
 * CM_ENOTFOUND for a missing case.  Undone only by an agent opening a
 * new case: nothing is deleted.
 */
int case_merge(const struct case_ctx *ctx, int64_t from, int64_t into,
	       int64_t *final_r, struct store_merge_counts *n_r,
	       struct cm_error *err);

/*
 * Link (link nonzero) or unlink two cases; audited on both.  *changed_r
 * is 0 when they already were (or were not) linked.  CM_EREFUSED for a
 * case linked to itself or a merged case (the message names the case it
 * went into); CM_ENOTFOUND for a missing case.
 */
int case_link(const struct case_ctx *ctx, int64_t a, int64_t b, int link,
	      int *changed_r, struct cm_error *err);

/* Active cases other than except with shipment reference ref: a GArray
 * of int64_t (at most CASE_QUOTED_MAX) the caller unrefs. */
int case_active_with_shipment(const struct case_ctx *ctx, const char *ref,
			      int64_t except, GArray **ids_r,
			      struct cm_error *err);

/*
 * Record on case id and on each other case that its shipment reference
 * is shared (what "shipment shared"): the case ids given.  For a case
 * opened with --force.
 */
int case_note_same_shipment(const struct case_ctx *ctx, int64_t id,
			    const char *ref, GArray *others,
			    struct cm_error *err);

/*
 * A mail that opened case id quotes, in subject or the first
 * CASE_QUOTED_SCAN_BYTES of body, the shipment reference of Active cases (as a whole word, at least
 * CASE_QUOTED_REF_MIN bytes): noted on both, at most CASE_QUOTED_MAX.
 * *n_r (may be NULL): how many cases were noted.
 */
int case_note_quoted_refs(const struct case_ctx *ctx, int64_t id,
			  const char *subject, const char *body, int *n_r,
			  struct cm_error *err);

#endif
