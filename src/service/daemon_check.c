/*
 * daemon_check.c - what casemaild check adds for the logins: the [oauth2]
 * files looked at without contacting anyone, and with --connect a real
 * login to IMAP and SMTP, each reported on its own line.
 */
#include "casemail/daemon.h"

#include <string.h>
#include <unistd.h>

#include "casemail/fetch.h"
#include "casemail/log.h"
#include "casemail/oauth2.h"
#include "casemail/outbox.h"

/* The secret's permissions, the refresh token's presence, a state file
 * the service can write: all offline. */
static int
check_oauth2_files(const struct config *cfg, struct cm_error *err)
{
	char *secret = NULL, *dir;
	int rc = 0;

	if (cfg->oauth2_client_secret_file != NULL)
		rc = config_read_secret(cfg->oauth2_client_secret_file, &secret,
					err);
	oauth2_secret_free(&secret);
	if (rc != 0)
		return rc;
	if (cfg->oauth2_grant != CONFIG_GRANT_CLIENT_CREDENTIALS &&
	    access(cfg->oauth2_refresh_token_file, F_OK) != 0)
		log_warnx("[oauth2] refresh_token_file %s: no refresh token yet:"
			  " run casectl oauth login (as the service's user)",
			  cfg->oauth2_refresh_token_file);
	dir = g_path_get_dirname(cfg->oauth2_state_file);
	if (access(dir, W_OK) != 0)
		log_warnx("[oauth2] state_file %s: its directory is not "
			  "writable: casectl status will not show the token "
			  "state", cfg->oauth2_state_file);
	g_free(dir);
	log_info("[oauth2] provider %s, grant %s, token endpoint %s",
		 cfg->oauth2_provider_word, config_oauth2_grant_text(cfg),
		 cfg->oauth2_token_url);
	/* A forgotten or mistyped client_secret_file must not pass for the
	 * app-only access the admin meant. */
	if (cfg->oauth2_grant_word == NULL &&
	    cfg->oauth2_grant == CONFIG_GRANT_DEVICE)
		log_warnx("[oauth2] no client_secret_file: using the device "
			  "grant (a person must run casectl oauth login); set "
			  "grant = client_credentials and client_secret_file "
			  "for app-only access");
	return 0;
}

/* Without a server casemaild neither fetches nor sends: say so, since
 * nothing else will (casectl reply just queues). */
static void
check_servers(const struct config *cfg)
{
	if (cfg->imap_host == NULL || cfg->imap_user == NULL)
		log_warnx("[imap] %s not configured: casemaild will not fetch "
			  "mail (only 'casemaild ingest' stores any)",
			  cfg->imap_host == NULL ? "host" : "user");
	if (cfg->smtp_url == NULL)
		log_warnx("[smtp] url not configured: replies, escalations and "
			  "notifications stay queued in the outbox and are "
			  "never sent");
}

/* Log in to each configured server; 0 only when all of them worked. */
static int
check_connect(const struct config *cfg, struct cm_error *err)
{
	const char *how[] = { "password", "oauth2" };
	struct cm_error e = { 0 };
	struct imap *im = NULL;
	int rc = 0, r;

	if (cfg->imap_host != NULL) {
		r = fetch_connect(cfg, &im, &e);
		imap_close(&im);
		if (r == 0)
			log_info("check: imap %s: logged in as %s (%s)",
				 cfg->imap_host, cfg->imap_auth == CONFIG_AUTH_OAUTH2
				 ? config_oauth2_user(cfg, 1) : cfg->imap_user,
				 how[cfg->imap_auth]);
		else
			log_errx("check: imap: %s", e.msg);
		if (r != 0 && rc == 0) {
			rc = r;
			*err = e;
		}
	}
	if (cfg->smtp_url != NULL) {
		cm_error_clear(&e);
		r = outbox_check_smtp(cfg, &e);
		if (r == 0)
			log_info("check: smtp %s: logged in (%s)", cfg->smtp_url,
				 cfg->smtp_user != NULL || cfg->smtp_auth ==
				 CONFIG_AUTH_OAUTH2 ? how[cfg->smtp_auth]
				 : "no AUTH");
		else
			log_errx("check: %s", e.msg);
		if (r != 0 && rc == 0) {
			rc = r;
			*err = e;
		}
	}
	return rc;
}

int
daemon_check(const struct config *cfg, int connect, struct cm_error *err)
{
	int rc = 0;

	check_servers(cfg);
	if (config_uses_oauth2(cfg))
		rc = check_oauth2_files(cfg, err);
	if (rc == 0 && connect)
		rc = check_connect(cfg, err);
	oauth2_shared_clear();
	return rc;
}
