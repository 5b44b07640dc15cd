/*
 * test_imap.c - src/net/imap.c against a real Dovecot on 127.0.0.1.
 *
 * The fixture comes from tests/integration/dovecot.sh:
 *   dovecot.sh start DIR && IMAP_DIR=DIR ./test_imap; dovecot.sh stop DIR
 * IMAP_PORT and IMAPS_PORT come from the environment or from DIR/env.
 * Without IMAP_DIR the program exits 77 (skipped).
 *
 * Mailbox names carry the process id, so runs can share one fixture.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "casemail/imap.h"

static const char *fx_dir;
static int fx_imap_port;
static int fx_imaps_port;
static char *fx_cert;      /* DIR/cert.pem: the CA for the default cert */
static char *fx_wrong_ca;  /* DIR/wrong-ca.pem */
static char *fx_other;     /* DIR/other-cert.pem: CA for mail.invalid */
static char *fx_conf;      /* DIR/dovecot.conf for doveadm */

/* ---- fixture helpers ---- */

static int
env_port(GKeyFile *kf, const char *name)
{
	const char *v = getenv(name);
	char *s = NULL;
	int port;

	if (v == NULL && kf != NULL)
		v = s = g_key_file_get_string(kf, "env", name, NULL);
	port = v != NULL ? atoi(v) : 0;
	g_free(s);
	return port;
}

/* DIR/env is "KEY=value" lines: read it as the body of a key file group. */
static int
fixture_load(void)
{
	GKeyFile *kf = g_key_file_new();
	char *path, *text = NULL, *group;

	fx_dir = getenv("IMAP_DIR");
	if (fx_dir == NULL || fx_dir[0] == '\0')
		return -1;
	path = g_build_filename(fx_dir, "env", NULL);
	if (g_file_get_contents(path, &text, NULL, NULL)) {
		group = g_strconcat("[env]\n", text, NULL);
		if (!g_key_file_load_from_data(kf, group, (gsize)-1, 0, NULL)) {
			g_key_file_free(kf);
			kf = NULL;
		}
		g_free(group);
	}
	fx_imap_port = env_port(kf, "IMAP_PORT");
	fx_imaps_port = env_port(kf, "IMAPS_PORT");
	if (kf != NULL)
		g_key_file_free(kf);
	g_free(text);
	g_free(path);
	fx_cert = g_build_filename(fx_dir, "cert.pem", NULL);
	fx_wrong_ca = g_build_filename(fx_dir, "wrong-ca.pem", NULL);
	fx_other = g_build_filename(fx_dir, "other-cert.pem", NULL);
	fx_conf = g_build_filename(fx_dir, "dovecot.conf", NULL);
	return fx_imap_port > 0 && fx_imaps_port > 0 ? 0 : -1;
}

static struct imap_conf
conf_imaps(void)
{
	struct imap_conf c = { 0 };

	c.host = "127.0.0.1";
	c.port = fx_imaps_port;
	c.tls = IMAP_TLS_IMAPS;
	c.tls_verify = 1;
	c.ca_file = fx_cert;
	c.user = "test";
	c.password = "secret";
	c.timeout_secs = 10;
	return c;
}

static struct imap *
connect_ok(const struct imap_conf *c)
{
	struct cm_error err = { 0 };
	struct imap *im = NULL;

	if (imap_connect(c, &im, &err) != 0)
		fail_msg("imap_connect: %s", err.msg);
	assert_non_null(im);
	return im;
}

/* Expect code, and needle in the message. */
static void
connect_bad(const struct imap_conf *c, int code, const char *needle)
{
	struct cm_error err = { 0 };
	struct imap *im = NULL;
	int rc = imap_connect(c, &im, &err);

	if (rc != code || strstr(err.msg, needle) == NULL)
		fail_msg("want %d '%s', got %d '%s'", code, needle, rc, err.msg);
	print_message("    (%s)\n", err.msg);
	assert_null(im);
	assert_non_null(strstr(err.msg, "imap: "));
}

static char *
mailbox_name(const char *prefix)
{
	return g_strdup_printf("%s-%ld", prefix, (long)getpid());
}

/* Start argv[0] after delay_secs with stdin from in_path (may be NULL). */
static pid_t
spawn(char *const argv[], const char *in_path, unsigned delay_secs)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(in_path != NULL ? in_path : "/dev/null", O_RDONLY);

		if (delay_secs > 0)
			sleep(delay_secs);
		if (fd < 0 || dup2(fd, 0) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void
reap(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child %ld failed (status %d)", (long)pid, status);
}

static char *
write_msg(const char *data)
{
	char *path = g_strdup_printf("%s/msg-%ld-%u.eml", fx_dir, (long)getpid(),
				     g_random_int());

	assert_true(g_file_set_contents(path, data, -1, NULL));
	return path;
}

/* doveadm save, started after delay_secs; the caller reaps the pid. */
static pid_t
append_later(const char *user, const char *mailbox, const char *path,
	     unsigned delay_secs)
{
	char *argv[] = { "doveadm", "-c", fx_conf, "save", "-u", (char *)user,
			 "-m", (char *)mailbox, NULL };

	return spawn(argv, path, delay_secs);
}

static void
append(const char *user, const char *mailbox, const char *data)
{
	char *path = write_msg(data);

	reap(append_later(user, mailbox, path, 0));
	unlink(path);
	g_free(path);
}

static void
doveadm_flag_deleted(const char *user, const char *mailbox, uint32_t uid)
{
	char uidstr[16];
	char *argv[] = { "doveadm", "-c", fx_conf, "flags", "add", "-u",
			 (char *)user, "\\Deleted", "mailbox", (char *)mailbox,
			 "uid", uidstr, NULL };

	snprintf(uidstr, sizeof(uidstr), "%u", uid);
	reap(spawn(argv, NULL, 0));
}

/* The flags of one message, as doveadm prints them (caller frees). */
static char *
doveadm_flags(const char *user, const char *mailbox, uint32_t uid)
{
	char uidstr[16];
	char *argv[] = { "doveadm", "-c", fx_conf, "fetch", "-u", (char *)user,
			 "flags", "mailbox", (char *)mailbox, "uid", uidstr,
			 NULL };
	char *out = NULL;
	int status = 0;

	snprintf(uidstr, sizeof(uidstr), "%u", uid);
	assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
				 NULL, &out, NULL, &status, NULL));
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "flags:"));
	return out;
}

/* Number of messages, \Deleted ones included, as Dovecot counts them. */
static int
doveadm_count(const char *user, const char *mailbox)
{
	char *argv[] = { "doveadm", "-c", fx_conf, "-f", "flow", "mailbox",
			 "status", "-u", (char *)user, "messages",
			 (char *)mailbox, NULL };
	char *out = NULL;
	int status = 0, n = -1;

	assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
				 NULL, &out, NULL, &status, NULL));
	assert_int_equal(status, 0);
	if (out != NULL && strstr(out, "messages=") != NULL)
		n = atoi(strstr(out, "messages=") + strlen("messages="));
	g_free(out);
	return n;
}

/* A message with CRLF line ends, as IMAP returns it, so bytes compare. */
static char *
make_msg(int i, size_t body_lines)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "From: Sender %d <s%d@example.org>\r\n"
			       "To: cases@example.org\r\n"
			       "Subject: test message %d \xc3\xa9t\xc3\xa9\r\n"
			       "Message-ID: <m%d.%ld@example.org>\r\n"
			       "MIME-Version: 1.0\r\n"
			       "Content-Type: text/plain; charset=utf-8\r\n"
			       "Content-Transfer-Encoding: 8bit\r\n\r\n",
			       i, i, i, i, (long)getpid());
	for (size_t l = 0; l < body_lines; l++)
		g_string_append_printf(s, "line %zu of message %d: "
				       "gr\xc3\xbc\xc3\x9f" "e \t tab\r\n", l, i);
	return g_string_free(s, FALSE);
}

static void
assert_uids(GArray *a, size_t n, const uint32_t *want)
{
	if (a->len != n)
		fail_msg("want %zu uids, got %u", n, a->len);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(g_array_index(a, guint32, i), want[i]);
}

static GArray *
uids_after(struct imap *im, uint32_t after)
{
	struct cm_error err = { 0 };
	GArray *a = NULL;

	if (imap_uids_after(im, after, &a, &err) != 0)
		fail_msg("imap_uids_after: %s", err.msg);
	return a;
}

static void
check_uids_after(struct imap *im, uint32_t after, size_t n,
		 const uint32_t *want)
{
	GArray *a = uids_after(im, after);

	assert_uids(a, n, want);
	g_array_unref(a);
}

static void
select_ok(struct imap *im, const char *mailbox, uint32_t *validity_r,
	  uint32_t *uidnext_r)
{
	struct cm_error err = { 0 };
	uint32_t v = 0, next = 0;

	if (imap_select(im, mailbox, &v, &next, &err) != 0)
		fail_msg("imap_select %s: %s", mailbox, err.msg);
	assert_true(v != 0);
	if (validity_r != NULL)
		*validity_r = v;
	if (uidnext_r != NULL)
		*uidnext_r = next;
}

static void
ensure_ok(struct imap *im, const char *mailbox)
{
	struct cm_error err = { 0 };

	if (imap_ensure_mailbox(im, mailbox, &err) != 0)
		fail_msg("imap_ensure_mailbox %s: %s", mailbox, err.msg);
}

static void
move_ok(struct imap *im, const uint32_t *uids, size_t n, const char *mailbox)
{
	struct cm_error err = { 0 };

	if (imap_move(im, uids, n, mailbox, &err) != 0)
		fail_msg("imap_move: %s", err.msg);
}

/* ---- fetch collector ---- */

struct got {
	GArray *uids;
	GPtrArray *data;  /* GBytes */
	int stop_after;   /* return 42 after this many calls; 0: never */
};

static int
got_cb(uint32_t uid, const char *data, size_t len, void *ctx)
{
	struct got *g = ctx;

	g_array_append_val(g->uids, uid);
	g_ptr_array_add(g->data, g_bytes_new(data, len));
	return g->stop_after > 0 && (int)g->uids->len >= g->stop_after ? 42 : 0;
}

static void
got_init(struct got *g, int stop_after)
{
	g->uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	g->data = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g->stop_after = stop_after;
}

static void
got_free(struct got *g)
{
	g_array_unref(g->uids);
	g_ptr_array_unref(g->data);
}

static void
assert_bytes(struct got *g, guint i, const char *want)
{
	gsize len = 0;
	const char *data = g_bytes_get_data(g->data->pdata[i], &len);

	assert_int_equal(len, strlen(want));
	assert_memory_equal(data, want, len);
}

/* ---- a scripted fake server for what Dovecot will not do ---- */

struct fake {
	int port;
	pid_t pid;
	char *log_path;  /* what the client sent */
};

/* Accept one client, send greeting, log what it sends until it hangs up. */
static void
fake_start(struct fake *f, const char *greeting)
{
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	int ls = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &len), 0);
	f->port = ntohs(sa.sin_port);
	f->log_path = g_strdup_printf("%s/fake-%ld.log", fx_dir, (long)getpid());
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		int c = accept(ls, NULL, NULL);
		int out = open(f->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		char buf[512];
		ssize_t n;

		if (c < 0 || out < 0 ||
		    write(c, greeting, strlen(greeting)) < 0)
			_exit(1);
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				_exit(1);
		_exit(0);
	}
	close(ls);
}

/* Reap the server and return what the client sent (caller frees). */
static char *
fake_finish(struct fake *f)
{
	char *text = NULL;

	reap(f->pid);
	assert_true(g_file_get_contents(f->log_path, &text, NULL, NULL));
	unlink(f->log_path);
	g_free(f->log_path);
	return text;
}

/* ---- connection and TLS ---- */

static void
test_imaps_verified(void **state)
{
	struct imap_conf c = conf_imaps();
	struct imap *im;

	(void)state;
	im = connect_ok(&c);
	assert_true(imap_has_idle(im));
	imap_close(&im);
	assert_null(im);
	imap_close(&im); /* NULL is fine */
}

static void
test_imaps_wrong_ca(void **state)
{
	struct imap_conf c = conf_imaps();
	char *want = g_strdup_printf("imap: 127.0.0.1:%d: certificate not "
				     "trusted", fx_imaps_port);

	(void)state;
	c.ca_file = fx_wrong_ca;
	connect_bad(&c, CM_ECONFIG, want);
	g_free(want);
}

/*
 * Asked for "localhost" by SNI, the fixture presents a certificate for
 * mail.invalid only.  With that certificate as CA the chain is trusted,
 * so only the host name check can refuse it.
 */
static void
test_imaps_name_mismatch(void **state)
{
	struct imap_conf c = conf_imaps();

	(void)state;
	c.host = "localhost";
	c.ca_file = fx_other;
	connect_bad(&c, CM_ECONFIG, "does not match the host name: localhost");
	/* And with the usual CA, that certificate is not trusted at all. */
	c.ca_file = fx_cert;
	connect_bad(&c, CM_ECONFIG, "not trusted");
}

static void
test_imaps_no_verify(void **state)
{
	struct imap_conf c = conf_imaps();
	struct imap *im;

	(void)state;
	c.ca_file = fx_wrong_ca;
	c.tls_verify = 0;
	im = connect_ok(&c);
	imap_close(&im);
}

static void
test_ca_file_missing(void **state)
{
	struct imap_conf c = conf_imaps();
	char *missing = g_build_filename(fx_dir, "no-such-ca.pem", NULL);

	(void)state;
	c.ca_file = missing;
	connect_bad(&c, CM_ECONFIG, "no-such-ca.pem");
	g_free(missing);
}

static void
test_starttls(void **state)
{
	struct imap_conf c = conf_imaps();
	struct imap *im;

	(void)state;
	c.tls = IMAP_TLS_STARTTLS;
	c.port = fx_imap_port;
	im = connect_ok(&c);
	assert_true(imap_has_idle(im));
	imap_close(&im);
	c.ca_file = fx_wrong_ca;
	connect_bad(&c, CM_ECONFIG, "certificate not trusted");
}

static void
test_tls_none(void **state)
{
	struct imap_conf c = conf_imaps();
	struct imap *im;
	struct cm_error err = { 0 };

	(void)state;
	c.tls = IMAP_TLS_NONE;
	c.port = fx_imap_port;
	c.ca_file = fx_wrong_ca; /* nothing to verify without TLS */
	im = connect_ok(&c);
	assert_int_equal(imap_noop(im, &err), 0);
	imap_close(&im);
}

static void
test_bad_password(void **state)
{
	struct imap_conf c = conf_imaps();
	struct cm_error err = { 0 };
	struct imap *im = NULL;

	(void)state;
	c.password = "wrong-Pa55word";
	assert_int_equal(imap_connect(&c, &im, &err), CM_ECONFIG);
	assert_null(im);
	assert_non_null(strstr(err.msg, "LOGIN as test failed"));
	assert_null(strstr(err.msg, "wrong-Pa55word"));
	print_message("    (%s)\n", err.msg);
}

static void
test_connect_refused(void **state)
{
	struct imap_conf c = conf_imaps();
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	/* A port that was free a moment ago and has no listener. */
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	close(s);
	c.port = ntohs(sa.sin_port);
	connect_bad(&c, CM_ETEMP, "connect failed");
	c.port = 0;
	connect_bad(&c, CM_ECONFIG, "bad port");
}

/* No STARTTLS on offer: refuse before anything secret is sent. */
static void
test_starttls_missing(void **state)
{
	struct imap_conf c = conf_imaps();
	struct fake f;
	char *sent;

	(void)state;
	fake_start(&f, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n");
	c.tls = IMAP_TLS_STARTTLS;
	c.port = f.port;
	connect_bad(&c, CM_ECONFIG, "does not offer STARTTLS");
	sent = fake_finish(&f);
	assert_null(strstr(sent, "secret"));
	assert_null(strstr(sent, "LOGIN"));
	g_free(sent);
}

static void
test_starttls_preauth(void **state)
{
	struct imap_conf c = conf_imaps();
	struct fake f;
	char *sent;

	(void)state;
	fake_start(&f, "* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] fake\r\n");
	c.tls = IMAP_TLS_STARTTLS;
	c.port = f.port;
	connect_bad(&c, CM_ECONFIG, "PREAUTH before STARTTLS");
	sent = fake_finish(&f);
	assert_string_equal(sent, "");
	g_free(sent);
}

/* A server that accepts and then says nothing: give up after the timeout. */
static void
hung_server(enum imap_tls tls)
{
	struct imap_conf c = conf_imaps();
	struct fake f;
	double t;

	fake_start(&f, "");
	c.tls = tls;
	c.port = f.port;
	c.timeout_secs = 2;
	t = (double)g_get_monotonic_time() / G_USEC_PER_SEC;
	connect_bad(&c, CM_ETEMP, "connect failed");
	t = (double)g_get_monotonic_time() / G_USEC_PER_SEC - t;
	if (t < 1.5 || t > 6.0)
		fail_msg("gave up after %.1f s, want about 2", t);
	g_free(fake_finish(&f));
}

static void
test_hung_banner(void **state)
{
	(void)state;
	hung_server(IMAP_TLS_NONE);
}

static void
test_hung_tls_handshake(void **state)
{
	(void)state;
	hung_server(IMAP_TLS_IMAPS);
}

/* ---- mailboxes ---- */

static void
test_ensure_and_select(void **state)
{
	struct imap_conf c = conf_imaps();
	struct cm_error err = { 0 };
	char *processed = mailbox_name("Processed");
	uint32_t v1 = 0, v2 = 0, next = 0;
	struct imap *im;

	(void)state;
	im = connect_ok(&c);
	ensure_ok(im, processed);
	ensure_ok(im, processed); /* already there: fine */
	ensure_ok(im, "INBOX");
	select_ok(im, processed, &v1, &next);
	assert_int_equal(next, 1);
	select_ok(im, "INBOX", &v2, NULL);
	assert_int_equal(imap_select(im, "No-Such-Mailbox", &v1, &next, &err),
			 CM_ETEMP);
	assert_non_null(strstr(err.msg, "SELECT No-Such-Mailbox failed"));
	assert_int_equal(v1, 0);
	/* A refused command leaves the session usable. */
	select_ok(im, processed, &v1, NULL);
	imap_close(&im);
	g_free(processed);
}

/* ---- search, fetch, move ---- */

static void
test_search_fetch_move(void **state)
{
	struct imap_conf c = conf_imaps();
	struct cm_error err = { 0 };
	char *src = mailbox_name("Src"), *dst = mailbox_name("Dst");
	char *msgs[3], *flags;
	const uint32_t all[] = { 1, 2, 3 }, want_fetch[] = { 3, 1, 99, 2 };
	uint32_t uidnext = 0;
	struct imap *im;
	struct got g;

	(void)state;
	im = connect_ok(&c);
	ensure_ok(im, src);
	ensure_ok(im, dst);
	msgs[0] = make_msg(1, 3);
	msgs[1] = make_msg(2, 0);
	msgs[2] = make_msg(3, 5000); /* ~250 KB: many stream buffers */
	for (int i = 0; i < 3; i++)
		append("test", src, msgs[i]);
	select_ok(im, src, NULL, &uidnext);
	assert_int_equal(uidnext, 4);

	check_uids_after(im, 0, 3, all);
	check_uids_after(im, 1, 2, all + 1);
	/* "4:*" matches UID 3 on the server: must come back empty. */
	check_uids_after(im, 3, 0, NULL);
	check_uids_after(im, 1000, 0, NULL);
	check_uids_after(im, UINT32_MAX, 0, NULL);

	/* Any order in, UID order out; a UID that does not exist is skipped. */
	got_init(&g, 0);
	assert_int_equal(imap_fetch(im, want_fetch, 4, got_cb, &g, &err), 0);
	assert_uids(g.uids, 3, all);
	for (int i = 0; i < 3; i++)
		assert_bytes(&g, (guint)i, msgs[i]);
	got_free(&g);
	/* BODY.PEEK[]: reading does not mark the message \Seen. */
	flags = doveadm_flags("test", src, 1);
	assert_null(strstr(flags, "\\Seen"));
	g_free(flags);

	/* Sizes before bodies: RFC822.SIZE per UID, 0 for one that is gone. */
	{
		const uint32_t asked[] = { 1, 2, 3, 99 };
		uint32_t sizes[4] = { 7, 7, 7, 7 };

		assert_int_equal(imap_sizes(im, asked, 4, sizes, &err), 0);
		for (int i = 0; i < 3; i++)
			assert_int_equal(sizes[i], strlen(msgs[i]));
		assert_int_equal(sizes[3], 0);
	}
	/* The same FETCH handed over whole: it outlives the next command. */
	{
		struct imap_batch *b = NULL;
		const char *data;
		size_t len;
		uint32_t uid;

		assert_int_equal(imap_fetch_batch(im, want_fetch, 4, &b, &err), 0);
		check_uids_after(im, 0, 3, all);
		assert_int_equal(imap_batch_count(b), 3);
		for (size_t i = 0; i < 3; i++) {
			imap_batch_get(b, i, &uid, &data, &len);
			assert_int_equal(uid, all[i]);
			assert_int_equal(len, strlen(msgs[i]));
			assert_memory_equal(data, msgs[i], len);
		}
		imap_batch_free(&b);
		assert_null(b);
		assert_int_equal(imap_batch_count(NULL), 0);
	}

	/* The callback's nonzero return stops the fetch and comes back. */
	got_init(&g, 1);
	assert_int_equal(imap_fetch(im, all, 3, got_cb, &g, &err), 42);
	assert_uids(g.uids, 1, all);
	got_free(&g);
	assert_int_equal(imap_fetch(im, all, 0, got_cb, &g, &err), 0);

	/*
	 * \Deleted messages are left out.  Dovecot shows a session what
	 * others changed at its next sync point (NOOP, IDLE, SELECT), not
	 * during a SEARCH.
	 */
	doveadm_flag_deleted("test", src, 2);
	assert_int_equal(imap_noop(im, &err), 0);
	{
		const uint32_t live[] = { 1, 3 };

		check_uids_after(im, 0, 2, live);
		move_ok(im, live, 2, dst);
	}
	check_uids_after(im, 0, 0, NULL);
	assert_int_equal(doveadm_count("test", src), 1); /* the \Deleted one */

	select_ok(im, dst, NULL, NULL);
	{
		GArray *moved = uids_after(im, 0);

		assert_int_equal(moved->len, 2);
		got_init(&g, 0);
		assert_int_equal(imap_fetch(im, (const uint32_t *)(void *)moved->data,
					    moved->len, got_cb, &g, &err), 0);
		assert_int_equal(g.uids->len, 2);
		assert_bytes(&g, 0, msgs[0]);
		assert_bytes(&g, 1, msgs[2]);
		got_free(&g);
		g_array_unref(moved);
	}
	imap_close(&im);
	for (int i = 0; i < 3; i++)
		g_free(msgs[i]);
	g_free(src);
	g_free(dst);
}

/* A server without MOVE or UIDPLUS: COPY, \Deleted, EXPUNGE. */
static void
test_move_fallback(void **state)
{
	struct imap_conf c = conf_imaps();
	char *src = mailbox_name("LSrc"), *dst = mailbox_name("LDst");
	const uint32_t uids[] = { 2, 1 };
	char *m1 = make_msg(11, 2), *m2 = make_msg(12, 2);
	struct imap *im;

	(void)state;
	c.user = "legacy";
	im = connect_ok(&c);
	assert_false(imap_has_idle(im));
	ensure_ok(im, src);
	ensure_ok(im, dst);
	append("legacy", src, m1);
	append("legacy", src, m2);
	select_ok(im, src, NULL, NULL);
	move_ok(im, uids, 2, dst);
	check_uids_after(im, 0, 0, NULL);
	assert_int_equal(doveadm_count("legacy", src), 0); /* expunged */
	assert_int_equal(doveadm_count("legacy", dst), 2);
	imap_close(&im);
	g_free(m1);
	g_free(m2);
	g_free(src);
	g_free(dst);
}

/* ---- IDLE ---- */

static double
now_secs(void)
{
	return (double)g_get_monotonic_time() / G_USEC_PER_SEC;
}

static void
idle_with_append(const char *user, enum imap_tls tls, int timeout_secs,
		 double max_secs)
{
	struct imap_conf c = conf_imaps();
	struct cm_error err = { 0 };
	char *box = g_strdup_printf("Idle-%s-%d-%ld", user, (int)tls,
				    (long)getpid());
	char *msg = make_msg(21, 1), *path;
	int changed = 0;
	struct imap *im;
	double t0;
	pid_t pid;

	c.user = user;
	if (tls != IMAP_TLS_IMAPS) {
		c.tls = tls;
		c.port = fx_imap_port;
	}
	im = connect_ok(&c);
	ensure_ok(im, box);
	select_ok(im, box, NULL, NULL);
	path = write_msg(msg);
	pid = append_later(user, box, path, 1);
	t0 = now_secs();
	if (imap_idle(im, timeout_secs, NULL, &changed, &err) != 0)
		fail_msg("imap_idle: %s", err.msg);
	reap(pid);
	assert_true(changed);
	assert_true(now_secs() - t0 < max_secs);
	check_uids_after(im, 0, 1, (const uint32_t[]){ 1 });
	unlink(path);
	imap_close(&im);
	g_free(path);
	g_free(msg);
	g_free(box);
}

static void
test_idle_change(void **state)
{
	(void)state;
	/* Dovecot tells within about 0.5 s of the append at 1 s. */
	idle_with_append("test", IMAP_TLS_IMAPS, 30, 5.0);
}

/* The same over a plain socket stream, which libetpan waits on alike. */
static void
test_idle_change_plain(void **state)
{
	(void)state;
	idle_with_append("test", IMAP_TLS_NONE, 30, 5.0);
}

/* Without IDLE: wait out the time, then NOOP collects the news. */
static void
test_idle_poll_fallback(void **state)
{
	(void)state;
	idle_with_append("legacy", IMAP_TLS_IMAPS, 3, 6.0);
}

static void
test_idle_timeout(void **state)
{
	struct imap_conf c = conf_imaps();
	struct cm_error err = { 0 };
	int changed = 1;
	struct imap *im;
	double t;

	(void)state;
	im = connect_ok(&c);
	select_ok(im, "INBOX", NULL, NULL);
	t = now_secs();
	assert_int_equal(imap_idle(im, 2, NULL, &changed, &err), 0);
	t = now_secs() - t;
	assert_false(changed);
	assert_true(t >= 1.9 && t < 4.0);
	/* The session is still in step after DONE. */
	assert_int_equal(imap_noop(im, &err), 0);
	imap_close(&im);
}

static volatile sig_atomic_t stop_flag;

static void
on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* A signal handler sets *stop: IDLE ends within about a second. */
static void
test_idle_stop(void **state)
{
	struct imap_conf c = conf_imaps();
	struct cm_error err = { 0 };
	struct sigaction sa, old;
	int changed = 1;
	struct imap *im;
	double t;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: poll() sees EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	im = connect_ok(&c);
	select_ok(im, "INBOX", NULL, NULL);
	stop_flag = 0;
	alarm(1);
	t = now_secs();
	if (imap_idle(im, 30, &stop_flag, &changed, &err) != 0)
		fail_msg("imap_idle: %s", err.msg);
	t = now_secs() - t;
	assert_false(changed);
	assert_true(t < 3.0);
	assert_int_equal(imap_noop(im, &err), 0);
	imap_close(&im);
	sigaction(SIGALRM, &old, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imaps_verified),
		cmocka_unit_test(test_imaps_wrong_ca),
		cmocka_unit_test(test_imaps_name_mismatch),
		cmocka_unit_test(test_imaps_no_verify),
		cmocka_unit_test(test_ca_file_missing),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_tls_none),
		cmocka_unit_test(test_bad_password),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_starttls_missing),
		cmocka_unit_test(test_starttls_preauth),
		cmocka_unit_test(test_hung_banner),
		cmocka_unit_test(test_hung_tls_handshake),
		cmocka_unit_test(test_ensure_and_select),
		cmocka_unit_test(test_search_fetch_move),
		cmocka_unit_test(test_move_fallback),
		cmocka_unit_test(test_idle_change),
		cmocka_unit_test(test_idle_change_plain),
		cmocka_unit_test(test_idle_poll_fallback),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_idle_stop),
	};
	int rc;

	if (fixture_load() != 0) {
		fprintf(stderr, "test_imap: IMAP_DIR (with DIR/env or IMAP_PORT "
			"and IMAPS_PORT) not set: skipped\n");
		return 77;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	g_free(fx_cert);
	g_free(fx_wrong_ca);
	g_free(fx_other);
	g_free(fx_conf);
	return rc;
}
