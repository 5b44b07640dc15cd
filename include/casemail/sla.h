/*
 * sla.h - service levels on cases: due times for the first response and
 * for the resolution, counted in business hours (slaconf.h), with the
 * clock stopped while the case waits.
 *
 * The rules:
 *  - Both clocks start when the case is created.  The first-response
 *    clock stops at the first outgoing message stored on the case (an
 *    agent's reply or template, or a public note: what reaches the
 *    customer); the resolution clock when the case is solved.
 *  - The clocks pause while the case waits on someone outside
 *    (cases.waiting_on, which sla_waiting_pauses() judges) and while it
 *    is solved (a reopened case goes on from where it stopped).
 *  - A target is missed when more business time than the target passed
 *    on the running clock; a running clock past its target is breaching.
 *
 * Everything here reads; warnings are mailed by outbound_sla.c.  The
 * functions are for casectl, casemaild and a web page alike.
 */
#ifndef CASEMAIL_SLA_H
#define CASEMAIL_SLA_H

#include <glib.h>
#include <stdint.h>

#include "casemail/slaconf.h"
#include "casemail/store.h"
#include "casemail/store_sla.h"

enum sla_state {
	SLA_NONE,       /* no target for this case */
	SLA_RUNNING,    /* within target, clock running */
	SLA_PAUSED,     /* within target, clock stopped (waiting) */
	SLA_BREACHED,   /* past target, not done yet */
	SLA_MET,        /* done within target */
	SLA_MISSED,     /* done, but late */
	SLA_CLOSED,     /* solved without a first response */
};

/* One clock of a case. */
struct sla_clock {
	enum sla_state state;
	int64_t target_secs;  /* business seconds; 0: no target (then only
			       * done_at and used_secs are set) */
	int64_t due_at;       /* when the target runs out, as things stand;
			       * BIZHOURS_NEVER while paused for good */
	int64_t warn_at;      /* when the early warning is due; 0: none */
	int64_t done_at;      /* answered / solved; 0: not yet */
	int64_t used_secs;    /* business seconds on the clock so far */
};

struct sla_status {
	struct sla_clock clock[SLACONF_KINDS];
};

/*
 * THE HOOK for who a case may wait on: nonzero when waiting on `on`
 * stops the clock.  Today every value does (the customer, "outside
 * support", the outside team of issue 17's WA); a role that should not
 * pause the clock is refused here.
 */
int sla_waiting_pauses(const char *on);

/* The pauses of c (from its events) into pauses, a GArray of struct
 * bizhours_pause (appended). */
void sla_pauses(const struct store_sla_case *c, GArray *pauses);

/* Both clocks of c at now. */
void sla_compute(const struct slaconf *sc, const struct store_sla_case *c,
		 int64_t now, struct sla_status *st);

/* Load case id and compute its clocks.  CM_ENOTFOUND, the common codes. */
int sla_case_status(const struct slaconf *sc, struct store *s, int64_t id,
		    int64_t now, struct sla_status *st, struct cm_error *err);

/* Nonzero when either clock is SLA_BREACHED. */
int sla_breaching(const struct sla_status *st);

/* "running", "met", ...: the word printed and in JSON. */
const char *sla_state_name(enum sla_state state);

/*
 * The cases f matches (store_case_list()) that are breaching at f->now:
 * only Active ones; f->limit applies to the result.  A GArray of int64_t
 * ids in the list's order; caller unrefs.
 */
int sla_list_breaching(const struct slaconf *sc, struct store *s,
		       const struct store_filter *f, GArray **ids_r,
		       struct cm_error *err);

/* sla_list_breaching() with cfg's [sla] read for this one call. */
int sla_list_breaching_cfg(const struct config *cfg, struct store *s,
			   const struct store_filter *f, GArray **ids_r,
			   struct cm_error *err);

#endif
