/*
 * config_oauth2.c - the [oauth2] section as a whole: the provider and
 * grant words, each provider's endpoints and scopes where the file does
 * not name them, and the keys each grant cannot do without.  Run by
 * config_load() after every key was read on its own (config.c), so the
 * net layer (oauth2.h) finds a complete section and never guesses.
 */
#include "config_private.h"

#include <stdlib.h>
#include <string.h>

#define MS_LOGIN "https://login.microsoftonline.com/"
/* Microsoft's tenant words that name no tenant: fine for a user's
 * delegated login, useless for an application acting alone. */
#define MS_TENANT_ANY "organizations"

#define SCOPE_MS_APP "https://outlook.office365.com/.default"
#define SCOPE_MS_USER "offline_access " \
	"https://outlook.office.com/IMAP.AccessAsUser.All " \
	"https://outlook.office.com/SMTP.Send"
#define SCOPE_GOOGLE "https://mail.google.com/"

#define STATE_FILE_NAME "oauth2-state"
#define STATE_FILE_DEFAULT "/var/lib/casemail/" STATE_FILE_NAME

int
config_uses_oauth2(const struct config *cfg)
{
	return cfg->imap_auth == CONFIG_AUTH_OAUTH2 ||
	       cfg->smtp_auth == CONFIG_AUTH_OAUTH2;
}

const char *
config_oauth2_user(const struct config *cfg, int imap)
{
	if (cfg->oauth2_user != NULL)
		return cfg->oauth2_user;
	return imap ? cfg->imap_user : cfg->smtp_user;
}

/* A word of choices ("a|b|c") to its index, or -1. */
static int
oauth2_word(const char *word, const char *choices)
{
	char **w = g_strsplit(choices, "|", -1);
	int found = -1;

	for (int i = 0; w[i] != NULL; i++)
		if (g_ascii_strcasecmp(w[i], word) == 0)
			found = i;
	g_strfreev(w);
	return found;
}

/* Set *slot to a new copy of def when the file left it out. */
static void
oauth2_default(char **slot, const char *def)
{
	if (*slot == NULL && def != NULL)
		*slot = g_strdup(def);
}

static int
oauth2_words(struct config *cfg, struct cm_error *err)
{
	int i;

	if (cfg->oauth2_provider_word == NULL)
		return cm_error_set(err, CM_ECONFIG, "%s: [oauth2] provider: "
				    "needed when [imap] or [smtp] auth = oauth2 "
				    "(microsoft, google or generic)", cfg->path);
	i = oauth2_word(cfg->oauth2_provider_word, "microsoft|google|generic");
	if (i < 0)
		return cm_error_set(err, CM_ECONFIG, "%s: [oauth2] provider: "
				    "'%s' is not one of microsoft|google|generic",
				    cfg->path, cfg->oauth2_provider_word);
	cfg->oauth2_provider = (enum config_oauth2_provider)(i + 1);
	if (cfg->oauth2_grant_word == NULL) {
		/* An application secret means the service acts alone; a
		 * public client needs a person to log in once. */
		if (cfg->oauth2_provider == CONFIG_OAUTH2_GENERIC)
			return cm_error_set(err, CM_ECONFIG, "%s: [oauth2] "
					    "grant: needed with provider = "
					    "generic", cfg->path);
		cfg->oauth2_grant =
			cfg->oauth2_provider == CONFIG_OAUTH2_GOOGLE
				? CONFIG_GRANT_AUTHORIZATION_CODE
			: cfg->oauth2_client_secret_file != NULL
				? CONFIG_GRANT_CLIENT_CREDENTIALS
				: CONFIG_GRANT_DEVICE;
		return 0;
	}
	i = oauth2_word(cfg->oauth2_grant_word,
			"client_credentials|device|authorization_code");
	if (i < 0)
		return cm_error_set(err, CM_ECONFIG, "%s: [oauth2] grant: '%s' "
				    "is not one of client_credentials|device|"
				    "authorization_code", cfg->path,
				    cfg->oauth2_grant_word);
	cfg->oauth2_grant = (enum config_oauth2_grant)i;
	return 0;
}

/* A path in systemd's credentials directory (as written, or resolved
 * by config_set_credential()). */
static int
oauth2_is_credential(const char *path)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	size_t n = dir != NULL ? strlen(dir) : 0;

	return g_str_has_prefix(path, CONFIG_CREDS_PREFIX) ||
	       (n > 1 && strncmp(path, dir, n) == 0 && path[n] == '/');
}

/* The provider's endpoints and scopes for what the file left out. */
static void
oauth2_defaults(struct config *cfg)
{
	int app = cfg->oauth2_grant == CONFIG_GRANT_CLIENT_CREDENTIALS;
	char *dir;

	if (cfg->oauth2_provider == CONFIG_OAUTH2_MICROSOFT) {
		const char *t;
		char *base;

		oauth2_default(&cfg->oauth2_tenant, MS_TENANT_ANY);
		t = cfg->oauth2_tenant;
		base = g_strconcat(MS_LOGIN, t, "/oauth2/v2.0/", NULL);
		if (cfg->oauth2_token_url == NULL)
			cfg->oauth2_token_url = g_strconcat(base, "token", NULL);
		if (cfg->oauth2_device_url == NULL)
			cfg->oauth2_device_url = g_strconcat(base, "devicecode",
							     NULL);
		if (cfg->oauth2_authorize_url == NULL)
			cfg->oauth2_authorize_url = g_strconcat(base,
								"authorize",
								NULL);
		g_free(base);
		oauth2_default(&cfg->oauth2_scopes,
			       app ? SCOPE_MS_APP : SCOPE_MS_USER);
	} else if (cfg->oauth2_provider == CONFIG_OAUTH2_GOOGLE) {
		oauth2_default(&cfg->oauth2_token_url,
			       "https://oauth2.googleapis.com/token");
		oauth2_default(&cfg->oauth2_device_url,
			       "https://oauth2.googleapis.com/device/code");
		oauth2_default(&cfg->oauth2_authorize_url,
			       "https://accounts.google.com/o/oauth2/v2/auth");
		oauth2_default(&cfg->oauth2_scopes, SCOPE_GOOGLE);
	}
	/* Beside the refresh token, unless that is a (read-only) systemd
	 * credential: then where the default one would be. */
	if (cfg->oauth2_state_file == NULL &&
	    oauth2_is_credential(cfg->oauth2_refresh_token_file)) {
		cfg->oauth2_state_file = g_strdup(STATE_FILE_DEFAULT);
	} else if (cfg->oauth2_state_file == NULL) {
		dir = g_path_get_dirname(cfg->oauth2_refresh_token_file);
		cfg->oauth2_state_file = g_build_filename(dir, STATE_FILE_NAME,
							  NULL);
		g_free(dir);
	}
}

/* Scopes may be written with commas or spaces; requests want spaces. */
static void
oauth2_scopes_normal(struct config *cfg)
{
	char **w;
	GString *out;

	if (cfg->oauth2_scopes == NULL)
		return;
	w = g_strsplit_set(cfg->oauth2_scopes, ", \t", -1);
	out = g_string_new(NULL);
	for (char **p = w; *p != NULL; p++)
		if (**p != '\0')
			g_string_append_printf(out, "%s%s", out->len ? " " : "",
					       *p);
	g_strfreev(w);
	g_free(cfg->oauth2_scopes);
	cfg->oauth2_scopes = g_string_free(out, FALSE);
}

/* https://, or http:// to this machine only (as smtp:// cleartext):
 * the client secret and the tokens must not cross a network in clear. */
static int
oauth2_url_ok(const struct config *cfg, const char *key, const char *url,
	      struct cm_error *err)
{
	char *host = config_url_host(url);
	int ok = host != NULL &&
		 (g_ascii_strncasecmp(url, "https://", 8) == 0 ||
		  (g_ascii_strncasecmp(url, "http://", 7) == 0 &&
		   config_host_is_loopback(host)));

	g_free(host);
	if (ok)
		return 0;
	return cm_error_set(err, CM_ECONFIG, "%s: [oauth2] %s: '%s' is not an "
			    "https:// URL (http:// only to this machine)",
			    cfg->path, key, url);
}

static int
oauth2_need(const struct config *cfg, const char *key, const char *value,
	    const char *why, struct cm_error *err)
{
	if (value != NULL)
		return 0;
	return cm_error_set(err, CM_ECONFIG, "%s: [oauth2] %s: needed %s",
			    cfg->path, key, why);
}

/* What each grant cannot do without, and URLs that are safe to use. */
static int
oauth2_check(const struct config *cfg, struct cm_error *err)
{
	enum config_oauth2_grant g = cfg->oauth2_grant;
	const char *t = cfg->oauth2_tenant;
	int rc;

	rc = oauth2_need(cfg, "client_id", cfg->oauth2_client_id,
			 "for every grant", err);
	if (rc == 0)
		rc = oauth2_need(cfg, "token_url", cfg->oauth2_token_url,
				 "with provider = generic", err);
	if (rc == 0 && g == CONFIG_GRANT_CLIENT_CREDENTIALS)
		rc = oauth2_need(cfg, "client_secret_file",
				 cfg->oauth2_client_secret_file,
				 "with grant = client_credentials", err);
	if (rc == 0 && g == CONFIG_GRANT_DEVICE)
		rc = oauth2_need(cfg, "device_url", cfg->oauth2_device_url,
				 "with grant = device", err);
	if (rc == 0 && g == CONFIG_GRANT_AUTHORIZATION_CODE)
		rc = oauth2_need(cfg, "authorize_url",
				 cfg->oauth2_authorize_url,
				 "with grant = authorization_code", err);
	if (rc == 0 && g == CONFIG_GRANT_CLIENT_CREDENTIALS &&
	    cfg->oauth2_provider == CONFIG_OAUTH2_MICROSOFT &&
	    (g_ascii_strcasecmp(t, "organizations") == 0 ||
	     g_ascii_strcasecmp(t, "common") == 0 ||
	     g_ascii_strcasecmp(t, "consumers") == 0))
		rc = cm_error_set(err, CM_ECONFIG, "%s: [oauth2] tenant: "
				  "client_credentials needs the tenant's id or "
				  "domain, not '%s'", cfg->path, t);
	if (rc == 0 && cfg->oauth2_tenant != NULL &&
	    strpbrk(cfg->oauth2_tenant, "/?#%@ ") != NULL)
		rc = cm_error_set(err, CM_ECONFIG, "%s: [oauth2] tenant: '%s' "
				  "is not a tenant id or domain", cfg->path, t);
	if (rc == 0)
		rc = oauth2_url_ok(cfg, "token_url", cfg->oauth2_token_url, err);
	if (rc == 0 && g == CONFIG_GRANT_DEVICE)
		rc = oauth2_url_ok(cfg, "device_url", cfg->oauth2_device_url,
				   err);
	if (rc == 0 && g == CONFIG_GRANT_AUTHORIZATION_CODE)
		rc = oauth2_url_ok(cfg, "authorize_url",
				   cfg->oauth2_authorize_url, err);
	return rc;
}

/* Each side that logs in with OAuth2 must know whose mailbox it is. */
static int
oauth2_check_users(const struct config *cfg, struct cm_error *err)
{
	if (cfg->imap_auth == CONFIG_AUTH_OAUTH2 &&
	    config_oauth2_user(cfg, 1) == NULL)
		return cm_error_set(err, CM_ECONFIG, "%s: [imap] auth = oauth2: "
				    "set [imap] user or [oauth2] user",
				    cfg->path);
	if (cfg->smtp_auth == CONFIG_AUTH_OAUTH2 &&
	    config_oauth2_user(cfg, 0) == NULL)
		return cm_error_set(err, CM_ECONFIG, "%s: [smtp] auth = oauth2: "
				    "set [smtp] user or [oauth2] user",
				    cfg->path);
	if (cfg->smtp_auth == CONFIG_AUTH_OAUTH2 && cfg->smtp_url == NULL)
		return cm_error_set(err, CM_ECONFIG, "%s: [smtp] auth = oauth2: "
				    "set [smtp] url", cfg->path);
	return 0;
}

int
config_oauth2_resolve(struct config *cfg, struct cm_error *err)
{
	int rc;

	/* An [oauth2] section nobody uses is kept as written, unchecked:
	 * an admin may prepare it before switching auth over. */
	if (!config_uses_oauth2(cfg))
		return 0;
	if ((rc = oauth2_words(cfg, err)) != 0)
		return rc;
	oauth2_defaults(cfg);
	oauth2_scopes_normal(cfg);
	if ((rc = oauth2_check(cfg, err)) != 0)
		return rc;
	return oauth2_check_users(cfg, err);
}

const char *
config_oauth2_grant_text(const struct config *cfg)
{
	static const char *const words[] = {
		"client_credentials", "device", "authorization_code",
	};

	if (cfg->oauth2_grant_word != NULL)
		return words[cfg->oauth2_grant];
	if (cfg->oauth2_provider == CONFIG_OAUTH2_GOOGLE)
		return "authorization_code (default for google)";
	return cfg->oauth2_grant == CONFIG_GRANT_CLIENT_CREDENTIALS
		? "client_credentials (default for microsoft with a "
		  "client_secret_file)"
		: "device (default for microsoft without a "
		  "client_secret_file)";
}
