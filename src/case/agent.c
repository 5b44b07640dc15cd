/*
 * agent.c - the rules about agents as people (see agent.h).
 */
#include "casemail/agent.h"

#include <string.h>

int
agent_check_name(const char *name, struct cm_error *err)
{
	const char *p;
	glong n;

	if (name == NULL || name[strspn(name, " \t")] == '\0')
		return cm_error_set(err, CM_EUSAGE, "an agent needs a name "
				    "(--name \"Anna Agent\")");
	if (!g_utf8_validate(name, -1, NULL))
		return cm_error_set(err, CM_EUSAGE, "the agent's name is not "
				    "UTF-8");
	/* A newline in a name is a header injection waiting to happen;
	 * no control character belongs in a display name. */
	for (p = name; *p != '\0'; p = g_utf8_next_char(p))
		if (g_unichar_iscntrl(g_utf8_get_char(p)))
			return cm_error_set(err, CM_EUSAGE, "the agent's name "
					    "holds a control character");
	n = g_utf8_strlen(name, -1);
	if (n > AGENT_NAME_MAX_CHARS)
		return cm_error_set(err, CM_EUSAGE, "the agent's name has %ld "
				    "characters, more than %d", (long)n,
				    AGENT_NAME_MAX_CHARS);
	return 0;
}

int
agent_clean_signature(const char *data, size_t len, char **sig_r,
		      struct cm_error *err)
{
	GString *s;

	*sig_r = NULL;
	if (len > AGENT_SIGNATURE_MAX_BYTES)
		return cm_error_set(err, CM_EUSAGE, "the signature has %zu "
				    "bytes, more than %d", len,
				    AGENT_SIGNATURE_MAX_BYTES);
	if (!g_utf8_validate(data, (gssize)len, NULL))
		return cm_error_set(err, CM_EUSAGE, "the signature is not "
				    "UTF-8 (or holds a NUL byte)");
	s = g_string_sized_new(len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c == '\r') {
			/* CRLF or a lone CR: one line end. */
			if (i + 1 < len && data[i + 1] == '\n')
				continue;
			c = '\n';
		} else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			g_string_free(s, TRUE);
			return cm_error_set(err, CM_EUSAGE, "the signature "
					    "holds a control character "
					    "(0x%02x)", c);
		}
		g_string_append_c(s, (char)c);
	}
	*sig_r = g_strchomp(g_string_free(s, FALSE));
	return 0;
}

int
agent_find(struct store *s, const char *address, struct store_agent **a_r,
	   struct cm_error *err)
{
	int rc = store_agent_get(s, address, a_r, err);

	if (rc == CM_ENOTFOUND) {
		cm_error_clear(err);
		return 0;
	}
	if (rc == 0 && (*a_r)->disabled)
		store_agent_free(a_r);
	return rc;
}

int
agent_may_act(struct store *s, const char *address, struct cm_error *err)
{
	struct store_agent *a = NULL;
	int64_t n;
	int rc;

	if ((rc = store_agent_count(s, &n, err)) != 0 || n == 0)
		return rc;
	rc = store_agent_get(s, address, &a, err);
	if (rc == CM_ENOTFOUND)
		return cm_error_set(err, CM_EREFUSED, "%s is not a registered "
				    "agent: --as (or $CASEMAIL_USER) must name "
				    "one of 'casectl agent list', or register "
				    "it with 'casectl agent add'", address);
	if (rc == 0 && a->disabled)
		rc = cm_error_set(err, CM_EREFUSED, "agent %s is disabled "
				  "(casectl agent set %s --enable)", address,
				  address);
	store_agent_free(&a);
	return rc;
}

/* Each registered agent among people shows their registered name (a
 * disabled one too: the name stays on what they did). */
static int
agent_names(struct store *s, GPtrArray *people, struct cm_error *err)
{
	for (guint i = 0; i < people->len; i++) {
		struct store_person *p = people->pdata[i];
		struct store_agent *a = NULL;
		int rc = store_agent_get(s, p->address, &a, err);

		if (rc == CM_ENOTFOUND) {
			cm_error_clear(err);
			continue;
		}
		if (rc != 0)
			return rc;
		g_free(p->name);
		p->name = g_strdup(a->name);
		store_agent_free(&a);
	}
	return 0;
}

int
agent_case_names(struct store *s, struct store_case *c, struct cm_error *err)
{
	int rc = agent_names(s, c->owners, err);

	if (rc == 0)
		rc = agent_names(s, c->watchers, err);
	if (rc == 0)
		rc = agent_names(s, c->participants, err);
	return rc;
}
