/*
 * test_oauth2_login.c - casectl oauth login against hostile or careless
 * peers: a device endpoint's error body and a redirect's error are shown
 * cleaned (no escape sequence reaches the terminal); the loopback
 * listener is not held by silent, slow or stray local clients (the real
 * redirect still completes at once, only /callback with the right state
 * ends the login) and gives each connection one overall deadline.  The
 * endpoints are a canned HTTP server on 127.0.0.1 in a thread.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "casemail/oauth2.h"
#include "../../src/net/oauth2_private.h"

/* ---- a canned HTTP server ---------------------------------------------- */

struct fake {
	int lfd;
	int port;
	int status;        /* every answer's status ... */
	const char *body;  /* ... and body */
	volatile int stop;
	GThread *thread;
};

static int
listen_any(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Read a request's head and its Content-Length body, then answer. */
static void
fake_answer(struct fake *f, int fd)
{
	GString *in = g_string_new(NULL);
	char buf[4096], *head, *cl;
	char *out;
	ssize_t n;

	while ((head = strstr(in->str, "\r\n\r\n")) == NULL ||
	       ((cl = strstr(in->str, "Content-Length: ")) != NULL &&
		in->len < (size_t)(head + 4 - in->str) +
			  (size_t)atoi(cl + 16))) {
		if ((n = read(fd, buf, sizeof(buf))) <= 0)
			break;
		g_string_append_len(in, buf, n);
	}
	out = g_strdup_printf("HTTP/1.1 %d X\r\nContent-Type: application/json"
			      "\r\nContent-Length: %zu\r\nConnection: close"
			      "\r\n\r\n%s", f->status, strlen(f->body),
			      f->body);
	n = write(fd, out, strlen(out));
	(void)n;
	g_free(out);
	g_string_free(in, TRUE);
}

static gpointer
fake_run(gpointer data)
{
	struct fake *f = data;

	while (!f->stop) {
		struct pollfd p = { .fd = f->lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 100) <= 0 || (fd = accept(f->lfd, NULL, NULL)) < 0)
			continue;
		fake_answer(f, fd);
		close(fd);
	}
	return NULL;
}

static void
fake_start(struct fake *f, int status, const char *body)
{
	f->lfd = listen_any(&f->port);
	f->status = status;
	f->body = body;
	f->stop = 0;
	f->thread = g_thread_new("fake-oauth", fake_run, f);
}

static void
fake_stop(struct fake *f)
{
	f->stop = 1;
	g_thread_join(f->thread);
	close(f->lfd);
}

/* ---- a login against it ------------------------------------------------- */

struct login {
	char *dir;
	struct config *cfg;
	char *out_path;
	FILE *out;
	struct cm_error err;
	int rc;
	GThread *thread;
	char state[64];
	int port;          /* the listener's */
};

static void
login_config(struct login *l, struct fake *f, const char *grant)
{
	struct cm_error err = { 0 };
	char *text, *path;

	l->dir = testutil_tmpdir();
	text = g_strdup_printf("[case]\naddress = cases@desk.example\n[imap]\n"
			       "host = imap.example\nuser = box@desk.example\n"
			       "auth = oauth2\n[oauth2]\nprovider = generic\n"
			       "grant = %s\nclient_id = casemail-public\n"
			       "token_url = http://127.0.0.1:%d/token\n"
			       "device_url = http://127.0.0.1:%d/devicecode\n"
			       "authorize_url = http://127.0.0.1:%d/authorize\n"
			       "refresh_token_file = rt\nstate_file = st\n",
			       grant, f->port, f->port, f->port);
	path = testutil_write(l->dir, "casemail.conf", text);
	assert_int_equal(config_load(path, &l->cfg, &err), 0);
	l->out_path = g_build_filename(l->dir, "login.out", NULL);
	l->out = fopen(l->out_path, "w+");
	g_free(text);
	g_free(path);
}

static gpointer
login_run(gpointer data)
{
	struct login *l = data;

	l->rc = oauth2_login(l->cfg, 0, l->out, &l->err);
	return NULL;
}

/* Start an authorization code login; wait for its "open:" line and
 * take the state and the listener's port from the URL. */
static void
login_start(struct login *l)
{
	char *text = NULL, *p;

	l->thread = g_thread_new("login", login_run, l);
	for (int i = 0; i < 200; i++) {
		g_free(text);
		text = NULL;
		g_file_get_contents(l->out_path, &text, NULL, NULL);
		if (text != NULL && strchr(text, '\n') != NULL)
			break;
		g_usleep(10000);
	}
	assert_non_null(text);
	assert_non_null(p = strstr(text, "&state="));
	g_strlcpy(l->state, p + 7, sizeof(l->state));
	l->state[strcspn(l->state, "&\n")] = '\0';
	assert_non_null(p = strstr(text, "127.0.0.1%3A"));
	l->port = atoi(p + strlen("127.0.0.1%3A"));
	assert_true(l->port > 0);
	g_free(text);
}

static void
login_finish(struct login *l)
{
	if (l->thread != NULL)
		g_thread_join(l->thread);
	fclose(l->out);
	config_free(&l->cfg);
	g_free(l->out_path);
	testutil_rmdir(l->dir);
}

/* A connection to 127.0.0.1:port. */
static int
dial(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Send one request line to the listener; the status of its answer, or
 * 0 when none came within wait_ms. */
static int
ask(int port, const char *line, int wait_ms)
{
	char *req = g_strdup_printf("%s HTTP/1.1\r\nHost: x\r\n\r\n", line);
	int fd = dial(port), status = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[512] = "";
	ssize_t n;

	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	if (poll(&p, 1, wait_ms) > 0 && (n = read(fd, buf, sizeof(buf) - 1)) > 0
	    && sscanf(buf, "HTTP/1.0 %d", &status) != 1)
		status = -1;
	close(fd);
	g_free(req);
	return status;
}

/* Text a terminal shows as it is: valid UTF-8 with no control or
 * format character (ESC, CSI, DEL, bidi overrides, line breaks). */
static void
assert_printable(const char *s)
{
	const char *p;

	if (!g_utf8_validate(s, -1, NULL))
		fail_msg("not UTF-8: '%s'", s);
	for (p = s; *p != '\0'; p = g_utf8_next_char(p))
		if (!g_unichar_isprint(g_utf8_get_char(p)))
			fail_msg("U+%04X in '%s'", g_utf8_get_char(p), s);
}

/* ---- (a) server text is cleaned ----------------------------------------- */

static void
test_device_error_clean(void **state)
{
	struct fake f;
	struct login l = { 0 };

	(void)state;
	fake_start(&f, 400, "\x1b]0;owned\x07\x1b[2Jbad \xc2\x9b" "31m "
		   "re\xcc\x81quest \xe2\x80\xae\x7f\xff\r\nend");
	login_config(&l, &f, "device");
	assert_int_equal(oauth2_login(l.cfg, 0, l.out, &l.err), CM_EREFUSED);
	assert_non_null(strstr(l.err.msg, "HTTP 400"));
	assert_printable(l.err.msg);
	/* What was printable stays, accents included. */
	assert_non_null(strstr(l.err.msg, "]0;owned"));
	assert_non_null(strstr(l.err.msg, "re\xcc\x81quest"));
	assert_non_null(strstr(l.err.msg, "end"));
	login_finish(&l);
	fake_stop(&f);
}

static void
test_redirect_error_clean(void **state)
{
	struct fake f;
	struct login l = { 0 };
	char *line;

	(void)state;
	fake_start(&f, 500, "{}");
	login_config(&l, &f, "authorization_code");
	login_start(&l);
	line = g_strdup_printf("GET /callback?state=%s&error=access_denied"
			       "%%1B%%5B31m&error_description=no%%0D%%0Away"
			       "%%E2%%80%%AE%%C2%%9B", l.state);
	assert_int_equal(ask(l.port, line, 5000), 400);
	g_thread_join(l.thread);
	l.thread = NULL;
	assert_int_equal(l.rc, CM_EREFUSED);
	assert_printable(l.err.msg);
	assert_non_null(strstr(l.err.msg, "login refused: access_denied"));
	assert_non_null(strstr(l.err.msg, ": no  way"));
	g_free(line);
	login_finish(&l);
	fake_stop(&f);
}

/* ---- (b) the listener ----------------------------------------------------- */

/* Silent clients (more than the listener reads at once), a wrong path
 * and a wrong state do not end or delay the login; the real redirect
 * is answered at once and the login completes. */
static void
test_redirect_stray_clients(void **state)
{
	struct fake f;
	struct login l = { 0 };
	int silent[12];
	char *line, *rt = NULL;
	gint64 t0;

	(void)state;
	fake_start(&f, 200, "{\"access_token\":\"at-1\",\"token_type\":"
		   "\"Bearer\",\"expires_in\":3600,\"refresh_token\":"
		   "\"rt-login\"}");
	login_config(&l, &f, "authorization_code");
	login_start(&l);
	for (size_t i = 0; i < G_N_ELEMENTS(silent); i++)
		silent[i] = dial(l.port);
	t0 = g_get_monotonic_time();
	line = g_strdup_printf("GET /callbackx?state=%s&code=c1", l.state);
	assert_int_equal(ask(l.port, line, 3000), 400);
	g_free(line);
	line = g_strdup_printf("GET /other?state=%s&code=c1", l.state);
	assert_int_equal(ask(l.port, line, 3000), 400);
	g_free(line);
	assert_int_equal(ask(l.port, "GET /callback?state=0123&error=x", 3000),
			 400);
	line = g_strdup_printf("GET /callback?state=%s&code=c1", l.state);
	assert_int_equal(ask(l.port, line, 3000), 200);
	g_free(line);
	g_thread_join(l.thread);
	l.thread = NULL;
	/* Well within one connection's 10 s. */
	assert_true(g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC);
	if (l.rc != 0)
		fail_msg("login: %s", l.err.msg);
	assert_true(g_file_get_contents(l.cfg->oauth2_refresh_token_file, &rt,
					NULL, NULL));
	assert_non_null(strstr(rt, "rt-login"));
	for (size_t i = 0; i < G_N_ELEMENTS(silent); i++)
		close(silent[i]);
	g_free(rt);
	login_finish(&l);
	fake_stop(&f);
}

struct drip {
	int port;
	gint64 dropped; /* us after the first byte when the listener hung up */
};

/* Send one byte every 50 ms, never a line end, until the listener
 * hangs up (or 4 s pass). */
static gpointer
drip_run(gpointer data)
{
	struct drip *d = data;
	int fd = dial(d->port);
	gint64 t0 = g_get_monotonic_time();

	d->dropped = -1;
	while (g_get_monotonic_time() - t0 < 4 * G_USEC_PER_SEC) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char c;

		if (send(fd, "G", 1, MSG_NOSIGNAL) != 1 ||
		    (poll(&p, 1, 50) > 0 && recv(fd, &c, 1, 0) <= 0)) {
			d->dropped = g_get_monotonic_time() - t0;
			break;
		}
	}
	close(fd);
	return NULL;
}

/* One overall deadline per connection, and the login's own deadline
 * holds while a client keeps sending. */
static void
test_redirect_deadlines(void **state)
{
	struct cm_error err = { 0 };
	struct drip d = { 0 };
	char *code = NULL;
	int lfd = listen_any(&d.port);
	GThread *t = g_thread_new("drip", drip_run, &d);
	gint64 t0 = g_get_monotonic_time(), took;

	(void)state;
	assert_int_equal(oauth2_redirect_wait(lfd, "s", t0 + 1200 * 1000, 300,
					      &code, &err), 0);
	took = g_get_monotonic_time() - t0;
	g_thread_join(t);
	assert_null(code);
	assert_true(took >= 1200 * 1000 && took < 2 * G_USEC_PER_SEC);
	/* Dropped after its 300 ms, not after 4 s of dripping. */
	assert_true(d.dropped >= 250 * 1000 && d.dropped < 1000 * 1000);
	close(lfd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_error_clean),
		cmocka_unit_test(test_redirect_error_clean),
		cmocka_unit_test(test_redirect_stray_clients),
		cmocka_unit_test(test_redirect_deadlines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
