/*
 * config_check.c - the checks of casemail.conf that span keys: an [smtp]
 * section that makes sense as a whole, cleartext only to this machine
 * (or when allowed), partner domains that are domains and never free
 * mail, authserv-ids a server could write.  config_load() runs them after
 * every key has been read and checked on its own (config.c).
 */
#include "config_private.h"

#include <arpa/inet.h>
#include <string.h>

#include "casemail/addr.h"
#include "casemail/log.h"
#include "casemail/timeutil.h"
#include "casemail/slaconf.h"

/* Keys that only make sense together, checked at load so that a bad
 * [smtp] section is a configuration error, not a failure at send time. */
static int
config_check_smtp(const struct config *cfg, struct cm_error *err)
{
	const char *url = cfg->smtp_url;

	if (url != NULL && !g_str_has_prefix(url, "smtp://") &&
	    !g_str_has_prefix(url, "smtps://"))
		return cm_error_set(err, CM_ECONFIG, "%s: [smtp] url: '%s' is "
				    "not an smtp:// or smtps:// URL", cfg->path,
				    url);
	if (cfg->smtp_user != NULL && cfg->smtp_password_file == NULL)
		return cm_error_set(err, CM_ECONFIG, "%s: [smtp] user: set "
				    "password_file too", cfg->path);
	return 0;
}

/* Nonzero for a host that can only be this machine: 127.0.0.0/8, ::1 or
 * localhost (RFC 6761 keeps the name on loopback).  Brackets allowed. */
static int
config_host_is_loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;
	char *h = g_strdup(host);
	size_t n = strlen(h);
	int yes;

	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		memmove(h, h + 1, n - 2);
		h[n - 2] = '\0';
	}
	if (inet_pton(AF_INET, h, &a4) == 1)
		yes = (ntohl(a4.s_addr) >> 24) == 127;
	else if (inet_pton(AF_INET6, h, &a6) == 1)
		yes = IN6_IS_ADDR_LOOPBACK(&a6);
	else
		yes = g_ascii_strcasecmp(h, "localhost") == 0 ||
		      g_ascii_strcasecmp(h, "localhost.") == 0;
	g_free(h);
	return yes;
}

/* The host of an smtp:// URL (g_free), or NULL if it has none. */
static char *
config_url_host(const char *url)
{
	char *host = NULL;

	if (!g_uri_split_network(url, G_URI_FLAGS_NONE, NULL, &host, NULL,
				 NULL))
		return NULL;
	return host;
}

/* Nonzero when [imap] logs in without TLS (tls = none) to another host. */
static int
config_imap_cleartext(const struct config *cfg)
{
	return cfg->imap_host != NULL && cfg->imap_tls == CONFIG_IMAP_TLS_NONE &&
	       !config_host_is_loopback(cfg->imap_host);
}

/* Nonzero when [smtp] may send in clear to another host: an smtp:// URL
 * without tls = starttls upgrades only if the server offers it, which a
 * man in the middle can strip. */
static int
config_smtp_cleartext(const struct config *cfg)
{
	char *host;
	int yes;

	if (cfg->smtp_url == NULL || cfg->smtp_tls == CONFIG_SMTP_TLS_STARTTLS ||
	    !g_str_has_prefix(cfg->smtp_url, "smtp://"))
		return 0;
	host = config_url_host(cfg->smtp_url);
	yes = host == NULL || !config_host_is_loopback(host);
	g_free(host);
	return yes;
}

/*
 * A password and customers' mail in clear over a network: refused unless
 * the administrator said so (allow_cleartext), and then said again at
 * every start (config_warn_cleartext()).  This machine's loopback is fine.
 */
static int
config_check_cleartext(const struct config *cfg, struct cm_error *err)
{
	if (config_imap_cleartext(cfg) && !cfg->imap_allow_cleartext)
		return cm_error_set(err, CM_ECONFIG, "%s: [imap] tls = none to "
				    "%s, which is not this machine: the password "
				    "and the mail would cross the network in "
				    "clear; use tls = imaps or starttls, or set "
				    "allow_cleartext = yes", cfg->path,
				    cfg->imap_host);
	if (config_smtp_cleartext(cfg) && !cfg->smtp_allow_cleartext)
		return cm_error_set(err, CM_ECONFIG, "%s: [smtp] url: %s is "
				    "not on this machine and smtp:// without "
				    "tls = starttls may send in clear; use "
				    "smtps://, or tls = starttls, or set "
				    "allow_cleartext = yes", cfg->path,
				    cfg->smtp_url);
	return 0;
}

void
config_warn_cleartext(const struct config *cfg)
{
	if (config_imap_cleartext(cfg))
		log_warnx("[imap] allow_cleartext: logging in to %s without "
			  "TLS (tls = none): the password and the mail cross "
			  "the network in clear", cfg->imap_host);
	if (config_smtp_cleartext(cfg))
		log_warnx("[smtp] allow_cleartext: %s without tls = starttls: "
			  "mail goes in clear when the server does not offer "
			  "STARTTLS (or someone strips it)", cfg->smtp_url);
}

/* A plain DNS name of two labels or more: letters, digits, '-' (ASCII;
 * xn-- for international names). */
static int
config_valid_domain(const char *d)
{
	size_t n = strlen(d);

	if (n == 0 || n > 253 || d[0] == '.' || d[n - 1] == '.' ||
	    strchr(d, '.') == NULL || strstr(d, "..") != NULL)
		return 0;
	for (const char *p = d; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
			return 0;
	return 1;
}

/*
 * [trust] partner_domains: every address of a partner domain may post to
 * a case a colleague is on, so a domain where anyone can get an address
 * (free mail) would let anyone in: refused, as is anything not a domain.
 */
static int
config_check_partners(const struct config *cfg, struct cm_error *err)
{
	for (char **d = cfg->trust_partner_domains; d != NULL && *d != NULL;
	     d++) {
		if (!config_valid_domain(*d))
			return cm_error_set(err, CM_ECONFIG, "%s: [trust] "
					    "partner_domains: '%s' is not a "
					    "domain name (example.com)",
					    cfg->path, *d);
		if (addr_is_free_mail_domain(*d))
			return cm_error_set(err, CM_ECONFIG, "%s: [trust] "
					    "partner_domains: %s is a free-mail "
					    "domain: anyone can have an address "
					    "there, so it is never a partner",
					    cfg->path, *d);
	}
	return 0;
}

/* An authserv-id is compared with what a server writes: a token
 * without spaces or the header's own punctuation. */
static int
config_check_trust(const struct config *cfg, struct cm_error *err)
{
	for (char **id = cfg->trust_authserv_ids; id != NULL && *id != NULL;
	     id++) {
		if (strlen(*id) > CONFIG_AUTHSERV_ID_MAX)
			return cm_error_set(err, CM_ECONFIG, "%s: [trust] "
					    "authserv_ids: an id is longer "
					    "than %d bytes", cfg->path,
					    CONFIG_AUTHSERV_ID_MAX);
		for (const char *p = *id; *p != '\0'; p++)
			if ((unsigned char)*p <= ' ' || *p == ';' ||
			    *p == '(' || *p == ')' || *p == '"' ||
			    *p == '=' || (unsigned char)*p >= 0x7f)
				return cm_error_set(err, CM_ECONFIG,
						    "%s: [trust] authserv_ids:"
						    " '%s' is not a server "
						    "name", cfg->path, *id);
	}
	return 0;
}

/* [case] timezone must name a zone GLib can load, not fall back to UTC
 * silently (which is what g_time_zone_new() would do). */
static int
config_check_timezone(const struct config *cfg, struct cm_error *err)
{
	if (cfg->case_timezone == NULL || time_zone_valid(cfg->case_timezone))
		return 0;
	return cm_error_set(err, CM_ECONFIG, "%s: [case] timezone: unknown "
			    "time zone '%s' (a name such as Europe/Berlin, "
			    "UTC, or +01:00)", cfg->path, cfg->case_timezone);
}

/* [sla] and [case] timezone: read them as casemaild will. */
static int
config_check_sla(const struct config *cfg, struct cm_error *err)
{
	struct slaconf *sc = NULL;
	int rc = slaconf_new(cfg, &sc, err);

	slaconf_free(&sc);
	return rc;
}

int
config_check_together(const struct config *cfg, struct cm_error *err)
{
	int rc = config_check_smtp(cfg, err);

	if (rc == 0)
		rc = config_check_cleartext(cfg, err);
	if (rc == 0)
		rc = config_check_partners(cfg, err);
	if (rc == 0)
		rc = config_check_trust(cfg, err);
	if (rc == 0)
		rc = config_check_timezone(cfg, err);
	if (rc == 0)
		rc = config_check_sla(cfg, err);
	return rc;
}
