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

/*
 * What marks a mail as this desk's own; only the caller knows our key
 * (outbound_classify_self() fills it).
 */
struct classify_self {
	const char *loop;  /* our MIME_LOOP_HEADER value; NULL: unknown */
	int msgid_ours;    /* the Message-ID carries our signature */
};

/*
 * Classify m; *why_r receives a constant reason for the decision record.
 * Own mail is mail from the case address, or with our own loop value, or
 * with a Message-ID signed by us (self may be NULL: then only the first).
 * Another casemail desk's mail is classified like anyone's (its
 * Auto-Submitted marks still make it an auto-reply).
 */
enum classify_kind classify_message(const struct mime_message *m,
				    const struct config *cfg,
				    const struct classify_self *self,
				    const char **why_r);

/* "person", "auto-reply", "bounce", "own mail". */
const char *classify_name(enum classify_kind kind);

#endif
