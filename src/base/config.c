/*
 * config.c - casemail.conf through a typed key table.
 *
 * Modelled on Postfix's typed parameter tables: each key has a type, a
 * default, and bounds, so checking is uniform and the error names the key.
 */
#include "config_private.h"

#include "casemail/addr.h"
#include "casemail/strv.h"

#include <ctype.h>
#include <glib.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum config_type {
	CONFIG_STR,   /* any non-empty string */
	CONFIG_IDENT, /* letters only: a case-number prefix */
	CONFIG_INT,
	CONFIG_PATH,  /* resolved against the config file's directory */
	CONFIG_LIST,  /* comma-separated, trimmed, non-empty items */
	CONFIG_EMAIL,
	CONFIG_BOOL,  /* yes/no, true/false, on/off, 1/0 */
	CONFIG_ENUM,  /* one of the '|'-separated words in def_choices */
};

struct config_key {
	const char *group;
	const char *key;
	enum config_type type;
	const char *def;     /* NULL: no default (optional key) */
	long min, max;       /* CONFIG_INT bounds; CONFIG_STR/IDENT length */
	size_t offset;       /* into struct config */
	const char *choices; /* CONFIG_ENUM: "a|b|c" */
};

#define OFF(field) offsetof(struct config, field), NULL
#define OFFC(field, choices) offsetof(struct config, field), choices


static const struct config_key config_keys[] = {
	{ "case", "prefix", CONFIG_IDENT, "CV", 1, 8, OFF(case_prefix) },
	/* 12 digits still fit comfortably in an int64 sequence. */
	{ "case", "digits", CONFIG_INT, "6", 1, 12, OFF(case_digits) },
	{ "case", "address", CONFIG_EMAIL, NULL, 0, 0, OFF(case_address) },
	{ "case", "organization_domains", CONFIG_LIST, "", 0, 0,
	  OFF(org_domains) },
	{ "case", "types", CONFIG_LIST,
	  "damaged, delayed, lost, wismo, delivery-exception, address-issue, "
	  "reschedule, refused, driver-issue, billing, other", 0, 0,
	  OFF(case_types) },
	{ "store", "database", CONFIG_PATH, "casemail.db", 0, 0,
	  OFF(store_database) },
	{ "case", "reply_to_solved", CONFIG_ENUM, "reopen", 0, 0,
	  OFFC(case_reply_to_solved, "reopen|new|note") },
	{ "case", "accept_from", CONFIG_ENUM, "participants", 0, 0,
	  OFFC(case_accept_from, "participants|anyone") },
	/* A loop or a flood from one sender is held for review past this. */
	{ "case", "max_messages_per_hour", CONFIG_INT, "30", 1, 100000,
	  OFF(case_max_messages_per_hour) },
	/* Addresses one mail's To and Cc may add to a case: a reply-all
	 * to a long list is no way to subscribe a crowd. */
	{ "case", "max_new_participants", CONFIG_INT, "10", 0, 1000,
	  OFF(case_max_new_participants) },
	{ "store", "attachments", CONFIG_PATH, "attachments", 0, 0,
	  OFF(store_attachments) },
	{ "store", "max_attachment_bytes", CONFIG_INT, "26214400", 0,
	  1073741824, OFF(store_max_attachment_bytes) },
	{ "store", "max_message_bytes", CONFIG_INT, "52428800", 1024,
	  1073741824, OFF(store_max_message_bytes) },
	/* Checked by a scan of the raw bytes before GMime builds anything
	 * (mime_scan.c): GMime costs about 3.5 KB per part and recurses per
	 * level, so both are bounded well below what would hurt. */
	{ "store", "max_parts", CONFIG_INT, "1000", 1, 10000,
	  OFF(store_max_parts) },
	{ "store", "max_depth", CONFIG_INT, "32", 1, 100,
	  OFF(store_max_depth) },
	{ "store", "max_header_bytes", CONFIG_INT, "1048576", 1024, 16777216,
	  OFF(store_max_header_bytes) },
	{ "imap", "host", CONFIG_STR, NULL, 1, 255, OFF(imap_host) },
	{ "imap", "port", CONFIG_INT, "0", 0, 65535, OFF(imap_port) },
	{ "imap", "tls", CONFIG_ENUM, "imaps", 0, 0, OFFC(imap_tls, "imaps|starttls|none") },
	{ "imap", "tls_verify", CONFIG_BOOL, "yes", 0, 0, OFF(imap_tls_verify) },
	/* tls = none to a host that is not this machine: refused unless. */
	{ "imap", "allow_cleartext", CONFIG_BOOL, "no", 0, 0,
	  OFF(imap_allow_cleartext) },
	{ "imap", "ca_file", CONFIG_PATH, NULL, 0, 0, OFF(imap_ca_file) },
	{ "imap", "user", CONFIG_STR, NULL, 1, 255, OFF(imap_user) },
	{ "imap", "password_file", CONFIG_PATH, NULL, 0, 0,
	  OFF(imap_password_file) },
	{ "imap", "mailbox", CONFIG_STR, "INBOX", 1, 255, OFF(imap_mailbox) },
	{ "imap", "processed_mailbox", CONFIG_STR, "Processed", 1, 255,
	  OFF(imap_processed_mailbox) },
	{ "imap", "review_mailbox", CONFIG_STR, "Review", 1, 255,
	  OFF(imap_review_mailbox) },
	{ "imap", "idle", CONFIG_BOOL, "yes", 0, 0, OFF(imap_idle) },
	{ "imap", "poll_interval", CONFIG_INT, "60", 1, 86400,
	  OFF(imap_poll_interval_secs) },
	/* Servers may drop a silent connection after 30 min (RFC 9051). */
	{ "imap", "timeout", CONFIG_INT, "60", 1, 3600, OFF(imap_timeout_secs) },
	{ "imap", "batch", CONFIG_INT, "1000", 1, 10000, OFF(imap_batch) },
	{ "imap", "auth", CONFIG_ENUM, "password", 0, 0,
	  OFFC(imap_auth, "password|oauth2") },
	/* Long enough to ride out the daemon's batch commit, short enough
	 * that an agent at a prompt is not left waiting. */
	{ "store", "busy_timeout_ms", CONFIG_INT, "5000", 0, 600000,
	  OFF(store_busy_timeout_ms) },
	/* ---- outbound ---- */
	{ "case", "desk_name", CONFIG_STR, "Case Desk", 1, 100,
	  OFF(case_desk_name) },
	{ "case", "escalation_address", CONFIG_EMAIL, NULL, 0, 0,
	  OFF(case_escalation_address) },
	{ "case", "secret_file", CONFIG_PATH, NULL, 0, 0,
	  OFF(case_secret_file) },
	{ "case", "templates", CONFIG_PATH, NULL, 0, 0,
	  OFF(case_templates) },
	/* One acknowledgement per sender per day is plenty. */
	{ "case", "ack_interval", CONFIG_INT, "86400", 0, 31536000,
	  OFF(case_ack_interval_secs) },
	/* Acknowledgements go to strangers: token buckets against backscatter
	 * (per sender address, per sender domain, the whole desk). */
	{ "case", "ack_per_address_hour", CONFIG_INT, "2", 0, 100000,
	  OFF(case_ack_per_address_hour) },
	{ "case", "ack_per_domain_hour", CONFIG_INT, "30", 0, 1000000,
	  OFF(case_ack_per_domain_hour) },
	{ "case", "ack_per_hour", CONFIG_INT, "60", 0, 10000000,
	  OFF(case_ack_per_hour) },
	/* The follow-up digest: once a day from this hour (local time). */
	{ "case", "digest_hour", CONFIG_INT, "7", 0, 23, OFF(case_digest_hour) },
	{ "case", "stale_days", CONFIG_INT, "7", 1, 3650, OFF(case_stale_days) },
	/* Times shown to people (casectl's text, templates, the digest);
	 * unset: the system's zone.  Checked in config_check.c. */
	{ "case", "timezone", CONFIG_STR, NULL, 1, 64, OFF(case_timezone) },
	/* Ownership: who owns a case an agent opens, and how many owners. */
	{ "case", "creator_owns", CONFIG_BOOL, "yes", 0, 0,
	  OFF(case_creator_owns) },
	{ "case", "sides", CONFIG_ENUM, "two", 0, 0,
	  OFFC(case_sides, "two|none") },
	{ "case", "desk_lead", CONFIG_EMAIL, NULL, 0, 0, OFF(case_desk_lead) },
	{ "smtp", "url", CONFIG_STR, NULL, 1, 255, OFF(smtp_url) },
	{ "smtp", "tls", CONFIG_ENUM, "url", 0, 0,
	  OFFC(smtp_tls, "url|starttls") },
	{ "smtp", "tls_verify", CONFIG_BOOL, "yes", 0, 0, OFF(smtp_tls_verify) },
	/* smtp:// with tls = url (STARTTLS only if offered) to another host:
	 * refused unless. */
	{ "smtp", "allow_cleartext", CONFIG_BOOL, "no", 0, 0,
	  OFF(smtp_allow_cleartext) },
	{ "smtp", "ca_file", CONFIG_PATH, NULL, 0, 0, OFF(smtp_ca_file) },
	{ "smtp", "user", CONFIG_STR, NULL, 1, 255, OFF(smtp_user) },
	{ "smtp", "password_file", CONFIG_PATH, NULL, 0, 0,
	  OFF(smtp_password_file) },
	{ "smtp", "from", CONFIG_EMAIL, NULL, 0, 0, OFF(smtp_from) },
	{ "smtp", "timeout", CONFIG_INT, "60", 1, 3600, OFF(smtp_timeout_secs) },
	/* Three days of retries, then the mail is given up and the case says so. */
	{ "smtp", "max_age", CONFIG_INT, "259200", 60, 31536000,
	  OFF(smtp_max_age_secs) },
	/* First retry after this; each next waits twice as long, up to 1 h. */
	{ "smtp", "retry_min", CONFIG_INT, "60", 1, 3600,
	  OFF(smtp_retry_min_secs) },
	/* Parallel sessions to the server; fewer when it refuses more. */
	{ "smtp", "sessions", CONFIG_INT, "2", 1, 8, OFF(smtp_sessions) },
	/* How long a claimed mail is a sender's alone (renewed as it sends). */
	{ "smtp", "lease", CONFIG_INT, "300", 30, 86400, OFF(smtp_lease_secs) },
	{ "smtp", "max_attach_bytes", CONFIG_INT, "10485760", 0, 1073741824,
	  OFF(smtp_max_attach_bytes) },
	/* Past this many recipients a notification names the files only. */
	{ "smtp", "max_attach_notifications", CONFIG_INT, "50", 0, 100000,
	  OFF(smtp_max_attach_notifications) },
	/* Token buckets: a loop can never flood anyone. */
	{ "smtp", "limit_per_case_hour", CONFIG_INT, "10", 1, 100000,
	  OFF(smtp_limit_per_case_hour) },
	{ "smtp", "limit_global_hour", CONFIG_INT, "1000", 1, 10000000,
	  OFF(smtp_limit_global_hour) },
	/* A bouncing mark stops notifications; after this many days without
	 * a new delivery report it expires (a full mailbox empties). */
	{ "smtp", "bounce_clear_days", CONFIG_INT, "7", 1, 365,
	  OFF(smtp_bounce_clear_days) },
	{ "smtp", "auth", CONFIG_ENUM, "password", 0, 0,
	  OFFC(smtp_auth, "password|oauth2") },
	/* ---- oauth2: checked and completed by config_oauth2.c ---- */
	{ "oauth2", "provider", CONFIG_STR, NULL, 1, 32,
	  OFF(oauth2_provider_word) },
	{ "oauth2", "grant", CONFIG_STR, NULL, 1, 32, OFF(oauth2_grant_word) },
	{ "oauth2", "tenant", CONFIG_STR, NULL, 1, 255, OFF(oauth2_tenant) },
	{ "oauth2", "client_id", CONFIG_STR, NULL, 1, 255,
	  OFF(oauth2_client_id) },
	{ "oauth2", "client_secret_file", CONFIG_PATH, NULL, 0, 0,
	  OFF(oauth2_client_secret_file) },
	{ "oauth2", "scopes", CONFIG_STR, NULL, 1, 1024, OFF(oauth2_scopes) },
	/* URLs go into requests whole: as long as a browser takes. */
	{ "oauth2", "token_url", CONFIG_STR, NULL, 1, 2048,
	  OFF(oauth2_token_url) },
	{ "oauth2", "device_url", CONFIG_STR, NULL, 1, 2048,
	  OFF(oauth2_device_url) },
	{ "oauth2", "authorize_url", CONFIG_STR, NULL, 1, 2048,
	  OFF(oauth2_authorize_url) },
	{ "oauth2", "refresh_token_file", CONFIG_PATH,
	  "/var/lib/casemail/oauth2-refresh-token", 0, 0,
	  OFF(oauth2_refresh_token_file) },
	{ "oauth2", "state_file", CONFIG_PATH, NULL, 0, 0,
	  OFF(oauth2_state_file) },
	{ "oauth2", "user", CONFIG_STR, NULL, 1, 255, OFF(oauth2_user) },
	{ "oauth2", "tls_ca_file", CONFIG_PATH, NULL, 0, 0,
	  OFF(oauth2_tls_ca_file) },
	{ "oauth2", "admin", CONFIG_EMAIL, NULL, 0, 0, OFF(oauth2_admin) },
	/* ---- trust ---- */
	/* Companies whose colleagues may post to each other's cases:
	 * checked by config_check_together() (config_check.c). */
	{ "trust", "partner_domains", CONFIG_LIST, "", 0, 0,
	  OFF(trust_partner_domains) },
	/* ---- trust: whose word proves a sender (trust.h) ---- */
	/* Items: an authserv-id is a host name in practice (RFC 8601
	 * 2.5), at most CONFIG_AUTHSERV_ID_MAX bytes. */
	{ "trust", "authserv_ids", CONFIG_LIST, "", 0, 0,
	  OFF(trust_authserv_ids) },
	{ "trust", "trust_topmost", CONFIG_BOOL, "no", 0, 0,
	  OFF(trust_topmost) },
	{ "trust", "dkim_key_file", CONFIG_PATH, NULL, 0, 0,
	  OFF(trust_dkim_key_file) },
	{ "trust", "dkim_verify", CONFIG_BOOL, "yes", 0, 0,
	  OFF(trust_dkim_verify) },
	/* A key lookup runs on the store thread: a dead resolver must not
	 * hold a batch for long. */
	{ "trust", "dkim_timeout", CONFIG_INT, "5", 1, 60,
	  OFF(trust_dkim_timeout_secs) },
	/* ---- casemail-web (web_main.c) ---- */
	/* host:port, an IPv4 or [IPv6] address; loopback unless allow_remote:
	 * TLS is a reverse proxy's job. */
	{ "web", "listen", CONFIG_STR, "127.0.0.1:8080", 3, 64,
	  OFF(web_listen) },
	{ "web", "allow_remote", CONFIG_BOOL, "no", 0, 0,
	  OFF(web_allow_remote) },
	/* A single sign-on proxy's address; only its requests may name the
	 * agent in trusted_header. */
	{ "web", "trusted_proxy", CONFIG_STR, NULL, 2, 64,
	  OFF(web_trusted_proxy) },
	{ "web", "trusted_header", CONFIG_STR, "X-Remote-User", 1, 64,
	  OFF(web_trusted_header) },
	/* A working day by default; at most 30 days. */
	{ "web", "session_ttl", CONFIG_INT, "28800", 300, 2592000,
	  OFF(web_session_ttl_secs) },
	{ "web", "secure_cookies", CONFIG_BOOL, "yes", 0, 0,
	  OFF(web_secure_cookies) },
	/* A request body (a form, an API call) is typed, not uploaded: a
	 * note is at most 1 MiB; 64 MiB would be a file dump. */
	{ "web", "max_body", CONFIG_INT, "1048576", 1024, 67108864,
	  OFF(web_max_body_bytes) },
	/* Sign-in limits (web_limit.c, in memory): failures per account and
	 * per client address within login_window; client 0: no such limit
	 * (behind a reverse proxy every client has the proxy's address). */
	{ "web", "login_failures", CONFIG_INT, "5", 1, 1000,
	  OFF(web_login_failures) },
	{ "web", "login_client_failures", CONFIG_INT, "20", 0, 100000,
	  OFF(web_login_client_failures) },
	{ "web", "login_window", CONFIG_INT, "900", 10, 86400,
	  OFF(web_login_window_secs) },
	/* ---- service levels (slaconf.h; checked by config_check.c) ---- */
	/* Business hours are in [case] timezone; [case] desk_lead is
	 * warned of breaches too (both keys are above). */
	{ "sla", "first_response", CONFIG_LIST, "", 0, 0,
	  OFF(sla_first_response) },
	{ "sla", "resolution", CONFIG_LIST, "", 0, 0, OFF(sla_resolution) },
	{ "sla", "hours", CONFIG_LIST, "mon-fri 08:00-18:00", 0, 0,
	  OFF(sla_hours) },
	{ "sla", "holidays", CONFIG_LIST, "", 0, 0, OFF(sla_holidays) },
	/* 0: no early warning, only the one at the breach. */
	{ "sla", "warn_before", CONFIG_INT, "3600", 0, 604800,
	  OFF(sla_warn_before_secs) },
	{ "sla", "warn_per_hour", CONFIG_INT, "60", 1, 100000,
	  OFF(sla_warn_per_hour) },
	{ "sla", "check_interval", CONFIG_INT, "60", 1, 3600,
	  OFF(sla_check_interval_secs) },
};

#undef OFF
#undef OFFC

const char *
config_choose_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path != NULL)
		return explicit_path;
	env = getenv("CASEMAIL_CONFIG");
	if (env != NULL && env[0] != '\0')
		return env;
	return CONFIG_DEFAULT_PATH;
}

static int
config_bad(struct cm_error *err, const struct config *cfg,
	   const struct config_key *k, const char *why)
{
	return cm_error_set(err, CM_ECONFIG, "%s: [%s] %s: %s", cfg->path,
			    k->group, k->key, why);
}

static int
config_valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
		    *p == ',' || *p == '"' || (unsigned char)*p == 0x7f)
			return 0;
	return 1;
}

static int
config_set_list(struct config *cfg, const struct config_key *k,
		const char *value, struct cm_error *err)
{
	char **items = strv_split_list(value);
	GPtrArray *out = g_ptr_array_new();

	for (char **p = items; *p != NULL; p++) {
		char *item = *p;

		if (strcmp(k->key, "organization_domains") == 0 ||
		    strcmp(k->key, "partner_domains") == 0 ||
		    strcmp(k->key, "authserv_ids") == 0) {
			char *low = g_ascii_strdown(item, -1);
			g_ptr_array_add(out, low);
		} else {
			g_ptr_array_add(out, g_strdup(item));
		}
	}
	g_strfreev(items);
	if (strcmp(k->key, "types") == 0 && out->len == 0) {
		g_ptr_array_free(out, TRUE);
		return config_bad(err, cfg, k, "the list must not be empty");
	}
	g_ptr_array_add(out, NULL);
	*(char ***)((char *)cfg + k->offset) =
		(char **)g_ptr_array_free(out, FALSE);
	return 0;
}

static int
config_set_int(struct config *cfg, const struct config_key *k,
	       const char *value, struct cm_error *err)
{
	char *end = NULL;
	long v;
	char why[160];

	v = strtol(value, &end, 10);
	if (end == value || *end != '\0' || v < k->min || v > k->max) {
		snprintf(why, sizeof(why),
			 "'%s' is not an integer between %ld and %ld", value,
			 k->min, k->max);
		return config_bad(err, cfg, k, why);
	}
	*(int *)((char *)cfg + k->offset) = (int)v;
	return 0;
}

static int
config_set_bool(struct config *cfg, const struct config_key *k,
		const char *value, struct cm_error *err)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	int *slot = (int *)((char *)cfg + k->offset);

	for (int i = 0; yes[i] != NULL; i++) {
		if (g_ascii_strcasecmp(value, yes[i]) == 0) {
			*slot = 1;
			return 0;
		}
		if (g_ascii_strcasecmp(value, no[i]) == 0) {
			*slot = 0;
			return 0;
		}
	}
	return config_bad(err, cfg, k, "expected yes or no");
}

static int
config_set_enum(struct config *cfg, const struct config_key *k,
		const char *value, struct cm_error *err)
{
	char **words = g_strsplit(k->choices, "|", -1);
	char why[200];
	int found = 0;

	/* The enum's constants follow the order of the choices (config.h). */
	for (int i = 0; words[i] != NULL; i++)
		if (g_ascii_strcasecmp(words[i], value) == 0) {
			*(int *)(void *)((char *)cfg + k->offset) = i;
			found = 1;
		}
	g_strfreev(words);
	if (found)
		return 0;
	snprintf(why, sizeof(why), "'%s' is not one of %s", value, k->choices);
	return config_bad(err, cfg, k, why);
}

/*
 * "$CREDENTIALS_DIRECTORY/NAME": systemd's LoadCredential= puts the secret
 * there, readable only by the service, and the directory's path is known
 * only at run time.  Only a plain NAME is accepted, so the value can never
 * reach outside that directory.  Without the variable (casectl, or
 * "casemaild check" outside the service) the value stays as written and
 * only reading the secret fails (config_read_secret()).
 */
static int
config_set_credential(struct config *cfg, const struct config_key *k,
		      const char *value, struct cm_error *err)
{
	const char *name = value + strlen(CONFIG_CREDS_PREFIX);
	const char *dir = getenv("CREDENTIALS_DIRECTORY");

	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL)
		return config_bad(err, cfg, k,
				  "expected $CREDENTIALS_DIRECTORY/NAME with a "
				  "plain credential name");
	*(char **)((char *)cfg + k->offset) =
		dir != NULL && dir[0] == '/' ? g_build_filename(dir, name, NULL)
					     : g_strdup(value);
	return 0;
}

static int
config_set_value(struct config *cfg, const struct config_key *k,
		 const char *value, struct cm_error *err)
{
	char **slot = (char **)((char *)cfg + k->offset);
	char *dir;

	switch (k->type) {
	case CONFIG_INT:
		return config_set_int(cfg, k, value, err);
	case CONFIG_LIST:
		return config_set_list(cfg, k, value, err);
	case CONFIG_IDENT:
		for (const char *p = value; *p != '\0'; p++)
			if (!isalpha((unsigned char)*p))
				return config_bad(err, cfg, k,
						  "only letters are allowed");
		if ((long)strlen(value) < k->min || (long)strlen(value) > k->max)
			return config_bad(err, cfg, k,
					  "must be 1 to 8 letters");
		*slot = g_ascii_strup(value, -1);
		return 0;
	case CONFIG_EMAIL:
		if (!config_valid_email(value))
			return config_bad(err, cfg, k,
					  "not a plain mail address (user@domain)");
		*slot = g_strdup(value);
		return 0;
	case CONFIG_PATH:
		if (value[0] == '\0')
			return config_bad(err, cfg, k, "empty path");
		if (g_str_has_prefix(value, CONFIG_CREDS_PREFIX))
			return config_set_credential(cfg, k, value, err);
		if (g_path_is_absolute(value)) {
			*slot = g_strdup(value);
		} else {
			dir = g_path_get_dirname(cfg->path);
			*slot = g_build_filename(dir, value, NULL);
			g_free(dir);
		}
		return 0;
	case CONFIG_STR:
		if ((long)strlen(value) < k->min || (long)strlen(value) > k->max)
			return config_bad(err, cfg, k, value[0] == '\0' ?
					  "empty value" : "value too long");
		/* These go into protocol commands (host, IMAP mailbox names). */
		for (const char *p = value; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return config_bad(err, cfg, k,
						  "control characters are not allowed");
		*slot = g_strdup(value);
		return 0;
	case CONFIG_BOOL:
		return config_set_bool(cfg, k, value, err);
	case CONFIG_ENUM:
		return config_set_enum(cfg, k, value, err);
	}
	return cm_error_set(err, CM_EINTERNAL, "config: bad key type");
}

static const struct config_key *
config_find_key(const char *group, const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++)
		if (strcmp(config_keys[i].group, group) == 0 &&
		    strcmp(config_keys[i].key, key) == 0)
			return &config_keys[i];
	return NULL;
}

static int
config_group_known(const char *group)
{
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++)
		if (strcmp(config_keys[i].group, group) == 0)
			return 1;
	return 0;
}

/* Reject any group or key we do not know: a typo must not pass silently. */
static int
config_check_unknown(struct config *cfg, GKeyFile *kf, struct cm_error *err)
{
	char **groups = g_key_file_get_groups(kf, NULL);
	int rc = 0;

	for (char **g = groups; rc == 0 && *g != NULL; g++) {
		char **keys;

		/* [field.NAME]: checked key by key in config_fields.c. */
		if (config_fields_group(*g))
			continue;
		if (!config_group_known(*g)) {
			rc = cm_error_set(err, CM_ECONFIG,
					  "%s: [%s]: unknown group", cfg->path,
					  *g);
			break;
		}
		keys = g_key_file_get_keys(kf, *g, NULL, NULL);
		for (char **k = keys; k != NULL && *k != NULL; k++) {
			if (config_find_key(*g, *k) == NULL) {
				rc = cm_error_set(err, CM_ECONFIG,
						  "%s: [%s] %s: unknown key",
						  cfg->path, *g, *k);
				break;
			}
		}
		g_strfreev(keys);
	}
	g_strfreev(groups);
	return rc;
}

static int
config_read_file(struct config *cfg, GKeyFile *kf, struct cm_error *err)
{
	GError *gerr = NULL;

	if (!g_key_file_load_from_file(kf, cfg->path, G_KEY_FILE_NONE, &gerr)) {
		/* The first thing a new administrator meets: say where else
		 * a configuration can come from, and where to start one. */
		if (g_error_matches(gerr, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			cm_error_set(err, CM_ECONFIG, "%s: no such file; give "
				     "-c FILE or set $CASEMAIL_CONFIG, or start "
				     "from " CONFIG_EXAMPLE_PATH, cfg->path);
		else
			cm_error_set(err, CM_ECONFIG, "%s: %s", cfg->path,
				     gerr->message);
		g_error_free(gerr);
		return CM_ECONFIG;
	}
	return 0;
}

static char *
config_absolute(const char *path)
{
	char *cwd, *abs;

	if (g_path_is_absolute(path))
		return g_strdup(path);
	cwd = g_get_current_dir();
	abs = g_build_filename(cwd, path, NULL);
	g_free(cwd);
	return abs;
}

/* [case] templates, else the operator's copy in /etc, else the shipped one. */
static void
config_resolve_templates(struct config *cfg)
{
	if (cfg->case_templates != NULL)
		cfg->templates_dir = g_strdup(cfg->case_templates);
	else if (g_file_test(CONFIG_TEMPLATES_ETC, G_FILE_TEST_IS_DIR))
		cfg->templates_dir = g_strdup(CONFIG_TEMPLATES_ETC);
	else
		cfg->templates_dir = g_strdup(CONFIG_TEMPLATES_SHARE);
}

int
config_load(const char *path, struct config **cfg_r, struct cm_error *err)
{
	struct config *cfg = g_new0(struct config, 1);
	GKeyFile *kf = g_key_file_new();
	int rc;

	*cfg_r = NULL;
	cfg->path = config_absolute(path);
	rc = config_read_file(cfg, kf, err);
	if (rc == 0)
		rc = config_check_unknown(cfg, kf, err);
	for (size_t i = 0; rc == 0 && i < G_N_ELEMENTS(config_keys); i++) {
		const struct config_key *k = &config_keys[i];
		GError *gerr = NULL;
		char *v = g_key_file_get_string(kf, k->group, k->key, &gerr);

		/* A present key that GLib cannot read (a bad escape) is an
		 * error, not an absent key falling back to its default. */
		if (gerr != NULL &&
		    gerr->code != G_KEY_FILE_ERROR_KEY_NOT_FOUND &&
		    gerr->code != G_KEY_FILE_ERROR_GROUP_NOT_FOUND)
			rc = config_bad(err, cfg, k, gerr->message);
		g_clear_error(&gerr);
		if (rc != 0) {
			g_free(v);
			break;
		}
		if (v != NULL)
			g_strstrip(v);
		if (v != NULL || k->def != NULL)
			rc = config_set_value(cfg, k, v != NULL ? v : k->def,
					      err);
		g_free(v);
	}
	if (rc == 0)
		rc = config_fields_load(cfg, kf, err);
	g_key_file_free(kf);
	if (rc == 0)
		rc = config_check_together(cfg, err);
	if (rc == 0)
		rc = config_oauth2_resolve(cfg, err);
	if (rc != 0) {
		config_free(&cfg);
		return rc;
	}
	config_resolve_templates(cfg);
	*cfg_r = cfg;
	return 0;
}

void
config_free(struct config **cfgp)
{
	struct config *cfg = cfgp != NULL ? g_steal_pointer(cfgp) : NULL;

	if (cfg == NULL)
		return;
	/* Every allocated field is in the key table: free by type. */
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
		const struct config_key *k = &config_keys[i];
		void *slot = (char *)cfg + k->offset;

		if (k->type == CONFIG_LIST)
			g_strfreev(*(char ***)slot);
		else if (k->type != CONFIG_INT && k->type != CONFIG_BOOL &&
			 k->type != CONFIG_ENUM)
			g_free(*(char **)slot);
	}
	config_fields_free(cfg);
	g_free(cfg->path);
	g_free(cfg->templates_dir);
	g_free(cfg);
}

int
config_has_type(const struct config *cfg, const char *type)
{
	for (char **t = cfg->case_types; t != NULL && *t != NULL; t++)
		if (strcmp(*t, type) == 0)
			return 1;
	return 0;
}

int
config_is_org_address(const struct config *cfg, const char *address)
{
	const char *at;

	if (address == NULL || (at = strrchr(address, '@')) == NULL)
		return 0;
	/* a subdomain counts: "mail.example.com" for "example.com" */
	for (char **d = cfg->org_domains; d != NULL && *d != NULL; d++)
		if (addr_domain_in(at + 1, *d))
			return 1;
	return 0;
}
