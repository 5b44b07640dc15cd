/*
 * slaconf.h - the service levels of casemail.conf's [sla] section, read
 * once: the targets per priority (and type), and the business-hours
 * calendar they are counted in ([sla] hours, holidays, [case] timezone).
 *
 * Targets are written as lists of "[TYPE/]PRIORITY DURATION" items, e.g.
 *   first_response = urgent 1h, high 4h, normal 8h, lost/urgent 30m
 * A TYPE/ item beats the plain one for cases of that type; a priority
 * with no item has no target.  Durations are business time
 * (bizhours_parse_duration()), at most SLACONF_MAX_TARGET_SECS.
 *
 * Threads: a struct slaconf holds a calendar (bizhours.h), whose cache
 * changes as it is asked: one thread at a time.
 */
#ifndef CASEMAIL_SLACONF_H
#define CASEMAIL_SLACONF_H

#include <stdint.h>

#include "casemail/bizhours.h"
#include "casemail/config.h"
#include "casemail/error.h"

/* Items of one target list: four priorities times a few dozen types. */
#define SLACONF_MAX_TARGETS 256
/* A target of a year of round-the-clock hours is no target. */
#define SLACONF_MAX_TARGET_SECS ((int64_t)8760 * 3600)

enum slaconf_kind {
	SLACONF_FIRST_RESPONSE,
	SLACONF_RESOLUTION,
};
#define SLACONF_KINDS 2

struct slaconf;

/*
 * Read cfg's [sla] keys.  Returns 0 with *sc_r the caller's
 * (slaconf_free()), or CM_ECONFIG naming the file, the key and the bad
 * item (config_load() runs this, so a loaded config always passes).
 */
int slaconf_new(const struct config *cfg, struct slaconf **sc_r,
		struct cm_error *err);

/* Free; accepts NULL and clears the pointer. */
void slaconf_free(struct slaconf **sc);

/* Nonzero when any target is configured. */
int slaconf_enabled(const struct slaconf *sc);

/* The target of kind for a case of type and priority, in business
 * seconds; 0: none. */
int64_t slaconf_target(const struct slaconf *sc, enum slaconf_kind kind,
		       const char *type, const char *priority);

/* The smallest target of any kind, priority and type (0: none). */
int64_t slaconf_min_target(const struct slaconf *sc);

/* [sla] warn_before: business seconds before a breach that the early
 * warning goes (0: none). */
int64_t slaconf_warn_before(const struct slaconf *sc);

/* The calendar (borrowed from sc). */
struct bizhours *slaconf_calendar(const struct slaconf *sc);

/* "first_response" or "resolution": the word stored and printed. */
const char *slaconf_kind_name(enum slaconf_kind kind);

#endif
