/*
 * case_private.h - what the files of the case module share (case.c and
 * case_desk.c).  Not part of the module's contract (that is
 * casemail/case.h); nothing outside src/case/ includes it.
 */
#ifndef CASEMAIL_CASE_PRIVATE_H
#define CASEMAIL_CASE_PRIVATE_H

#include "casemail/case.h"

/* Load case id for changing; a missing one is CM_ENOTFOUND naming its
 * number.  *c_r is the caller's (store_case_free()). */
int case_load(const struct case_ctx *ctx, int64_t id, struct store_case **c_r,
	      struct cm_error *err);

/*
 * Replace *slot with v if it differs and audit the change as `what`.
 * NULL leaves it, "" clears it.  *n counts changes.
 */
int case_change(const struct case_ctx *ctx, int64_t id, const char *what,
		char **slot, const char *v, int *n, struct cm_error *err);

/* CM_EREFUSED when addr (normalised) is on case id's outside team: it
 * is never one of the case's people (case_desk.c). */
int case_refuse_outside(const struct case_ctx *ctx, int64_t id,
			const char *addr, struct cm_error *err);

#endif
