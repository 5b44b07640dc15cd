/*
 * classify.c - auto-replies, bounces and our own mail.
 *
 * The signals are the ones RFC 3834 and common mailers use.  A false
 * "auto-reply" only keeps a mail off the notification path (it is still
 * kept and logged on its case); a missed one could start a mail loop, so
 * we lean towards calling things automatic.
 */
#include "casemail/classify.h"

#include <string.h>

/* Subject starts of out-of-office replies, in the desk's languages. */
static const char *const classify_ooo_subjects[] = {
	"out of office", "out-of-office", "automatic reply", "auto reply",
	"autoreply", "auto-reply", "auto:", "abwesenheitsnotiz",
	"automatische antwort", "réponse automatique", "respuesta automática",
	"fuori sede", "afwezig", "automatisch antwoord", "frånvaro",
	"autosvar", "poza biurem", NULL,
};

static int
classify_starts_with(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return s != NULL && g_ascii_strncasecmp(s, prefix, n) == 0;
}

static int
classify_subject_ooo(const char *subject)
{
	char *low = g_utf8_strdown(subject != NULL ? subject : "", -1);
	int hit = 0;

	for (int i = 0; classify_ooo_subjects[i] != NULL && !hit; i++)
		hit = g_str_has_prefix(low, classify_ooo_subjects[i]);
	g_free(low);
	return hit;
}

/* The loop header's value as ours: mime.c made it one line; spaces
 * around it and the address's case do not matter. */
static int
classify_loop_is_ours(const char *value, const char *ours)
{
	char *v = g_strstrip(g_strdup(value));
	int same = g_ascii_strcasecmp(v, ours) == 0;

	g_free(v);
	return same;
}

static int
classify_is_own(const struct mime_message *m, const struct config *cfg,
		const struct classify_self *self, const char **why_r)
{
	if (self != NULL && self->loop != NULL && m->x_loop != NULL &&
	    classify_loop_is_ours(m->x_loop, self->loop)) {
		*why_r = "carries our loop header " MIME_LOOP_HEADER;
		return 1;
	}
	if (cfg->case_address != NULL && m->from.address != NULL &&
	    g_ascii_strcasecmp(m->from.address, cfg->case_address) == 0) {
		*why_r = "sent from the case address";
		return 1;
	}
	/* Signed, not only shaped like ours: another casemail desk on the
	 * same domain makes "<cm.…@domain>" IDs too. */
	if (self != NULL && self->msgid_ours) {
		*why_r = "Message-ID is one of ours";
		return 1;
	}
	return 0;
}

static int
classify_is_bounce(const struct mime_message *m, const char **why_r)
{
	const char *at;

	if (g_strcmp0(m->content_type, "multipart/report") == 0 &&
	    g_strcmp0(m->report_type, "delivery-status") == 0) {
		*why_r = "delivery status report";
		return 1;
	}
	if (m->return_path != NULL && strcmp(m->return_path, "<>") == 0) {
		*why_r = "null return path";
		return 1;
	}
	at = m->from.address != NULL ? strchr(m->from.address, '@') : NULL;
	if (at != NULL && ((at - m->from.address == 13 &&
			    classify_starts_with(m->from.address, "mailer-daemon")) ||
			   (at - m->from.address == 10 &&
			    classify_starts_with(m->from.address, "postmaster")))) {
		*why_r = "sent by a mailer daemon";
		return 1;
	}
	return 0;
}

static int
classify_is_auto(const struct mime_message *m, const char **why_r)
{
	if (m->auto_submitted != NULL &&
	    g_ascii_strncasecmp(m->auto_submitted, "no", 2) != 0) {
		*why_r = "Auto-Submitted";
		return 1;
	}
	if (m->x_autoreply != NULL || m->x_autorespond != NULL) {
		*why_r = "X-Autoreply/X-Autorespond";
		return 1;
	}
	if (m->precedence != NULL &&
	    (classify_starts_with(m->precedence, "bulk") ||
	     classify_starts_with(m->precedence, "junk") ||
	     classify_starts_with(m->precedence, "list"))) {
		*why_r = "Precedence bulk/junk/list";
		return 1;
	}
	if (m->x_auto_response_suppress != NULL) {
		*why_r = "X-Auto-Response-Suppress (sent by a system)";
		return 1;
	}
	if (g_strcmp0(m->report_type, "disposition-notification") == 0) {
		*why_r = "read receipt";
		return 1;
	}
	if (classify_subject_ooo(m->subject)) {
		*why_r = "out-of-office subject";
		return 1;
	}
	return 0;
}

enum classify_kind
classify_message(const struct mime_message *m, const struct config *cfg,
		 const struct classify_self *self, const char **why_r)
{
	*why_r = "written by a person";
	if (classify_is_own(m, cfg, self, why_r))
		return CLASSIFY_OWN;
	if (classify_is_bounce(m, why_r))
		return CLASSIFY_BOUNCE;
	if (classify_is_auto(m, why_r))
		return CLASSIFY_AUTOREPLY;
	return CLASSIFY_PERSON;
}

const char *
classify_name(enum classify_kind kind)
{
	switch (kind) {
	case CLASSIFY_PERSON: return "person";
	case CLASSIFY_AUTOREPLY: return "auto-reply";
	case CLASSIFY_BOUNCE: return "bounce";
	case CLASSIFY_OWN: return "own mail";
	}
	return "?";
}
