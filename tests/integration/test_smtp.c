/*
 * test_smtp.c - src/net/smtp.c against a real SMTP receiver on 127.0.0.1.
 *
 *   SMTP_SINK=tests/integration/smtpsink.py ./test_smtp
 *
 * The program starts its own receivers (aiosmtpd, /usr/bin/python3) in a
 * temporary directory: a plain one in DIR/plain, and one in DIR/tls that
 * requires STARTTLS and AUTH, with a certificate openssl makes for the
 * run.  Without SMTP_SINK it exits 77 (skipped); without openssl the TLS
 * tests are skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "casemail/smtp.h"

#define PYTHON "/usr/bin/python3"
/* aiosmtpd is ready in about 0.1 s; allow for a loaded CI machine. */
#define SINK_START_TIMEOUT_MS 10000
#define SEND_TIMEOUT_SECS 10
#define MANY_MAILS 20
#define AUTH_USER "casemail"
#define AUTH_PASSWORD "s3cret-pw"

struct sink {
	char *dir;
	pid_t pid;
	int port;
};

static const char *fx_sink_py;
static char *fx_dir;
static struct sink fx_plain;
static struct sink fx_tls;
static int fx_have_tls;
static char *fx_cert;  /* DIR/tls/cert.pem, self-signed: its own CA */
static char *fx_wrong; /* DIR/wrong.pem, another self-signed cert */

/* ---- the receiver ---- */

static char *
sink_file(const struct sink *sk, const char *name)
{
	return g_build_filename(sk->dir, name, NULL);
}

static int
sink_read_port(const struct sink *sk)
{
	char *path = sink_file(sk, "port"), *text = NULL;
	int port = 0;

	if (g_file_get_contents(path, &text, NULL, NULL))
		port = atoi(text);
	g_free(text);
	g_free(path);
	return port;
}

/* fork/exec the receiver with stdio in DIR/sink.log, wait for DIR/port. */
static int
sink_start(struct sink *sk, const char *const *extra)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	char *log = sink_file(sk, "sink.log");
	int waited_ms = 0;

	g_mkdir_with_parents(sk->dir, 0755);
	g_ptr_array_add(argv, g_strdup(PYTHON));
	g_ptr_array_add(argv, g_strdup(fx_sink_py));
	g_ptr_array_add(argv, g_strdup(sk->dir));
	if (sk->port > 0) {
		g_ptr_array_add(argv, g_strdup("--port"));
		g_ptr_array_add(argv, g_strdup_printf("%d", sk->port));
	}
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(extra[i]));
	g_ptr_array_add(argv, NULL);
	sk->pid = fork();
	if (sk->pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		execv(PYTHON, (char **)argv->pdata);
		_exit(127);
	}
	g_ptr_array_unref(argv);
	g_free(log);
	if (sk->pid < 0)
		return -1;
	while (waited_ms < SINK_START_TIMEOUT_MS) {
		int port = sink_read_port(sk);

		if (port > 0) {
			sk->port = port;
			return 0;
		}
		if (waitpid(sk->pid, NULL, WNOHANG) == sk->pid) {
			sk->pid = 0;
			return -1;
		}
		g_usleep(20 * 1000);
		waited_ms += 20;
	}
	return -1;
}

static void
sink_stop(struct sink *sk)
{
	if (sk->pid <= 0)
		return;
	kill(sk->pid, SIGTERM);
	while (waitpid(sk->pid, NULL, 0) < 0 && errno == EINTR)
		;
	sk->pid = 0;
}

static void
sink_set_mode(const char *mode)
{
	char *path = sink_file(&fx_plain, "mode");

	if (mode == NULL)
		g_unlink(path);
	else
		assert_true(g_file_set_contents(path, mode, -1, NULL));
	g_free(path);
}

/* Messages stored so far; the newest is number mail_count(). */
static unsigned
mail_count(const struct sink *sk)
{
	char *path = sink_file(sk, "mail");
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;
	unsigned n = 0;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(name, ".json"))
			n++;
	if (d != NULL)
		g_dir_close(d);
	g_free(path);
	return n;
}

static char *
mail_read(const struct sink *sk, unsigned n, const char *ext, gsize *len_r)
{
	char *name = g_strdup_printf("mail/%04u.%s", n, ext);
	char *path = sink_file(sk, name), *text = NULL;

	if (!g_file_get_contents(path, &text, len_r, NULL))
		fail_msg("no %s", path);
	g_free(name);
	g_free(path);
	return text;
}

/* ---- just enough JSON for the receiver's flat objects ---- */

static const char *
json_value(const char *json, const char *key)
{
	char *needle = g_strdup_printf("\"%s\": ", key);
	const char *p = strstr(json, needle);

	if (p != NULL)
		p += strlen(needle);
	g_free(needle);
	return p;
}

/* A JSON string at *p; *p moves past it. */
static char *
json_string(const char **p)
{
	GString *s = g_string_new(NULL);
	const char *q = *p;

	assert_int_equal(*q, '"');
	for (q++; *q != '"' && *q != '\0'; q++) {
		if (*q != '\\') {
			g_string_append_c(s, *q);
		} else if (q[1] == 'u') {
			char hex[5] = { 0 };

			memcpy(hex, q + 2, 4);
			g_string_append_unichar(s, (gunichar)strtoul(hex, NULL, 16));
			q += 5;
		} else {
			q++;
			g_string_append_c(s, *q == 'n' ? '\n' : *q == 'r' ? '\r' : *q);
		}
	}
	*p = *q == '"' ? q + 1 : q;
	return g_string_free(s, FALSE);
}

static char *
json_get_string(const char *json, const char *key)
{
	const char *p = json_value(json, key);

	assert_non_null(p);
	return json_string(&p);
}

/* "key": ["a", "b"] as "a,b" */
static char *
json_get_list(const char *json, const char *key)
{
	const char *p = json_value(json, key);
	GString *out = g_string_new(NULL);

	assert_non_null(p);
	assert_int_equal(*p, '[');
	for (p++; *p == '"';) {
		char *s = json_string(&p);

		g_string_append_printf(out, "%s%s", out->len > 0 ? "," : "", s);
		g_free(s);
		if (p[0] == ',' && p[1] == ' ')
			p += 2;
	}
	return g_string_free(out, FALSE);
}

/* "peer": ["127.0.0.1", 41234] */
static int
json_peer_port(const char *json)
{
	const char *p = json_value(json, "peer");
	char *host;
	int port;

	assert_non_null(p);
	p++;
	host = json_string(&p);
	assert_string_equal(host, "127.0.0.1");
	g_free(host);
	port = atoi(p + 2);
	assert_true(port > 0);
	return port;
}

/* ---- helpers ---- */

static const char msg_lf[] =
	"From: Desk <desk@example.test>\n"
	"To: a@example.test, b@example.test\n"
	"Subject: CV000123 your shipment\n"
	"\n"
	"Hello,\n"
	".a line that starts with a dot\n"
	"..and one with two\n"
	".\n"
	"end\n";

/* msg_lf as it must arrive: CRLF line ends, dots as they were. */
static char *
expected_crlf(const char *lf)
{
	GString *s = g_string_new(NULL);

	for (const char *p = lf; *p != '\0'; p++) {
		if (*p == '\n')
			g_string_append_c(s, '\r');
		g_string_append_c(s, *p);
	}
	return g_string_free(s, FALSE);
}

static struct smtp_conf
conf_plain(void)
{
	struct smtp_conf c = { 0 };
	static char url[64];

	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", fx_plain.port);
	c.url = url;
	c.tls = SMTP_TLS_URL;
	c.timeout_secs = SEND_TIMEOUT_SECS;
	return c;
}

static struct smtp_conf
conf_tls(const char *ca_file)
{
	struct smtp_conf c = { 0 };
	static char url[64];

	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", fx_tls.port);
	c.url = url;
	c.tls = SMTP_TLS_STARTTLS;
	c.tls_verify = 1;
	c.ca_file = ca_file;
	c.user = AUTH_USER;
	c.password = AUTH_PASSWORD;
	c.timeout_secs = SEND_TIMEOUT_SECS;
	return c;
}

static struct smtp *
open_ok(const struct smtp_conf *c)
{
	struct cm_error err = { 0 };
	struct smtp *s = NULL;

	if (smtp_open(c, &s, &err) != 0)
		fail_msg("smtp_open: %s", err.msg);
	assert_non_null(s);
	return s;
}

/* Send msg_lf; expect return code rc; results are the caller's. */
static GPtrArray *
send_rcpts(struct smtp *s, const char *const *rcpts, size_t n, int rc)
{
	struct cm_error err = { 0 };
	GPtrArray *res = NULL;
	int got;

	got = smtp_send(s, "desk@example.test", rcpts, n, msg_lf,
			strlen(msg_lf), &res, &err);
	if (got != rc)
		fail_msg("smtp_send returned %d, want %d: %s", got, rc, err.msg);
	assert_non_null(res);
	assert_int_equal(res->len, n);
	return res;
}

static void
assert_result(GPtrArray *res, guint i, const char *address,
	      enum smtp_rcpt_status status, int code, const char *text_prefix)
{
	struct smtp_rcpt_result *r = g_ptr_array_index(res, i);

	assert_string_equal(r->address, address);
	if (r->status != status || r->code != code)
		fail_msg("%s: status %d code %d (%s), want %d %d", address,
			 r->status, r->code, r->text, status, code);
	assert_non_null(r->text);
	if (!g_str_has_prefix(r->text, text_prefix))
		fail_msg("%s: text \"%s\", want \"%s...\"", address, r->text,
			 text_prefix);
	for (const char *p = r->text; *p != '\0'; p++)
		assert_true((unsigned char)*p >= 0x20);
}

/* ---- tests: the plain receiver ---- */

static void
test_send_two(void **state)
{
	static const char *const rcpts[] = { "a@example.test", "b@example.test" };
	struct smtp_conf c = conf_plain();
	struct smtp *s;
	GPtrArray *res;
	char *want = expected_crlf(msg_lf), *eml, *json, *v;
	gsize len;
	unsigned before;

	(void)state;
	s = open_ok(&c);
	before = mail_count(&fx_plain);
	res = send_rcpts(s, rcpts, 2, 0);
	assert_result(res, 0, rcpts[0], SMTP_RCPT_OK, 250, "250 2.0.0 OK queued");
	assert_result(res, 1, rcpts[1], SMTP_RCPT_OK, 250, "250 2.0.0 OK queued");
	assert_int_equal(mail_count(&fx_plain), before + 1);
	eml = mail_read(&fx_plain, before + 1, "eml", &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(eml, want, len);
	json = mail_read(&fx_plain, before + 1, "json", NULL);
	v = json_get_string(json, "mail_from");
	assert_string_equal(v, "desk@example.test");
	g_free(v);
	v = json_get_list(json, "rcpt_tos");
	assert_string_equal(v, "a@example.test,b@example.test");
	g_free(v);
	smtp_results_free(&res);
	assert_null(res);
	smtp_close(&s);
	assert_null(s);
	smtp_close(&s);
	smtp_close(NULL);
	g_free(want);
	g_free(eml);
	g_free(json);
}

/* CRLF data goes as it is; "" is the null reverse-path. */
static void
test_crlf_null_sender(void **state)
{
	static const char data[] = "Subject: bounce\r\n\r\nline\r\n.\r\n";
	static const char *const rcpt[] = { "a@example.test" };
	struct smtp_conf c = conf_plain();
	struct smtp *s = open_ok(&c);
	struct cm_error err = { 0 };
	GPtrArray *res = NULL;
	char *eml, *json, *v;
	gsize len;

	(void)state;
	assert_int_equal(smtp_send(s, "", rcpt, 1, data, strlen(data), &res,
				   &err), 0);
	assert_result(res, 0, rcpt[0], SMTP_RCPT_OK, 250, "250 ");
	eml = mail_read(&fx_plain, mail_count(&fx_plain), "eml", &len);
	assert_int_equal(len, strlen(data));
	assert_memory_equal(eml, data, len);
	json = mail_read(&fx_plain, mail_count(&fx_plain), "json", NULL);
	v = json_get_string(json, "mail_from");
	assert_string_equal(v, "<>");
	g_free(v);
	smtp_results_free(&res);
	smtp_close(&s);
	g_free(eml);
	g_free(json);
}

/* Many mails, one TCP connection: the peer port never changes. */
static void
test_one_connection(void **state)
{
	static const char *const rcpt[] = { "many@example.test" };
	struct smtp_conf c = conf_plain();
	struct smtp *s = open_ok(&c);
	unsigned before = mail_count(&fx_plain);
	int first_port = 0;

	(void)state;
	for (int i = 0; i < MANY_MAILS; i++) {
		GPtrArray *res = send_rcpts(s, rcpt, 1, 0);

		assert_result(res, 0, rcpt[0], SMTP_RCPT_OK, 250, "250 ");
		smtp_results_free(&res);
	}
	assert_int_equal(mail_count(&fx_plain), before + MANY_MAILS);
	for (unsigned n = before + 1; n <= before + MANY_MAILS; n++) {
		char *json = mail_read(&fx_plain, n, "json", NULL);
		int port = json_peer_port(json);

		if (first_port == 0)
			first_port = port;
		assert_int_equal(port, first_port);
		g_free(json);
	}
	smtp_close(&s);
}

static void
test_reject_one(void **state)
{
	static const char *const rcpts[] = {
		"reject-x@example.test", "ok@example.test",
	};
	struct smtp_conf c = conf_plain();
	struct smtp *s = open_ok(&c);
	unsigned before = mail_count(&fx_plain);
	GPtrArray *res;
	char *json, *v;

	(void)state;
	res = send_rcpts(s, rcpts, 2, 0);
	assert_result(res, 0, rcpts[0], SMTP_RCPT_PERMFAIL, 550,
		      "550 5.1.1 no such user");
	assert_result(res, 1, rcpts[1], SMTP_RCPT_OK, 250, "250 ");
	assert_int_equal(mail_count(&fx_plain), before + 1);
	json = mail_read(&fx_plain, before + 1, "json", NULL);
	v = json_get_list(json, "rcpt_tos");
	assert_string_equal(v, "ok@example.test");
	g_free(v);
	g_free(json);
	smtp_results_free(&res);
	smtp_close(&s);
}

static void
test_defer(void **state)
{
	static const char *const rcpts[] = { "defer-x@example.test" };
	static const char *const ok[] = { "ok@example.test" };
	struct smtp_conf c = conf_plain();
	struct smtp *s = open_ok(&c);
	unsigned before = mail_count(&fx_plain);
	GPtrArray *res;

	(void)state;
	res = send_rcpts(s, rcpts, 1, 0);
	assert_result(res, 0, rcpts[0], SMTP_RCPT_TEMPFAIL, 451, "451 4.3.0");
	smtp_results_free(&res);
	assert_int_equal(mail_count(&fx_plain), before);
	/* libcurl dropped the connection after the failure; the next mail
	 * goes through the same session. */
	res = send_rcpts(s, ok, 1, 0);
	assert_result(res, 0, ok[0], SMTP_RCPT_OK, 250, "250 ");
	smtp_results_free(&res);
	smtp_close(&s);
}

/* Every recipient refused: libcurl fails, the answers are still exact. */
static void
test_all_refused(void **state)
{
	static const char *const rcpts[] = {
		"reject-a@example.test", "defer-b@example.test",
		"reject-c@example.test",
	};
	struct smtp_conf c = conf_plain();
	struct smtp *s = open_ok(&c);
	GPtrArray *res;

	(void)state;
	res = send_rcpts(s, rcpts, 3, 0);
	assert_result(res, 0, rcpts[0], SMTP_RCPT_PERMFAIL, 550, "550 5.1.1");
	assert_result(res, 1, rcpts[1], SMTP_RCPT_TEMPFAIL, 451, "451 4.3.0");
	assert_result(res, 2, rcpts[2], SMTP_RCPT_PERMFAIL, 550, "550 5.1.1");
	smtp_results_free(&res);
	smtp_close(&s);
}

static void
test_down_451(void **state)
{
	static const char *const rcpts[] = { "a@example.test", "b@example.test" };
	struct smtp_conf c = conf_plain();
	struct smtp *s = open_ok(&c);
	GPtrArray *res;

	(void)state;
	sink_set_mode("down-451\n");
	res = send_rcpts(s, rcpts, 2, 0);
	assert_result(res, 0, rcpts[0], SMTP_RCPT_TEMPFAIL, 451, "451 4.3.0");
	assert_result(res, 1, rcpts[1], SMTP_RCPT_TEMPFAIL, 451, "451 4.3.0");
	smtp_results_free(&res);
	smtp_close(&s);
}

/* DATA refused: accepted recipients fail with it, refused ones keep theirs. */
static void
test_data_451(void **state)
{
	static const char *const rcpts[] = {
		"a@example.test", "reject-b@example.test", "c@example.test",
	};
	struct smtp_conf c = conf_plain();
	struct smtp *s = open_ok(&c);
	unsigned before = mail_count(&fx_plain);
	GPtrArray *res;

	(void)state;
	sink_set_mode("data-451");
	res = send_rcpts(s, rcpts, 3, 0);
	assert_result(res, 0, rcpts[0], SMTP_RCPT_TEMPFAIL, 451,
		      "451 4.3.0 data not taken");
	assert_result(res, 1, rcpts[1], SMTP_RCPT_PERMFAIL, 550, "550 5.1.1");
	assert_result(res, 2, rcpts[2], SMTP_RCPT_TEMPFAIL, 451, "451 4.3.0");
	smtp_results_free(&res);
	assert_int_equal(mail_count(&fx_plain), before);
	sink_set_mode(NULL);
	res = send_rcpts(s, rcpts, 3, 0);
	assert_result(res, 0, rcpts[0], SMTP_RCPT_OK, 250, "250 ");
	assert_result(res, 2, rcpts[2], SMTP_RCPT_OK, 250, "250 ");
	smtp_results_free(&res);
	smtp_close(&s);
}

static void
usage_case(struct smtp *s, const char *from, const char *const *rcpts,
	   size_t n)
{
	struct cm_error err = { 0 };
	GPtrArray *res = (GPtrArray *)&err; /* must come back NULL */

	assert_int_equal(smtp_send(s, from, rcpts, n, msg_lf, strlen(msg_lf),
				   &res, &err), CM_EUSAGE);
	assert_null(res);
	assert_int_equal(err.code, CM_EUSAGE);
	assert_true(err.msg[0] != '\0');
}

/* Nothing that could end or rewrite an SMTP command gets through. */
static void
test_bad_addresses(void **state)
{
	static const char *const crlf[] = {
		"a@example.test>\r\nRCPT TO:<evil@example.test",
	};
	static const char *const lf[] = { "ok@example.test", "a\nb@example.test" };
	static const char *const cr[] = { "a\r@example.test" };
	static const char *const angle[] = { "<a@example.test>" };
	static const char *const empty[] = { "" };
	static const char *const null[] = { NULL };
	static const char *const ok[] = { "ok@example.test" };
	struct smtp_conf c = conf_plain();
	struct smtp *s = open_ok(&c);
	unsigned before = mail_count(&fx_plain);
	char longaddr[300];

	(void)state;
	usage_case(s, "desk@example.test", crlf, 1);
	usage_case(s, "desk@example.test", lf, 2);
	usage_case(s, "desk@example.test", cr, 1);
	usage_case(s, "desk@example.test", angle, 1);
	usage_case(s, "desk@example.test", empty, 1);
	usage_case(s, "desk@example.test", null, 1);
	usage_case(s, "desk@example.test", ok, 0);
	usage_case(s, "desk@example.test\r\nRSET", ok, 1);
	usage_case(s, "a>b@example.test", ok, 1);
	usage_case(s, "tab\there@example.test", ok, 1);
	usage_case(s, NULL, ok, 1);
	memset(longaddr, 'x', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	usage_case(s, longaddr, ok, 1);
	assert_int_equal(mail_count(&fx_plain), before);
	smtp_close(&s);
}

static void
test_helo_domain(void **state)
{
	static const char *const rcpt[] = { "a@example.test" };
	struct smtp_conf c = conf_plain();
	struct smtp *s;
	GPtrArray *res;
	char *json, *v;

	(void)state;
	c.helo_domain = "gw.casemail.test";
	s = open_ok(&c);
	res = send_rcpts(s, rcpt, 1, 0);
	assert_result(res, 0, rcpt[0], SMTP_RCPT_OK, 250, "250 ");
	json = mail_read(&fx_plain, mail_count(&fx_plain), "json", NULL);
	v = json_get_string(json, "helo");
	assert_string_equal(v, "gw.casemail.test");
	g_free(v);
	g_free(json);
	smtp_results_free(&res);
	smtp_close(&s);
}

static void
open_bad(const struct smtp_conf *c)
{
	struct cm_error err = { 0 };
	struct smtp *s = (struct smtp *)&err;

	assert_int_equal(smtp_open(c, &s, &err), CM_EUSAGE);
	assert_null(s);
	assert_true(err.msg[0] != '\0');
	assert_null(strstr(err.msg, "hunter2"));
}

static void
test_open_refused(void **state)
{
	struct smtp_conf c = conf_plain();

	(void)state;
	c.url = "http://127.0.0.1:25";
	open_bad(&c);
	c.url = "smtp://user:hunter2@127.0.0.1:25";
	open_bad(&c);
	c.url = "smtps://127.0.0.1:465";
	c.tls = SMTP_TLS_STARTTLS;
	open_bad(&c);
	c = conf_plain();
	c.helo_domain = "bad domain\r\n";
	open_bad(&c);
	c = conf_plain();
	c.user = "someone";
	open_bad(&c);
	c = conf_plain();
	c.url = NULL;
	open_bad(&c);
}

/* The receiver goes away and comes back on the same port. */
static void
test_restart(void **state)
{
	static const char *const rcpts[] = { "a@example.test", "b@example.test" };
	struct smtp_conf c = conf_plain();
	struct smtp *s = open_ok(&c);
	struct cm_error err = { 0 };
	GPtrArray *res = NULL;

	(void)state;
	res = send_rcpts(s, rcpts, 2, 0);
	smtp_results_free(&res);
	sink_stop(&fx_plain);
	assert_int_equal(smtp_send(s, "desk@example.test", rcpts, 2, msg_lf,
				   strlen(msg_lf), &res, &err), CM_ETEMP);
	assert_int_equal(err.code, CM_ETEMP);
	assert_non_null(res);
	assert_int_equal(res->len, 2);
	for (guint i = 0; i < res->len; i++) {
		struct smtp_rcpt_result *r = g_ptr_array_index(res, i);

		assert_string_equal(r->address, rcpts[i]);
		assert_int_equal(r->status, SMTP_RCPT_TEMPFAIL);
		assert_int_equal(r->code, 0);
		assert_true(r->text != NULL && r->text[0] != '\0');
	}
	smtp_results_free(&res);
	assert_int_equal(sink_start(&fx_plain, NULL), 0);
	res = send_rcpts(s, rcpts, 2, 0);
	assert_result(res, 0, rcpts[0], SMTP_RCPT_OK, 250, "250 ");
	assert_result(res, 1, rcpts[1], SMTP_RCPT_OK, 250, "250 ");
	smtp_results_free(&res);
	smtp_close(&s);
}

/* A listener of our own on 127.0.0.1:port (where the receiver was), to
 * tell whether anything connects: the kernel completes a connection to
 * it whether or not it is accepted. */
static int
listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void
assert_nobody_connected(int fd)
{
	int got = accept(fd, NULL, NULL);

	if (got >= 0)
		close(got);
	assert_true(got < 0);
	close(fd);
}

/* The server dropped the session: smtp_close() does not connect again
 * (and log in) only to say QUIT. */
static void
test_quit_no_reconnect(void **state)
{
	static const char *const rcpt[] = { "quit@example.test" };
	struct smtp_conf c = conf_plain();
	struct smtp *s = open_ok(&c);
	GPtrArray *res = send_rcpts(s, rcpt, 1, 0);
	int fd;

	(void)state;
	smtp_results_free(&res);
	sink_stop(&fx_plain);
	fd = listen_on(fx_plain.port);
	smtp_close(&s);
	assert_nobody_connected(fd);
}

/* A session with an access token connects in its first transfer only: a
 * later one that needs a new connection (so a login with a token that
 * may have run out since) fails, and says so. */
static void
test_token_no_reconnect(void **state)
{
	static const char *const rcpt[] = { "token@example.test" };
	struct smtp_conf c = conf_plain();
	struct smtp *s;
	GPtrArray *res;
	unsigned before;
	int fd;

	(void)state;
	c.user = AUTH_USER; /* the plain receiver offers no AUTH */
	c.access_token = "an-access-token";
	s = open_ok(&c);
	res = send_rcpts(s, rcpt, 1, 0);
	assert_result(res, 0, rcpt[0], SMTP_RCPT_OK, 250, "250 ");
	smtp_results_free(&res);
	assert_false(smtp_connection_lost(s));
	before = mail_count(&fx_plain);
	sink_stop(&fx_plain);
	fd = listen_on(fx_plain.port);
	res = send_rcpts(s, rcpt, 1, CM_ETEMP);
	assert_int_equal(((struct smtp_rcpt_result *)res->pdata[0])->status,
			 SMTP_RCPT_TEMPFAIL);
	smtp_results_free(&res);
	assert_true(smtp_connection_lost(s));
	assert_false(smtp_login_denied(s));
	smtp_close(&s);
	assert_nobody_connected(fd);
	assert_int_equal(mail_count(&fx_plain), before);
}

/* STARTTLS required by us, not offered by the server: no mail goes out. */
static void
test_starttls_missing(void **state)
{
	static const char *const rcpt[] = { "a@example.test" };
	struct smtp_conf c = conf_plain();
	struct smtp *s;
	unsigned before = mail_count(&fx_plain);
	GPtrArray *res;

	(void)state;
	c.tls = SMTP_TLS_STARTTLS;
	s = open_ok(&c);
	res = send_rcpts(s, rcpt, 1, CM_ETEMP);
	assert_int_equal(((struct smtp_rcpt_result *)res->pdata[0])->status,
			 SMTP_RCPT_TEMPFAIL);
	smtp_results_free(&res);
	assert_int_equal(mail_count(&fx_plain), before);
	smtp_close(&s);
}

/* ---- tests: STARTTLS with AUTH ---- */

static void
test_starttls_ok(void **state)
{
	static const char *const rcpts[] = { "a@example.test", "reject-b@x.test" };
	struct smtp_conf c = conf_tls(fx_cert);
	struct smtp *s;
	unsigned before = mail_count(&fx_tls);
	GPtrArray *res;
	char *want = expected_crlf(msg_lf), *eml;
	gsize len;

	(void)state;
	if (!fx_have_tls)
		skip();
	s = open_ok(&c);
	for (int i = 0; i < 3; i++) {
		res = send_rcpts(s, rcpts, 2, 0);
		assert_result(res, 0, rcpts[0], SMTP_RCPT_OK, 250, "250 ");
		assert_result(res, 1, rcpts[1], SMTP_RCPT_PERMFAIL, 550, "550 ");
		smtp_results_free(&res);
	}
	assert_int_equal(mail_count(&fx_tls), before + 3);
	eml = mail_read(&fx_tls, before + 3, "eml", &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(eml, want, len);
	g_free(eml);
	g_free(want);
	smtp_close(&s);
}

static void
tls_fails(const struct smtp_conf *c, const char *needle)
{
	static const char *const rcpt[] = { "a@example.test" };
	struct smtp *s = open_ok(c);
	struct cm_error err = { 0 };
	unsigned before = mail_count(&fx_tls);
	GPtrArray *res = NULL;
	char *lower;

	assert_int_equal(smtp_send(s, "desk@example.test", rcpt, 1, msg_lf,
				   strlen(msg_lf), &res, &err), CM_ETEMP);
	assert_int_equal(((struct smtp_rcpt_result *)res->pdata[0])->status,
			 SMTP_RCPT_TEMPFAIL);
	lower = g_ascii_strdown(err.msg, -1);
	if (strstr(lower, needle) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err.msg, needle);
	g_free(lower);
	assert_null(strstr(err.msg, AUTH_PASSWORD));
	smtp_results_free(&res);
	assert_int_equal(mail_count(&fx_tls), before);
	smtp_close(&s);
}

static void
test_starttls_wrong_ca(void **state)
{
	struct smtp_conf c = conf_tls(fx_wrong);

	(void)state;
	if (!fx_have_tls)
		skip();
	tls_fails(&c, "certificate");
	/* The system trust does not know a self-signed test certificate. */
	c.ca_file = NULL;
	tls_fails(&c, "certificate");
}

/*
 * tls = url with an smtp:// URL: STARTTLS whenever the server offers it
 * (this sink requires it, and AUTH only over TLS, so nothing goes out in
 * clear); a certificate that does not verify is a failure, not a fall
 * back to cleartext.
 */
static void
test_url_tries_starttls(void **state)
{
	static const char *const rcpt[] = { "a@example.test" };
	struct smtp_conf c = conf_tls(fx_cert);
	unsigned before = mail_count(&fx_tls);
	struct smtp *s;
	GPtrArray *res;

	(void)state;
	if (!fx_have_tls)
		skip();
	c.tls = SMTP_TLS_URL;
	s = open_ok(&c);
	res = send_rcpts(s, rcpt, 1, 0);
	assert_result(res, 0, rcpt[0], SMTP_RCPT_OK, 250, "250 ");
	smtp_results_free(&res);
	assert_int_equal(mail_count(&fx_tls), before + 1);
	smtp_close(&s);
	c.ca_file = fx_wrong;
	tls_fails(&c, "certificate");
}

/* tls_verify off: the same wrong CA is accepted. */
static void
test_starttls_no_verify(void **state)
{
	static const char *const rcpt[] = { "a@example.test" };
	struct smtp_conf c = conf_tls(fx_wrong);
	struct smtp *s;
	GPtrArray *res;

	(void)state;
	if (!fx_have_tls)
		skip();
	c.tls_verify = 0;
	s = open_ok(&c);
	res = send_rcpts(s, rcpt, 1, 0);
	assert_result(res, 0, rcpt[0], SMTP_RCPT_OK, 250, "250 ");
	smtp_results_free(&res);
	smtp_close(&s);
}

static void
test_starttls_bad_password(void **state)
{
	struct smtp_conf c = conf_tls(fx_cert);

	(void)state;
	if (!fx_have_tls)
		skip();
	c.password = "wrong-pw";
	tls_fails(&c, "login");
}

/* ---- fixture ---- */

static int
make_cert(const char *dir, const char *name)
{
	char *cert = g_strdup_printf("%s/%s.pem", dir, name);
	char *key = g_strdup_printf("%s/%s-key.pem", dir, name);
	const char *argv[] = {
		"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
		"ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
		"-subj", "/CN=localhost", "-addext",
		"subjectAltName=IP:127.0.0.1,DNS:localhost",
		"-keyout", key, "-out", cert, NULL,
	};
	int status = -1;
	gboolean ok;

	ok = g_spawn_sync(NULL, (char **)argv, NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
			  G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL,
			  &status, NULL);
	g_free(cert);
	g_free(key);
	return ok && g_spawn_check_wait_status(status, NULL) ? 0 : -1;
}

static int
start_tls_sink(void)
{
	char *tls_dir = g_build_filename(fx_dir, "tls", NULL);
	char *key = g_build_filename(tls_dir, "cert-key.pem", NULL);
	const char *extra[] = {
		"--tls-cert", NULL, "--tls-key", key,
		"--auth", AUTH_USER ":" AUTH_PASSWORD, NULL,
	};
	int rc;

	g_mkdir_with_parents(tls_dir, 0700);
	fx_cert = g_build_filename(tls_dir, "cert.pem", NULL);
	fx_wrong = g_build_filename(fx_dir, "wrong.pem", NULL);
	extra[1] = fx_cert;
	rc = make_cert(tls_dir, "cert");
	if (rc == 0)
		rc = make_cert(fx_dir, "wrong");
	fx_tls.dir = tls_dir;
	if (rc == 0)
		rc = sink_start(&fx_tls, extra);
	g_free(key);
	return rc;
}

static void
remove_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *child = g_build_filename(path, name, NULL);

		if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
			remove_tree(child);
		else
			g_unlink(child);
		g_free(child);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(path);
}

static int
group_setup(void **state)
{
	(void)state;
	fx_dir = g_dir_make_tmp("test_smtp-XXXXXX", NULL);
	if (fx_dir == NULL)
		return -1;
	fx_plain.dir = g_build_filename(fx_dir, "plain", NULL);
	if (sink_start(&fx_plain, NULL) != 0) {
		fprintf(stderr, "cannot start %s (see %s/sink.log)\n",
			fx_sink_py, fx_plain.dir);
		return -1;
	}
	fx_have_tls = start_tls_sink() == 0;
	if (!fx_have_tls)
		fprintf(stderr, "no TLS receiver: TLS tests skipped\n");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	sink_stop(&fx_plain);
	sink_stop(&fx_tls);
	if (getenv("SMTP_KEEP") == NULL)
		remove_tree(fx_dir);
	g_free(fx_plain.dir);
	g_free(fx_tls.dir);
	g_free(fx_cert);
	g_free(fx_wrong);
	g_free(fx_dir);
	return 0;
}

/* Every test starts with a normal receiver, whatever the last one did. */
static int
test_setup(void **state)
{
	(void)state;
	sink_set_mode(NULL);
	if (fx_plain.pid <= 0 && sink_start(&fx_plain, NULL) != 0)
		return -1;
	return 0;
}

#define T(f) cmocka_unit_test_setup(f, test_setup)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_send_two),
		T(test_crlf_null_sender),
		T(test_one_connection),
		T(test_reject_one),
		T(test_defer),
		T(test_all_refused),
		T(test_down_451),
		T(test_data_451),
		T(test_bad_addresses),
		T(test_helo_domain),
		T(test_open_refused),
		T(test_restart),
		T(test_quit_no_reconnect),
		T(test_token_no_reconnect),
		T(test_starttls_missing),
		T(test_starttls_ok),
		T(test_starttls_wrong_ca),
		T(test_starttls_no_verify),
		T(test_url_tries_starttls),
		T(test_starttls_bad_password),
	};

	fx_sink_py = getenv("SMTP_SINK");
	if (fx_sink_py == NULL || fx_sink_py[0] == '\0') {
		fprintf(stderr, "SMTP_SINK not set: skipped\n");
		return 77;
	}
	if (access(PYTHON, X_OK) != 0) {
		fprintf(stderr, "%s missing: skipped\n", PYTHON);
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
