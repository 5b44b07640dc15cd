/*
 * oauth2.c - the token source (see casemail/oauth2.h): one access token
 * in memory, refreshed before it runs out and once more when a server
 * refuses it; a token endpoint that is down is asked again only after a
 * capped, doubling wait; a refused refresh token is never sent again,
 * and the file is read at each call so that a new login is picked up
 * without a restart.  Each change of state is one log line and one
 * rewrite of the state file.
 */
#include "oauth2_private.h"

#include <string.h>
#include <time.h>

#include "casemail/log.h"
#include "casemail/timeutil.h"

struct oauth2 {
	const struct config *cfg;
	GMutex lock;
	char *access;             /* the access token, or NULL */
	int64_t issued, expires;  /* Unix seconds */
	int64_t last_refresh;
	enum oauth2_state state;
	char last_error[CM_ERROR_MSG_MAX];
	int failures;             /* in a row, for the backoff */
	int64_t next_try;         /* while down: not before this */
	char *refused_sum;        /* SHA-256 of the refused refresh token */
	int save_failed;          /* a rotated token could not be saved */
};

/* The wall clock, not time_now(): token lifetimes are the server's
 * real seconds, whatever a test pins the case clock to. */
static int64_t
oauth2_now(void)
{
	return (int64_t)time(NULL);
}

int
oauth2_needs_refresh(int64_t now, int64_t issued, int64_t expires)
{
	int64_t margin = MAX(OAUTH2_REFRESH_MARGIN_SECS, (expires - issued) / 10);

	return expires - now <= margin;
}

int
oauth2_backoff_secs(int failures)
{
	int secs = OAUTH2_BACKOFF_MIN_SECS;

	for (int i = 1; i < failures && secs < OAUTH2_BACKOFF_MAX_SECS; i++)
		secs *= 2;
	return MIN(secs, OAUTH2_BACKOFF_MAX_SECS);
}

const char *
oauth2_state_name(enum oauth2_state state)
{
	static const char *const names[] = {
		"none", "valid", "down", "rejected", "no-login", "error",
	};

	return names[state];
}

char *
oauth2_xoauth2_string(const char *user, const char *token)
{
	return g_strdup_printf("user=%s\001auth=Bearer %s\001\001", user, token);
}

/* The last refresh survives a restart: the state file remembers it. */
static int64_t
oauth2_last_refresh(const struct config *cfg)
{
	struct cm_error err = { 0 };
	GHashTable *state = NULL;
	const char *v;
	int64_t t = 0;

	if (oauth2_state_read(cfg, &state, &err) != 0)
		return 0;
	v = g_hash_table_lookup(state, "last_refresh");
	if (v == NULL || strcmp(v, "never") == 0 ||
	    time_parse(v, oauth2_now(), &t, &err) != 0)
		t = 0;
	g_hash_table_unref(state);
	return t;
}

struct oauth2 *
oauth2_new(const struct config *cfg)
{
	struct oauth2 *o = g_new0(struct oauth2, 1);

	o->cfg = cfg;
	g_mutex_init(&o->lock);
	if (cfg->oauth2_state_file != NULL)
		o->last_refresh = oauth2_last_refresh(cfg);
	return o;
}

void
oauth2_free(struct oauth2 **op)
{
	struct oauth2 *o = op != NULL ? g_steal_pointer(op) : NULL;

	if (o == NULL)
		return;
	oauth2_secret_free(&o->access);
	g_free(o->refused_sum);
	g_mutex_clear(&o->lock);
	g_free(o);
}

/* ---- states ------------------------------------------------------------ */

/* A new state: one log line when it changed, and the state file. */
static void
oauth2_enter(struct oauth2 *o, enum oauth2_state st, const char *why)
{
	char until[64] = "";
	int changed = st != o->state;

	o->state = st;
	if (st == OAUTH2_STATE_VALID) {
		o->last_error[0] = '\0';
		o->failures = 0;
		time_format_iso(o->expires, until, sizeof(until));
	} else {
		g_strlcpy(o->last_error, why, sizeof(o->last_error));
	}
	oauth2_state_write(o->cfg, oauth2_state_name(st),
			   st == OAUTH2_STATE_VALID ? o->expires : 0,
			   o->last_refresh, o->last_error);
	if (!changed)
		return;
	switch (st) {
	case OAUTH2_STATE_VALID:
		log_info("oauth2: access token obtained (valid until %s)",
			 until);
		break;
	case OAUTH2_STATE_REJECTED:
	case OAUTH2_STATE_NO_LOGIN:
		log_errx("%s", why);
		break;
	default:
		log_warnx("%s", why);
		break;
	}
}

/* Endpoint trouble: wait before asking again, longer each time. */
static int
oauth2_down(struct oauth2 *o, enum oauth2_state st, int code,
	    const char *why, struct cm_error *err)
{
	int secs = oauth2_backoff_secs(++o->failures);
	char line[CM_ERROR_MSG_MAX], w[CM_ERROR_MSG_MAX];

	g_strlcpy(w, why, sizeof(w)); /* why may be err->msg */
	o->next_try = oauth2_now() + secs;
	g_snprintf(line, sizeof(line), "%s (asking again in %d s, then "
		   "less often)", w, secs);
	oauth2_enter(o, st, line);
	return cm_error_set(err, code, "%s", w);
}

static char *
oauth2_sum(const char *s)
{
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, s, -1);
}

/* The line the admin acts on: what was refused and what to run. */
static int
oauth2_rejected(struct oauth2 *o, const char *refresh,
		const struct oauth2_reply *r, struct cm_error *err)
{
	char why[CM_ERROR_MSG_MAX];

	g_free(o->refused_sum);
	o->refused_sum = oauth2_sum(refresh);
	g_snprintf(why, sizeof(why), "oauth2: refresh token rejected (%s%s%s): "
		   "run casectl oauth login", r->error,
		   r->error_description != NULL ? ": " : "",
		   r->error_description != NULL ? r->error_description : "");
	oauth2_secret_free(&o->access);
	oauth2_enter(o, OAUTH2_STATE_REJECTED, why);
	return cm_error_set(err, CM_EREFUSED, "%s", why);
}

/* ---- asking the endpoint ------------------------------------------------ */

/*
 * The refresh token from its file into *refresh_r; CM_EREFUSED without
 * one (never logged in) or when it is the one already refused (nothing
 * is sent then: the server would only refuse it again).
 */
static int
oauth2_load_refresh(struct oauth2 *o, char **refresh_r, struct cm_error *err)
{
	const char *path = o->cfg->oauth2_refresh_token_file;
	char why[CM_ERROR_MSG_MAX], *sum;
	int rc;

	*refresh_r = NULL;
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_snprintf(why, sizeof(why), "oauth2: no refresh token in %s: "
			   "run casectl oauth login", path);
		oauth2_enter(o, OAUTH2_STATE_NO_LOGIN, why);
		return cm_error_set(err, CM_EREFUSED, "%s", why);
	}
	if ((rc = config_read_secret(path, refresh_r, err)) != 0)
		return oauth2_down(o, OAUTH2_STATE_ERROR, rc, err->msg, err);
	if (!oauth2_token_ok(*refresh_r)) {
		oauth2_secret_free(refresh_r);
		g_snprintf(why, sizeof(why), "oauth2: %s holds no usable "
			   "refresh token: run casectl oauth login", path);
		oauth2_enter(o, OAUTH2_STATE_NO_LOGIN, why);
		return cm_error_set(err, CM_EREFUSED, "%s", why);
	}
	sum = oauth2_sum(*refresh_r);
	if (o->refused_sum != NULL && strcmp(sum, o->refused_sum) == 0) {
		g_free(sum);
		oauth2_secret_free(refresh_r);
		return cm_error_set(err, CM_EREFUSED, "%s", o->last_error);
	}
	g_free(sum);
	return 0;
}

/* A token reply taken in: the access token kept, a rotated refresh
 * token saved before anything else uses it. */
static int
oauth2_take(struct oauth2 *o, struct oauth2_reply *r, const char *refresh,
	    struct cm_error *err)
{
	int64_t now = oauth2_now();
	struct cm_error e = { 0 };

	if (r->refresh_token != NULL && g_strcmp0(r->refresh_token, refresh) != 0) {
		if (oauth2_save_refresh(o->cfg, r->refresh_token, &e) != 0) {
			/* The old one may stop working; the admin must know
			 * (once: a read-only credential fails every time). */
			if (!o->save_failed)
				log_errx("oauth2: rotated refresh token not "
					 "saved: %s", e.msg);
			o->save_failed = 1;
		} else {
			log_debug("oauth2: rotated refresh token saved to %s",
				  o->cfg->oauth2_refresh_token_file);
			o->save_failed = 0;
		}
	}
	oauth2_secret_free(&o->access);
	o->access = g_steal_pointer(&r->access_token);
	o->issued = now;
	o->expires = now + r->expires_in;
	o->last_refresh = now;
	g_clear_pointer(&o->refused_sum, g_free);
	oauth2_enter(o, OAUTH2_STATE_VALID, "");
	log_debug("oauth2: access token refreshed, lives %lld s",
		  (long long)r->expires_in);
	(void)err;
	return 0;
}

/* The server said no: which kind of no. */
static int
oauth2_refused(struct oauth2 *o, const char *refresh,
	       const struct oauth2_reply *r, struct cm_error *err)
{
	char why[CM_ERROR_MSG_MAX];

	if (refresh != NULL && strcmp(r->error, "invalid_grant") == 0)
		return oauth2_rejected(o, refresh, r, err);
	g_snprintf(why, sizeof(why), "oauth2: token endpoint refused: %s%s%s",
		   r->error, r->error_description != NULL ? ": " : "",
		   r->error_description != NULL ? r->error_description : "");
	/* Its own trouble (RFC 6749 5.2 has no code for it, but providers
	 * send these) passes; anything else is about our client. */
	if (strcmp(r->error, "temporarily_unavailable") == 0 ||
	    strcmp(r->error, "server_error") == 0)
		return oauth2_down(o, OAUTH2_STATE_DOWN, CM_ETEMP, why, err);
	return oauth2_down(o, OAUTH2_STATE_ERROR, CM_ECONFIG, why, err);
}

static int
oauth2_fetch(struct oauth2 *o, struct cm_error *err)
{
	const struct config *cfg = o->cfg;
	char *secret = NULL, *refresh = NULL;
	struct oauth2_reply r = { 0 };
	const char *form[8];
	size_t n = 0;
	int rc;

	if ((rc = oauth2_client_secret(cfg, &secret, err)) != 0)
		return oauth2_down(o, OAUTH2_STATE_ERROR, rc, err->msg, err);
	if (cfg->oauth2_grant == CONFIG_GRANT_CLIENT_CREDENTIALS) {
		form[n++] = "grant_type";
		form[n++] = "client_credentials";
	} else {
		if ((rc = oauth2_load_refresh(o, &refresh, err)) != 0)
			goto out;
		form[n++] = "grant_type";
		form[n++] = "refresh_token";
		form[n++] = "refresh_token";
		form[n++] = refresh;
	}
	if (cfg->oauth2_scopes != NULL) {
		form[n++] = "scope";
		form[n++] = cfg->oauth2_scopes;
	}
	form[n] = NULL;
	rc = oauth2_token_request(cfg, secret, form, &r, err);
	if (rc != 0)
		rc = oauth2_down(o, OAUTH2_STATE_DOWN, CM_ETEMP, err->msg, err);
	else if (r.error != NULL)
		rc = oauth2_refused(o, refresh, &r, err);
	else
		rc = oauth2_take(o, &r, refresh, err);
out:
	oauth2_reply_clear(&r);
	oauth2_secret_free(&secret);
	oauth2_secret_free(&refresh);
	return rc;
}

int
oauth2_token(struct oauth2 *o, const char *refused, char **token_r,
	     struct cm_error *err)
{
	int64_t now = oauth2_now();
	int rc = 0;

	*token_r = NULL;
	g_mutex_lock(&o->lock);
	/* Refused: drop it, unless another thread already replaced it. */
	if (refused != NULL && g_strcmp0(refused, o->access) == 0) {
		log_info("oauth2: the server refused the access token: "
			 "fetching a new one");
		oauth2_secret_free(&o->access);
	}
	if (o->access != NULL && !oauth2_needs_refresh(now, o->issued, o->expires))
		goto out;
	if ((o->state == OAUTH2_STATE_DOWN || o->state == OAUTH2_STATE_ERROR) &&
	    now < o->next_try) {
		rc = cm_error_set(err, o->state == OAUTH2_STATE_DOWN ? CM_ETEMP
				  : CM_ECONFIG, "%s", o->last_error);
		goto out;
	}
	rc = oauth2_fetch(o, err);
out:
	if (rc == 0)
		*token_r = g_strdup(o->access);
	g_mutex_unlock(&o->lock);
	return rc;
}

enum oauth2_state
oauth2_describe(struct oauth2 *o, char *buf, size_t size)
{
	enum oauth2_state st;
	char until[64];

	g_mutex_lock(&o->lock);
	st = o->state;
	if (st == OAUTH2_STATE_VALID) {
		time_format_iso(o->expires, until, sizeof(until));
		g_snprintf(buf, size, "token valid until %s", until);
	} else if (st == OAUTH2_STATE_NONE) {
		g_strlcpy(buf, "no token yet", size);
	} else {
		g_strlcpy(buf, o->last_error, size);
	}
	g_mutex_unlock(&o->lock);
	return st;
}

/* ---- the process's shared sources -------------------------------------- */

static GMutex shared_lock;
static GPtrArray *shared;

struct oauth2 *
oauth2_shared(const struct config *cfg)
{
	struct oauth2 *o = NULL;

	g_mutex_lock(&shared_lock);
	if (shared == NULL)
		shared = g_ptr_array_new();
	for (guint i = 0; i < shared->len && o == NULL; i++)
		if (((struct oauth2 *)shared->pdata[i])->cfg == cfg)
			o = shared->pdata[i];
	if (o == NULL) {
		o = oauth2_new(cfg);
		g_ptr_array_add(shared, o);
	}
	g_mutex_unlock(&shared_lock);
	return o;
}

void
oauth2_shared_clear(void)
{
	g_mutex_lock(&shared_lock);
	for (guint i = 0; shared != NULL && i < shared->len; i++) {
		struct oauth2 *o = shared->pdata[i];

		oauth2_free(&o);
	}
	if (shared != NULL)
		g_ptr_array_free(shared, TRUE);
	shared = NULL;
	g_mutex_unlock(&shared_lock);
}
