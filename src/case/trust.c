/*
 * trust.c - the sender verdict (trust.h): which Authentication-Results
 * counts, what in it proves the From address, and our own DKIM check
 * where no trusted server spoke.
 *
 * Choices, and why:
 *   - Only the topmost header of a trusted authserv-id is read.  Servers
 *     add theirs on top, so anything below the trusted server's own header
 *     was there before it saw the mail: the sender may have written it.
 *     A header we cannot parse whose first word is a trusted id ends the
 *     search too (with no verdict): skipping it would hand the decision to
 *     the next header down, which may be forged.
 *   - A trusted verdict that proves nothing is final: we do not second-
 *     guess the server with our own DKIM check (it saw the mail first).
 *   - Alignment is "equal, or one a subdomain of the other", never with a
 *     bare top-level name (d=com aligns with nothing).  That is narrower
 *     than DMARC's organisational domain (sibling subdomains do not
 *     align), so it needs no public-suffix list.
 *   - auth=pass counts only when smtp.auth is a mail address whose domain
 *     aligns with the From domain: a login proves a mailbox of that
 *     domain, and the desk's server decides which From its users may
 *     use.  A bare login name ("anna") says nothing about the domain and
 *     proves nothing.
 *   - A From with several addresses (or none, only Sender) is nobody's.
 */
#include "casemail/trust.h"

#include <string.h>

#include "casemail/authres.h"
#include "casemail/dkim.h"

/* The domain of an address or "@domain" (borrowed), or NULL. */
static const char *
trust_domain_of(const char *address)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

/* Equal, or one a subdomain of the other; the shorter has a dot. */
static int
trust_aligned(const char *a, const char *b)
{
	size_t la, lb;
	const char *longer, *shorter;

	if (a == NULL || b == NULL || a[0] == '\0' || b[0] == '\0')
		return 0;
	la = strlen(a);
	lb = strlen(b);
	longer = la >= lb ? a : b;
	shorter = la >= lb ? b : a;
	if (strchr(shorter, '.') == NULL)
		return 0;
	if (la == lb)
		return g_ascii_strcasecmp(a, b) == 0;
	return longer[strlen(longer) - strlen(shorter) - 1] == '.' &&
	       g_ascii_strcasecmp(longer + strlen(longer) - strlen(shorter),
				  shorter) == 0;
}

static int
trust_id_listed(const struct config *cfg, const char *id)
{
	for (char **t = cfg->trust_authserv_ids; id != NULL && t != NULL &&
	     *t != NULL; t++)
		if (g_ascii_strcasecmp(*t, id) == 0)
			return 1;
	return 0;
}

/* The first word of an unreadable header: its authserv-id, if any. */
static int
trust_raw_id_listed(const struct config *cfg, const char *value)
{
	size_t n = strcspn(value, "; \t(");
	char *word = g_strndup(value, n);
	int listed = trust_id_listed(cfg, word);

	g_free(word);
	return listed;
}

/*
 * The Authentication-Results that counts (new, authres_free()), or NULL;
 * *where_r says whose it is or why there is none (g_free()).
 */
static struct authres *
trust_find_authres(const struct config *cfg, const struct mime_message *mm,
		   char **where_r)
{
	for (guint i = 0; i < mm->auth_results->len; i++) {
		const char *value = mm->auth_results->pdata[i];
		struct authres *ar = NULL;
		int readable = authres_parse(value, &ar, NULL) == 0;

		if (cfg->trust_topmost || (readable &&
		    trust_id_listed(cfg, ar->authserv_id))) {
			if (!readable) {
				*where_r = g_strdup("the topmost "
					"Authentication-Results is unreadable");
				return NULL;
			}
			*where_r = ar->authserv_id != NULL
				? g_strdup_printf("Authentication-Results of %s%s",
					ar->authserv_id, cfg->trust_topmost
					? ", topmost" : "")
				: g_strdup("topmost Authentication-Results, "
					   "no authserv-id");
			return ar;
		}
		authres_free(&ar);
		if (!readable && trust_raw_id_listed(cfg, value)) {
			*where_r = g_strdup("the trusted Authentication-Results"
					    " is unreadable");
			return NULL;
		}
	}
	*where_r = g_strdup("no trusted Authentication-Results");
	return NULL;
}

/* The domain a dkim result signed for: header.d, else header.i's. */
static const char *
trust_dkim_domain(const struct authres_result *r)
{
	const char *d = authres_prop(r, "header", "d");

	return d != NULL ? d : trust_domain_of(authres_prop(r, "header", "i"));
}

/*
 * Does r prove a sender of from_domain?  Sets
 * *method_r; appends what r says to notes either way.
 */
static int
trust_result_proves(const struct authres_result *r, const char *from_domain,
		    enum trust_method *method_r, GString *notes)
{
	int pass = strcmp(r->result, "pass") == 0;
	const char *v = NULL;
	int proves = 0;

	if (strcmp(r->method, "dmarc") == 0) {
		v = authres_prop(r, "header", "from");
		proves = pass && v != NULL &&
			 g_ascii_strcasecmp(v, from_domain) == 0;
		*method_r = TRUST_DMARC;
		g_string_append_printf(notes, "; dmarc=%s header.from=%s",
				       r->result, v != NULL ? v : "(none)");
	} else if (strcmp(r->method, "dkim") == 0) {
		v = trust_dkim_domain(r);
		proves = pass && trust_aligned(v, from_domain);
		*method_r = TRUST_DKIM;
		g_string_append_printf(notes, "; dkim=%s header.d=%s%s",
				       r->result, v != NULL ? v : "(none)",
				       pass && !proves ? " (not aligned)" : "");
	} else if (strcmp(r->method, "auth") == 0) {
		v = authres_prop(r, "smtp", "auth");
		proves = pass && trust_aligned(trust_domain_of(v), from_domain);
		*method_r = TRUST_AUTH;
		g_string_append_printf(notes, "; auth=%s smtp.auth=%s%s",
				       r->result, v != NULL ? v : "(none)",
				       pass && !proves ? " (not of the From "
				       "domain)" : "");
	}
	return proves;
}

/* Append s to out made one line of printable text. */
static void
trust_append_clean(GString *out, const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		g_string_append_c(out, (unsigned char)*p < 0x20 ||
				  *p == 0x7f ? '?' : *p);
}

/* v->text from a GString, cut at a character boundary. */
static void
trust_set_text(struct trust_verdict *v, const char *text)
{
	GString *clean = g_string_new(NULL);
	char *valid;
	const char *end;

	trust_append_clean(clean, text);
	valid = g_utf8_make_valid(clean->str, -1);
	g_string_free(clean, TRUE);
	if (strlen(valid) >= sizeof(v->text)) {
		end = g_utf8_find_prev_char(valid, valid + sizeof(v->text) - 1);
		valid[end != NULL ? end - valid : 0] = '\0';
	}
	g_strlcpy(v->text, valid, sizeof(v->text));
	g_free(valid);
}

static void
trust_judge_authres(const struct authres *ar, const char *where,
		    const char *from, const char *from_domain,
		    struct trust_verdict *v)
{
	GString *notes = g_string_new(NULL);
	char *text;

	v->source = TRUST_SRC_AUTHRES;
	for (guint i = 0; i < ar->results->len && !v->verified; i++) {
		const struct authres_result *r = ar->results->pdata[i];
		enum trust_method m = TRUST_NONE;

		if (trust_result_proves(r, from_domain, &m, notes)) {
			v->verified = 1;
			v->method = m;
			/* Only the proof, not what came before it. */
			g_string_truncate(notes, 0);
			trust_result_proves(r, from_domain, &m, notes);
		}
	}
	text = g_strdup_printf("%s %s: %s (%s)", v->verified ? "verified"
			       : "not verified", from, notes->len > 2
			       ? notes->str + 2 : ar->none ? "none"
			       : "no dmarc, dkim or auth result", where);
	trust_set_text(v, text);
	g_free(text);
	g_string_free(notes, TRUE);
}

static int
trust_judge_dkim(const struct config *cfg, const char *raw, size_t len,
		 const char *from, const char *from_domain, const char *where,
		 struct trust_verdict *v, struct cm_error *err)
{
	struct dkim_report rep;
	GString *notes = g_string_new(NULL);
	char *text;
	int rc;

	rc = dkim_check_message(raw, len, cfg->trust_dkim_key_file,
				cfg->trust_dkim_timeout_secs, &rep, err);
	for (int i = 0; rc == 0 && i < rep.nchecked; i++) {
		const struct dkim_sig_report *s = &rep.sigs[i];

		if (s->pass && trust_aligned(s->domain, from_domain)) {
			v->verified = 1;
			v->method = TRUST_DKIM;
			g_string_printf(notes, "; d=%s passed", s->domain);
			break;
		}
		g_string_append_printf(notes, "; d=%s %s", s->domain[0] != '\0'
				       ? s->domain : "(unreadable)", s->pass
				       ? "passed, not aligned" : s->why);
	}
	v->source = TRUST_SRC_DKIM;
	text = g_strdup_printf("%s %s: %s; own DKIM check: %s%s", v->verified
			       ? "verified" : "not verified", from, where,
			       rep.summary, notes->str);
	trust_set_text(v, text);
	g_free(text);
	g_string_free(notes, TRUE);
	return rc;
}

int
trust_judge(const struct config *cfg, const char *raw, size_t len,
	    const struct mime_message *mm, struct trust_verdict *v,
	    struct cm_error *err)
{
	const char *from = mm->from.address;
	const char *from_domain = trust_domain_of(from);
	struct authres *ar;
	char *where = NULL, *text;
	int rc = 0;

	memset(v, 0, sizeof(*v));
	if (mm->from_count != 1 || from_domain == NULL) {
		text = mm->from_count != 1
			? g_strdup_printf("not verified: From has %d "
					  "addresses", mm->from_count)
			: g_strdup_printf("not verified %s: no domain",
					  from != NULL ? from : "(none)");
		trust_set_text(v, text);
		g_free(text);
		return 0;
	}
	/* A header added on top of a signed mail is read, the signed one
	 * below it is what the verdict covers: believe neither. */
	if (mm->repeated_header != NULL) {
		text = g_strdup_printf("not verified %s: %s appears more than "
				       "once", from, mm->repeated_header);
		trust_set_text(v, text);
		g_free(text);
		return 0;
	}
	ar = trust_find_authres(cfg, mm, &where);
	if (ar != NULL)
		trust_judge_authres(ar, where, from, from_domain, v);
	else if (cfg->trust_dkim_verify)
		rc = trust_judge_dkim(cfg, raw, len, from, from_domain, where,
				      v, err);
	else {
		text = g_strdup_printf("not verified %s: %s; own DKIM check "
				       "off (dkim_verify = no)", from, where);
		trust_set_text(v, text);
		g_free(text);
	}
	authres_free(&ar);
	g_free(where);
	return rc;
}
