/*
 * oauth2_login.c - casectl oauth login: the one time a person takes part.
 * Device authorization (RFC 8628): show a URL and a code, poll the token
 * endpoint at the server's pace.  Authorization code with PKCE (RFC 7636)
 * and a loopback redirect (RFC 8252 7.3): listen on 127.0.0.1, show the
 * URL, take the one redirect whose state matches, exchange the code.
 * Either way the refresh token goes to refresh_token_file.
 */
#include "oauth2_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "casemail/random.h"

/* How long a login may take before we give up waiting. */
#define OAUTH2_LOGIN_TIMEOUT_SECS 600
/* RFC 8628 3.2: 5 s when the server does not say; slow_down adds 5. */
#define OAUTH2_DEVICE_INTERVAL_SECS 5
#define OAUTH2_SLOW_DOWN_SECS 5
#define OAUTH2_DEVICE_INTERVAL_MAX_SECS 60
/* A browser's redirect request fits; anything longer is not one. */
#define OAUTH2_REQUEST_MAX 8192
/* A connection to the listener gets this long in all for its request
 * line; then it is dropped (a browser sends it at once). */
#define OAUTH2_REQUEST_WAIT_MS 10000
/* How much of a server's own text an error message shows. */
#define OAUTH2_SHOWN_MAX 200
/* Connections the loopback listener reads at once. */
#define OAUTH2_LISTEN_CONNS 8
/* RFC 7636 4.1: 32 random octets make a 43-character verifier. */
#define OAUTH2_VERIFIER_BYTES 32

/* ---- saving --------------------------------------------------------------- */

static int
login_save(const struct config *cfg, struct oauth2_reply *r, FILE *out,
	   struct cm_error *err)
{
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (r->refresh_token == NULL)
		return cm_error_set(err, CM_EREFUSED, "oauth2: the server gave "
				    "no refresh token (is offline access in "
				    "[oauth2] scopes?)");
	if ((rc = oauth2_save_refresh(cfg, r->refresh_token, err)) != 0)
		return rc;
	oauth2_state_write(cfg, "valid", now + r->expires_in, now, "");
	fprintf(out, "saved refresh token to %s\n",
		cfg->oauth2_refresh_token_file);
	fflush(out);
	return 0;
}

/* One token request of the login; secret read per request. */
static int
login_token(const struct config *cfg, const char *const *form,
	    struct oauth2_reply *r, struct cm_error *err)
{
	char *secret = NULL;
	int rc = oauth2_client_secret(cfg, &secret, err);

	if (rc == 0)
		rc = oauth2_token_request(cfg, secret, form, r, err);
	oauth2_secret_free(&secret);
	return rc;
}

static int
login_refused(const struct oauth2_reply *r, struct cm_error *err)
{
	return cm_error_set(err, CM_EREFUSED, "oauth2: login refused: %s%s%s",
			    r->error, r->error_description ? ": " : "",
			    r->error_description ? r->error_description : "");
}

/* ---- device authorization ------------------------------------------------- */

struct device_grant {
	char *device_code;
	char *user_code;
	char *uri;
	int64_t expires_in;
	int interval;
};

static void
device_grant_clear(struct device_grant *d)
{
	oauth2_secret_free(&d->device_code);
	g_free(d->user_code);
	g_free(d->uri);
}

static char *
device_member(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	if (n == NULL || JSON_NODE_TYPE(n) != JSON_NODE_VALUE ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return g_strdup(json_node_get_string(n));
}

static int
device_parse(const GString *body, struct device_grant *d, struct cm_error *err)
{
	JsonParser *p = json_parser_new();
	JsonObject *o;
	int rc = 0;

	if (!json_parser_load_from_data(p, body->str, (gssize)body->len, NULL) ||
	    json_parser_get_root(p) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		g_object_unref(p);
		return cm_error_set(err, CM_ETEMP, "oauth2: device endpoint "
				    "answered without JSON");
	}
	o = json_node_get_object(json_parser_get_root(p));
	d->device_code = device_member(o, "device_code");
	d->user_code = device_member(o, "user_code");
	/* Google spells it verification_url. */
	d->uri = device_member(o, "verification_uri");
	if (d->uri == NULL)
		d->uri = device_member(o, "verification_url");
	d->expires_in = oauth2_json_int(o, "expires_in",
					OAUTH2_LOGIN_TIMEOUT_SECS);
	/* A fraction of a second (test servers) is rounded up.  Never
	 * faster than once a second, never slower than a minute. */
	d->interval = (int)CLAMP(oauth2_json_int(o, "interval",
						 OAUTH2_DEVICE_INTERVAL_SECS),
				 1, OAUTH2_DEVICE_INTERVAL_MAX_SECS);
	if (d->expires_in <= 0 || d->expires_in > OAUTH2_LOGIN_TIMEOUT_SECS)
		d->expires_in = OAUTH2_LOGIN_TIMEOUT_SECS;
	/* Both are printed to a terminal: visible ASCII only (a hostile
	 * server must not send escape sequences). */
	if (!oauth2_token_ok(d->device_code) || !oauth2_token_ok(d->user_code) ||
	    !oauth2_token_ok(d->uri))
		rc = cm_error_set(err, CM_ETEMP, "oauth2: device endpoint "
				  "answered without a usable device_code, "
				  "user_code and verification_uri");
	g_object_unref(p);
	return rc;
}

static int
device_start(const struct config *cfg, struct device_grant *d,
	     struct cm_error *err)
{
	const char *form[] = { "client_id", cfg->oauth2_client_id,
			       cfg->oauth2_scopes != NULL ? "scope" : NULL,
			       cfg->oauth2_scopes, NULL };
	struct oauth2_http res = { 0 };
	int rc = oauth2_http_post(cfg->oauth2_device_url,
				  cfg->oauth2_tls_ca_file, form, &res, err);

	if (rc == 0 && res.status != 200) {
		/* The server's text goes to a terminal: cleaned. */
		char *text = oauth2_clean(res.body->str, OAUTH2_SHOWN_MAX);

		rc = cm_error_set(err, res.status >= 500 ? CM_ETEMP : CM_EREFUSED,
				  "oauth2: device endpoint answered HTTP %ld: "
				  "%s", res.status, text);
		g_free(text);
	}
	if (rc == 0)
		rc = device_parse(res.body, d, err);
	oauth2_http_clear(&res);
	return rc;
}

/* Poll at the server's pace until it says yes, no, or time is up. */
static int
device_poll(const struct config *cfg, struct device_grant *d, FILE *out,
	    struct cm_error *err)
{
	const char *form[] = {
		"grant_type", "urn:ietf:params:oauth:grant-type:device_code",
		"device_code", d->device_code, NULL,
	};
	int64_t deadline = (int64_t)time(NULL) + d->expires_in;
	struct oauth2_reply r = { 0 };
	int rc;

	while ((int64_t)time(NULL) < deadline) {
		g_usleep((gulong)d->interval * G_USEC_PER_SEC);
		rc = login_token(cfg, form, &r, err);
		if (rc == CM_ETEMP)
			continue; /* a network hiccup: ask again */
		if (rc != 0)
			return rc;
		if (r.error == NULL) {
			rc = login_save(cfg, &r, out, err);
			oauth2_reply_clear(&r);
			return rc;
		}
		if (strcmp(r.error, "slow_down") == 0)
			d->interval += OAUTH2_SLOW_DOWN_SECS;
		else if (strcmp(r.error, "authorization_pending") != 0) {
			rc = login_refused(&r, err);
			oauth2_reply_clear(&r);
			return rc;
		}
		oauth2_reply_clear(&r);
	}
	return cm_error_set(err, CM_EREFUSED, "oauth2: the code was not "
			    "entered in time");
}

static int
login_device(const struct config *cfg, FILE *out, struct cm_error *err)
{
	struct device_grant d = { 0 };
	int rc = device_start(cfg, &d, err);

	if (rc == 0) {
		fprintf(out, "open: %s\ncode: %s\n", d.uri, d.user_code);
		fflush(out);
		rc = device_poll(cfg, &d, out, err);
	}
	device_grant_clear(&d);
	return rc;
}

/* ---- authorization code with PKCE ----------------------------------------- */

/* RFC 4648 5 without padding, as RFC 7636 wants it. */
static char *
base64url(const guchar *data, gsize len)
{
	char *s = g_base64_encode(data, len);

	for (char *p = s; *p != '\0'; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	s[strcspn(s, "=")] = '\0';
	return s;
}

static char *
pkce_challenge(const char *verifier)
{
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
	guchar digest[32];
	gsize len = sizeof(digest);
	char *s;

	g_checksum_update(c, (const guchar *)verifier, (gssize)strlen(verifier));
	g_checksum_get_digest(c, digest, &len);
	g_checksum_free(c);
	s = base64url(digest, len);
	return s;
}

static int
listen_loopback(int port, int *fd_r, int *port_r, struct cm_error *err)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
		cm_error_set(err, CM_ETEMP, "oauth2: cannot listen on "
			     "127.0.0.1:%d: %s", port, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return CM_ETEMP;
	}
	*fd_r = fd;
	*port_r = ntohs(a.sin_port);
	return 0;
}

static void
reply_page(int fd, int status, const char *text)
{
	char *page = g_strdup_printf("HTTP/1.0 %d %s\r\nContent-Type: text/plain;"
				     " charset=utf-8\r\nConnection: close\r\n\r\n"
				     "casemail: %s\n", status,
				     status == 200 ? "OK" : "Bad Request", text);
	ssize_t n = write(fd, page, strlen(page));

	(void)n;
	g_free(page);
}

/*
 * The request line of one connection to the listener: 1 with *code_r
 * when it was the redirect we wait for, 0 to keep waiting, negative
 * when the server reports the login failed.
 */
static int
take_redirect(int fd, char *line, const char *state, char **code_r,
	      struct cm_error *err)
{
	GHashTable *params = NULL;
	const char *code, *got, *error, *why;
	char *q;
	int rc = 0;

	/* Only the callback path with a query may end the login. */
	if (!g_str_has_prefix(line, "GET /callback?")) {
		reply_page(fd, 400, "not the login redirect");
		return 0;
	}
	q = line + strlen("GET /callback?");
	q[strcspn(q, " ")] = '\0';
	params = g_uri_parse_params(q, -1, "&", G_URI_PARAMS_NONE, NULL);
	got = params != NULL ? g_hash_table_lookup(params, "state") : NULL;
	code = params != NULL ? g_hash_table_lookup(params, "code") : NULL;
	error = params != NULL ? g_hash_table_lookup(params, "error") : NULL;
	why = params != NULL ? g_hash_table_lookup(params,
						   "error_description") : NULL;
	/* Only the browser that began this login may end it (CSRF). */
	if (got == NULL || strcmp(got, state) != 0) {
		reply_page(fd, 400, "state does not match: start again");
	} else if (error != NULL) {
		/* The server's words go to a terminal: cleaned. */
		char *e = oauth2_clean(error, 64);
		char *d = oauth2_clean(why, OAUTH2_SHOWN_MAX);

		reply_page(fd, 400, "login refused");
		rc = cm_error_set(err, CM_EREFUSED, "oauth2: login refused: "
				  "%s%s%s", e, d[0] != '\0' ? ": " : "", d);
		g_free(e);
		g_free(d);
	} else if (code != NULL && oauth2_token_ok(code)) {
		reply_page(fd, 200, "login received, you may close this page");
		*code_r = g_strdup(code);
		rc = 1;
	} else {
		reply_page(fd, 400, "no code in the redirect");
	}
	if (params != NULL)
		g_hash_table_unref(params);
	return rc;
}

/* One connection to the listener, read until its request line. */
struct redirect_conn {
	int fd;           /* -1: a free slot */
	int64_t deadline; /* monotonic, us: dropped then */
	size_t len;
	char buf[OAUTH2_REQUEST_MAX + 1];
};

static void
conn_drop(struct redirect_conn *c)
{
	close(c->fd);
	c->fd = -1;
}

/* Take a new connection into a free slot; when all are taken the one
 * closest to its deadline makes room (a crowd of stray clients must
 * not keep the browser out). */
static void
conn_accept(int lfd, struct redirect_conn *c, int conn_ms)
{
	int fd = accept(lfd, NULL, NULL), slot = 0;

	if (fd < 0)
		return;
	for (int i = 1; i < OAUTH2_LISTEN_CONNS; i++)
		if (c[slot].fd >= 0 && (c[i].fd < 0 ||
					c[i].deadline < c[slot].deadline))
			slot = i;
	if (c[slot].fd >= 0)
		conn_drop(&c[slot]);
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c[slot].fd = fd;
	c[slot].len = 0;
	c[slot].deadline = g_get_monotonic_time() + (int64_t)conn_ms * 1000;
}

/* Read what c has sent; once its request line is in, answer it and
 * drop it (see take_redirect() for the result). */
static int
conn_read(struct redirect_conn *c, const char *state, char **code_r,
	  struct cm_error *err)
{
	ssize_t n = read(c->fd, c->buf + c->len, OAUTH2_REQUEST_MAX - c->len);
	char *eol;
	int rc = 0;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		conn_drop(c);
		return 0;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if ((eol = strstr(c->buf, "\r\n")) != NULL) {
		*eol = '\0';
		rc = take_redirect(c->fd, c->buf, state, code_r, err);
		conn_drop(c);
	} else if (c->len == OAUTH2_REQUEST_MAX || memchr(c->buf, '\0',
							   c->len) != NULL) {
		reply_page(c->fd, 400, "not the login redirect");
		conn_drop(c);
	}
	return rc;
}

int
oauth2_redirect_wait(int lfd, const char *state, int64_t deadline,
		     int conn_ms, char **code_r, struct cm_error *err)
{
	struct redirect_conn *c = g_new0(struct redirect_conn,
					 OAUTH2_LISTEN_CONNS);
	struct pollfd p[OAUTH2_LISTEN_CONNS + 1];
	int rc = 0;

	(void)fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	for (int i = 0; i < OAUTH2_LISTEN_CONNS; i++)
		c[i].fd = -1;
	while (rc == 0) {
		int64_t now = g_get_monotonic_time(), next = deadline;

		if (now >= deadline)
			break;
		p[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < OAUTH2_LISTEN_CONNS; i++) {
			if (c[i].fd >= 0 && c[i].deadline <= now)
				conn_drop(&c[i]); /* too slow: not a browser */
			if (c[i].fd >= 0)
				next = MIN(next, c[i].deadline);
			p[i + 1] = (struct pollfd){ .fd = c[i].fd,
						    .events = POLLIN };
		}
		if (poll(p, OAUTH2_LISTEN_CONNS + 1,
			 (int)((next - now + 999) / 1000)) <= 0)
			continue;
		for (int i = 0; i < OAUTH2_LISTEN_CONNS && rc == 0; i++)
			if (c[i].fd >= 0 && p[i + 1].revents != 0)
				rc = conn_read(&c[i], state, code_r, err);
		if (rc == 0 && (p[0].revents & POLLIN) != 0)
			conn_accept(lfd, c, conn_ms);
	}
	for (int i = 0; i < OAUTH2_LISTEN_CONNS; i++)
		if (c[i].fd >= 0)
			conn_drop(&c[i]);
	g_free(c);
	return rc;
}

/* Wait for the redirect on lfd until the login times out. */
static int
wait_redirect(int lfd, const char *state, char **code_r, struct cm_error *err)
{
	int rc = oauth2_redirect_wait(lfd, state, g_get_monotonic_time() +
				      OAUTH2_LOGIN_TIMEOUT_SECS * G_USEC_PER_SEC,
				      OAUTH2_REQUEST_WAIT_MS, code_r, err);

	if (rc == 0)
		return cm_error_set(err, CM_EREFUSED, "oauth2: no login came "
				    "back within %d s", OAUTH2_LOGIN_TIMEOUT_SECS);
	return rc > 0 ? 0 : rc;
}

static char *
authorize_url(const struct config *cfg, const char *redirect,
	      const char *state, const char *challenge)
{
	GString *u = g_string_new(cfg->oauth2_authorize_url);
	const char *pairs[] = {
		"response_type", "code", "client_id", cfg->oauth2_client_id,
		"redirect_uri", redirect, "state", state,
		"code_challenge", challenge, "code_challenge_method", "S256",
		"scope", cfg->oauth2_scopes, NULL,
	};

	g_string_append_c(u, strchr(u->str, '?') != NULL ? '&' : '?');
	for (size_t i = 0; pairs[i] != NULL && pairs[i + 1] != NULL; i += 2) {
		char *v = g_uri_escape_string(pairs[i + 1], NULL, FALSE);

		g_string_append_printf(u, "%s%s=%s", i ? "&" : "", pairs[i], v);
		g_free(v);
	}
	/* Google hands out a refresh token only when asked like this. */
	if (cfg->oauth2_provider == CONFIG_OAUTH2_GOOGLE)
		g_string_append(u, "&access_type=offline&prompt=consent");
	return g_string_free(u, FALSE);
}

static int
login_code(const struct config *cfg, int port, FILE *out, struct cm_error *err)
{
	guchar raw[OAUTH2_VERIFIER_BYTES];
	char state[33], *verifier, *challenge, *redirect = NULL, *url, *code = NULL;
	struct oauth2_reply r = { 0 };
	int lfd = -1, rc;

	if ((rc = listen_loopback(port, &lfd, &port, err)) != 0)
		return rc;
	random_bytes(raw, sizeof(raw));
	verifier = base64url(raw, sizeof(raw));
	challenge = pkce_challenge(verifier);
	random_hex(state, 16);
	redirect = g_strdup_printf("http://127.0.0.1:%d/callback", port);
	url = authorize_url(cfg, redirect, state, challenge);
	fprintf(out, "open: %s\n", url);
	fflush(out);
	rc = wait_redirect(lfd, state, &code, err);
	close(lfd);
	if (rc == 0) {
		const char *form[] = {
			"grant_type", "authorization_code", "code", code,
			"redirect_uri", redirect, "code_verifier", verifier, NULL,
		};

		rc = login_token(cfg, form, &r, err);
	}
	if (rc == 0)
		rc = r.error != NULL ? login_refused(&r, err)
				     : login_save(cfg, &r, out, err);
	oauth2_reply_clear(&r);
	oauth2_secret_free(&code);
	oauth2_secret_free(&verifier);
	g_free(challenge);
	g_free(redirect);
	g_free(url);
	return rc;
}

int
oauth2_login(const struct config *cfg, int port, FILE *out,
	     struct cm_error *err)
{
	if (!config_uses_oauth2(cfg))
		return cm_error_set(err, CM_EUSAGE, "neither [imap] auth nor "
				    "[smtp] auth is oauth2 in %s", cfg->path);
	if (cfg->oauth2_grant == CONFIG_GRANT_CLIENT_CREDENTIALS)
		return cm_error_set(err, CM_EUSAGE, "grant = client_credentials "
				    "needs no login: the service uses the client "
				    "secret itself");
	if (cfg->oauth2_grant == CONFIG_GRANT_DEVICE)
		return login_device(cfg, out, err);
	return login_code(cfg, port, out, err);
}
