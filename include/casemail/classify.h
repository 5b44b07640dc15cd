/*
 * classify.h - is this mail from a person, or noise: an auto-reply, a
 * bounce, or mail we sent ourselves?  Pure: reads only the parsed message
 * and the configuration.
 */
#ifndef CASEMAIL_CLASSIFY_H
#define CASEMAIL_CLASSIFY_H

#include "casemail/config.h"
#include "casemail/mime.h"

enum classify_kind {
	CLASSIFY_PERSON,     /* written by someone: thread it */
	CLASSIFY_AUTOREPLY,  /* out-of-office, auto-submitted, list/bulk */
	CLASSIFY_BOUNCE,     /* delivery status report, null sender */
	CLASSIFY_OWN,        /* mail we sent (loop) */
};

/* Classify m; *why_r receives a constant reason for the decision record. */
enum classify_kind classify_message(const struct mime_message *m,
				    const struct config *cfg,
				    const char **why_r);

/* "person", "auto-reply", "bounce", "own mail". */
const char *classify_name(enum classify_kind kind);

#endif
