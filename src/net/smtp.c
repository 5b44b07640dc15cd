/*
 * smtp.c - one SMTP session over a reused libcurl handle; see
 * casemail/smtp.h.  This file: the session, sending and results;
 * smtp_private.h names the other smtp_*.c file.
 */
#include "casemail/smtp.h"

#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "casemail/log.h"
#include "casemail/record.h"
#include "smtp_private.h"

/* Used when the configuration says 0: long enough for a slow server. */
#define SMTP_DEFAULT_TIMEOUT_SECS 60
/* RFC 5321 4.5.3.1.3: a path is at most 256 octets, the brackets included. */
#define SMTP_ADDRESS_MAX 254
/* RFC 1035 2.3.4 / RFC 5321 4.5.3.1.2: a domain is at most 255 octets. */
#define SMTP_DOMAIN_MAX 255
/*
 * QUIT at close: the reply is a formality, so a server or a network that
 * stalls gets little time (libcurl's own QUIT would wait two minutes).
 */
#define SMTP_QUIT_TIMEOUT_SECS 5

/*
 * libcurl 7.88 spells the option with three L's; 8.2.0 fixed the name and
 * kept the old one only as a deprecated alias.
 */
#if LIBCURL_VERSION_NUM >= 0x080200
#define SMTP_OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define SMTP_OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

/* The message on its way out, bare LF turned into CRLF as it goes. */
struct smtp_upload {
	const char *data;
	size_t len;
	size_t pos;
	int pending_lf; /* a CR went out for a bare LF; the LF is next */
};

struct smtp {
	CURL *curl;
	char *where; /* "host:port" for messages; never the credentials */
	struct smtp_trace trace;
	struct smtp_upload upload;
	CURLcode last;  /* of the last transfer */
	int one_login;  /* an access token: connect in the first transfer only */
	int transfers;  /* started so far */
	int quitting;   /* QUIT: never connect for it */
	int lost;       /* the last transfer needed a connection it may not open */
	char errbuf[CURL_ERROR_SIZE];
};

/* ---- the server's replies ---- */

static void
reply_clear(struct smtp_reply *r)
{
	g_free(r->text);
	r->text = NULL;
	r->code = 0;
}

static void
trace_clear(struct smtp_trace *t)
{
	reply_clear(&t->mail);
	reply_clear(&t->data);
	reply_clear(&t->data_end);
	for (size_t i = 0; i < t->n_rcpts; i++)
		reply_clear(&t->rcpt[i]);
	g_free(t->rcpt);
	t->rcpt = NULL;
	t->n_rcpts = 0;
	t->rcpt_sent = 0;
	t->rcpt_cur = 0;
	t->expect = SMTP_EXPECT_OTHER;
	g_string_truncate(t->line, 0);
	g_string_truncate(t->text, 0);
}

/* ---- the message ---- */

/* libcurl does the dot-stuffing; we only make every line end in CRLF. */
static size_t
upload_read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct smtp_upload *u = arg;
	size_t room = size * nitems, out = 0;

	while (out < room) {
		const char *start, *nl;
		size_t n;

		if (u->pending_lf) {
			buf[out++] = '\n';
			u->pending_lf = 0;
			continue;
		}
		if (u->pos == u->len)
			break;
		start = u->data + u->pos;
		if (*start == '\n') {
			int bare = u->pos == 0 || start[-1] != '\r';

			buf[out++] = bare ? '\r' : '\n';
			u->pending_lf = bare;
			u->pos++;
			continue;
		}
		n = MIN(room - out, u->len - u->pos);
		nl = memchr(start, '\n', n);
		if (nl != NULL)
			n = (size_t)(nl - start);
		memcpy(buf + out, start, n);
		out += n;
		u->pos += n;
	}
	return out;
}

/* The size after conversion, for SIZE= in MAIL FROM. */
static size_t
upload_size(const char *data, size_t len)
{
	size_t n = len;

	for (size_t i = 0; i < len; i++)
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			n++;
	return n;
}

/* ---- results ---- */

static void
result_free(gpointer p)
{
	static const struct record_field strings[] = {
		RECORD_STRING(struct smtp_rcpt_result, address),
		RECORD_STRING(struct smtp_rcpt_result, text),
	};

	record_free(p, strings, G_N_ELEMENTS(strings));
}

static enum smtp_rcpt_status
status_of_code(int code)
{
	if (code / 100 == 2)
		return SMTP_RCPT_OK;
	if (code / 100 == 5)
		return SMTP_RCPT_PERMFAIL;
	return SMTP_RCPT_TEMPFAIL;
}

/*
 * The final answer for recipient i, or NULL if the server never gave one:
 * a refused MAIL FROM answers everyone, a refused RCPT answers that
 * recipient, and an accepted one waits for DATA and the final ".".
 */
static const struct smtp_reply *
trace_answer(const struct smtp_trace *t, size_t i)
{
	const struct smtp_reply *r = &t->rcpt[i];

	if (t->mail.code != 0 && t->mail.code / 100 != 2)
		return &t->mail;
	if (r->code == 0)
		return NULL;
	if (r->code / 100 != 2)
		return r;
	if (t->data.code != 0)
		return &t->data;
	if (t->data_end.code != 0)
		return &t->data_end;
	return NULL;
}

GPtrArray *
smtp_results_new(const char *const *rcpts, size_t n_rcpts)
{
	GPtrArray *a = g_ptr_array_new_full((guint)n_rcpts, result_free);

	for (size_t i = 0; i < n_rcpts; i++) {
		struct smtp_rcpt_result *r = g_new0(struct smtp_rcpt_result, 1);

		r->address = g_strdup(rcpts[i]);
		g_ptr_array_add(a, r);
	}
	return a;
}

/* Fill results from the trace; 0 if every recipient had an answer. */
static int
results_fill(GPtrArray *results, const struct smtp_trace *t)
{
	for (guint i = 0; i < results->len; i++) {
		struct smtp_rcpt_result *r = g_ptr_array_index(results, i);
		const struct smtp_reply *a = trace_answer(t, i);

		if (a == NULL)
			return -1;
		r->status = status_of_code(a->code);
		r->code = a->code;
		g_free(r->text);
		r->text = g_strdup(a->text);
	}
	return 0;
}

/* The connection failed before everyone had an answer: retry them all. */
static void
results_tempfail(GPtrArray *results, const char *why)
{
	for (guint i = 0; i < results->len; i++) {
		struct smtp_rcpt_result *r = g_ptr_array_index(results, i);

		r->status = SMTP_RCPT_TEMPFAIL;
		r->code = 0;
		g_free(r->text);
		r->text = smtp_clean_line(why, SMTP_REPLY_TEXT_MAX);
	}
}

void
smtp_results_free(GPtrArray **results)
{
	if (results == NULL || *results == NULL)
		return;
	g_ptr_array_unref(*results);
	*results = NULL;
}

/* ---- sending ---- */

/*
 * An address becomes "<address>" in MAIL FROM or RCPT TO.  CR or LF would
 * end the command and start one of the sender's choosing; angle brackets
 * would close the path early.  Other control characters have no place in
 * an address either.
 */
static int
address_ok(const char *a, int empty_ok)
{
	size_t len = strlen(a);

	if (len == 0)
		return empty_ok;
	if (len > SMTP_ADDRESS_MAX)
		return 0;
	for (const char *p = a; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '<' ||
		    *p == '>')
			return 0;
	return 1;
}

static int
send_args_check(const char *from, const char *const *rcpts, size_t n_rcpts,
		const char *data, size_t len, struct cm_error *err)
{
	if (from == NULL || (data == NULL && len > 0))
		return cm_error_set(err, CM_EUSAGE, "smtp: no sender or data");
	if (n_rcpts == 0 || rcpts == NULL)
		return cm_error_set(err, CM_EUSAGE, "smtp: no recipients");
	if (!address_ok(from, 1))
		return cm_error_set(err, CM_EUSAGE,
				    "smtp: unusable envelope sender");
	for (size_t i = 0; i < n_rcpts; i++)
		if (rcpts[i] == NULL || !address_ok(rcpts[i], 0))
			return cm_error_set(err, CM_EUSAGE,
					    "smtp: unusable recipient #%zu",
					    i + 1);
	return 0;
}

static struct curl_slist *
rcpt_list(const char *const *rcpts, size_t n_rcpts)
{
	struct curl_slist *list = NULL;

	for (size_t i = 0; i < n_rcpts; i++) {
		char *path = g_strdup_printf("<%s>", rcpts[i]);
		struct curl_slist *next = curl_slist_append(list, path);

		g_free(path);
		if (next == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

/*
 * libcurl opens a new connection, and logs in again with the credentials
 * the handle was given, whenever the last one is gone.  Two transfers
 * must not: QUIT, which has nothing to say to a new connection, and any
 * but the first transfer of a session with an access token, a token that
 * may have run out since (the caller opens a new session with a current
 * one: smtp_connection_lost()).
 */
static curl_socket_t
smtp_socket_cb(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct smtp *s = arg;

	(void)purpose;
	if (s->quitting || (s->one_login && s->transfers > 1)) {
		s->lost = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

/* Before each transfer (see smtp_socket_cb()). */
static void
smtp_transfer_start(struct smtp *s)
{
	s->transfers++;
	s->lost = 0;
}

/* One curl_easy_perform over the kept connection; the trace is filled. */
static CURLcode
smtp_perform(struct smtp *s, const char *from, const char *const *rcpts,
	     size_t n_rcpts, const char *data, size_t len)
{
	struct curl_slist *list = rcpt_list(rcpts, n_rcpts);
	char *from_path = g_strdup_printf("<%s>", from);
	CURLcode cres;

	trace_clear(&s->trace);
	s->trace.n_rcpts = n_rcpts;
	s->trace.rcpt = g_new0(struct smtp_reply, n_rcpts);
	s->upload = (struct smtp_upload){ .data = data, .len = len };
	s->errbuf[0] = '\0';
	cres = list != NULL ? CURLE_OK : CURLE_OUT_OF_MEMORY;
	if (cres == CURLE_OK)
		cres = curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, from_path);
	if (cres == CURLE_OK)
		cres = curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, list);
	if (cres == CURLE_OK)
		cres = curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE,
					(curl_off_t)upload_size(data, len));
	if (cres == CURLE_OK) {
		smtp_transfer_start(s);
		cres = curl_easy_perform(s->curl);
	}
	/* The list is ours and freed now: libcurl must not keep a pointer. */
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
	curl_slist_free_all(list);
	g_free(from_path);
	return cres;
}

static const char *
smtp_curl_text(const struct smtp *s, CURLcode cres)
{
	return s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(cres);
}

int
smtp_send(struct smtp *smtp, const char *from, const char *const *rcpts,
	  size_t n_rcpts, const char *data, size_t len,
	  GPtrArray **results_r, struct cm_error *err)
{
	GPtrArray *results;
	CURLcode cres;
	int rc;

	*results_r = NULL;
	cm_error_clear(err);
	if (smtp == NULL)
		return cm_error_set(err, CM_EUSAGE, "smtp: no session");
	rc = send_args_check(from, rcpts, n_rcpts, data, len, err);
	if (rc != 0)
		return rc;
	cres = smtp_perform(smtp, from, rcpts, n_rcpts, data != NULL ? data : "",
			    len);
	smtp->last = cres;
	results = smtp_results_new(rcpts, n_rcpts);
	if (results_fill(results, &smtp->trace) != 0) {
		char *why = g_strdup_printf("%s: %s", smtp->where,
					    smtp_curl_text(smtp, cres));

		results_tempfail(results, why);
		rc = cm_error_set(err, CM_ETEMP, "smtp %s", why);
		g_free(why);
	}
	log_debug("smtp %s: %zu recipients, curl: %s", smtp->where, n_rcpts,
		  cres == CURLE_OK ? "ok" : smtp_curl_text(smtp, cres));
	trace_clear(&smtp->trace);
	*results_r = results;
	return rc;
}

/* ---- the session ---- */

static int
conf_check(const struct smtp_conf *conf, struct cm_error *err)
{
	const char *h = conf->helo_domain;

	if (conf->url == NULL)
		return cm_error_set(err, CM_EUSAGE, "smtp: no URL");
	if (conf->timeout_secs < 0)
		return cm_error_set(err, CM_EUSAGE, "smtp: negative timeout");
	if (conf->user != NULL && conf->password == NULL &&
	    conf->access_token == NULL)
		return cm_error_set(err, CM_EUSAGE, "smtp: user without password");
	if (h != NULL) {
		size_t len = strlen(h);

		if (len == 0 || len > SMTP_DOMAIN_MAX)
			return cm_error_set(err, CM_EUSAGE,
					    "smtp: bad HELO domain");
		for (const char *p = h; *p != '\0'; p++)
			if ((unsigned char)*p <= 0x20 || *p == 0x7f)
				return cm_error_set(err, CM_EUSAGE,
						    "smtp: bad HELO domain");
	}
	return 0;
}

static char *
url_part(CURLU *u, CURLUPart part, unsigned int flags)
{
	char *s = NULL, *copy;

	if (curl_url_get(u, part, &s, flags) != CURLUE_OK)
		return NULL;
	copy = g_strdup(s);
	curl_free(s);
	return copy;
}

/* Scheme, no credentials in the URL, HELO domain as the path (libcurl's way). */
static int
url_check(CURLU *u, const struct smtp_conf *conf, struct cm_error *err)
{
	char *scheme = url_part(u, CURLUPART_SCHEME, 0);
	char *user = url_part(u, CURLUPART_USER, 0);
	char *pass = url_part(u, CURLUPART_PASSWORD, 0);
	int rc = 0;

	if (scheme == NULL ||
	    (strcmp(scheme, "smtp") != 0 && strcmp(scheme, "smtps") != 0))
		rc = cm_error_set(err, CM_EUSAGE,
				  "smtp: URL is not smtp:// or smtps://");
	else if (user != NULL || pass != NULL)
		rc = cm_error_set(err, CM_EUSAGE, "smtp: credentials in the "
				  "URL; use user and password");
	else if (conf->tls == SMTP_TLS_STARTTLS && strcmp(scheme, "smtp") != 0)
		rc = cm_error_set(err, CM_EUSAGE,
				  "smtp: STARTTLS needs an smtp:// URL");
	g_free(scheme);
	g_free(user);
	g_free(pass);
	return rc;
}

static int
url_build(const struct smtp_conf *conf, char **url_r, char **where_r,
	  struct cm_error *err)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *path = NULL;
	int rc = 0;

	if (u == NULL)
		return cm_error_set(err, CM_EINTERNAL, "smtp: out of memory");
	if (curl_url_set(u, CURLUPART_URL, conf->url, 0) != CURLUE_OK) {
		rc = cm_error_set(err, CM_EUSAGE, "smtp: malformed URL");
		goto out;
	}
	rc = url_check(u, conf, err);
	if (rc != 0)
		goto out;
	path = conf->helo_domain != NULL ?
		g_strconcat("/", conf->helo_domain, NULL) : NULL;
	if (path != NULL &&
	    curl_url_set(u, CURLUPART_PATH, path, CURLU_URLENCODE) != CURLUE_OK) {
		rc = cm_error_set(err, CM_EUSAGE, "smtp: bad HELO domain");
		goto out;
	}
	host = url_part(u, CURLUPART_HOST, 0);
	port = url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
	*url_r = url_part(u, CURLUPART_URL, 0);
	*where_r = g_strdup_printf("%s:%s", host != NULL ? host : "?",
				   port != NULL ? port : "?");
	if (*url_r == NULL)
		rc = cm_error_set(err, CM_EINTERNAL, "smtp: cannot rebuild URL");
out:
	g_free(host);
	g_free(port);
	g_free(path);
	curl_url_cleanup(u);
	return rc;
}

/* Options that hold for every transaction of the session. */
static CURLcode
session_setopts(struct smtp *s, const struct smtp_conf *conf, const char *url)
{
	long timeout = conf->timeout_secs > 0 ? conf->timeout_secs :
		SMTP_DEFAULT_TIMEOUT_SECS;
	CURL *c = s->curl;
	CURLcode r = CURLE_OK;

#define SETOPT(opt, val) \
	do { if (r == CURLE_OK) r = curl_easy_setopt(c, opt, val); } while (0)
	SETOPT(CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	SETOPT(CURLOPT_ERRORBUFFER, s->errbuf);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_CONNECTTIMEOUT, timeout);
	SETOPT(CURLOPT_TIMEOUT, timeout);
	/* smtp://: STARTTLS whenever the server offers it, required with
	 * tls = starttls (smtps:// is TLS from the start either way). */
	SETOPT(CURLOPT_USE_SSL, conf->tls == SMTP_TLS_STARTTLS ?
	       (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	SETOPT(CURLOPT_SSL_VERIFYPEER, conf->tls_verify ? 1L : 0L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, conf->tls_verify ? 2L : 0L);
	if (conf->ca_file != NULL)
		SETOPT(CURLOPT_CAINFO, conf->ca_file);
	if (conf->user != NULL && conf->access_token != NULL) {
		SETOPT(CURLOPT_USERNAME, conf->user);
		SETOPT(CURLOPT_XOAUTH2_BEARER, conf->access_token);
		/* Only XOAUTH2: never a fallback that sends something else. */
		SETOPT(CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
	} else if (conf->user != NULL) {
		SETOPT(CURLOPT_USERNAME, conf->user);
		SETOPT(CURLOPT_PASSWORD, conf->password);
	}
	SETOPT(CURLOPT_UPLOAD, 1L);
	SETOPT(CURLOPT_READFUNCTION, upload_read_cb);
	SETOPT(CURLOPT_READDATA, &s->upload);
	/* Refused recipients must not sink the others (see trace). */
	SETOPT(SMTP_OPT_RCPT_ALLOWFAILS, 1L);
	SETOPT(CURLOPT_DEBUGFUNCTION, smtp_debug_cb);
	SETOPT(CURLOPT_DEBUGDATA, &s->trace);
	SETOPT(CURLOPT_VERBOSE, 1L);
	SETOPT(CURLOPT_OPENSOCKETFUNCTION, smtp_socket_cb);
	SETOPT(CURLOPT_OPENSOCKETDATA, s);
	s->one_login = conf->user != NULL && conf->access_token != NULL;
#undef SETOPT
	return r;
}

int
smtp_open(const struct smtp_conf *conf, struct smtp **smtp_r,
	  struct cm_error *err)
{
	struct smtp *s = NULL;
	char *url = NULL;
	CURLcode cres;
	int rc;

	*smtp_r = NULL;
	rc = conf_check(conf, err);
	if (rc != 0)
		return rc;
	s = g_new0(struct smtp, 1);
	s->trace.line = g_string_new(NULL);
	s->trace.text = g_string_new(NULL);
	rc = url_build(conf, &url, &s->where, err);
	if (rc != 0)
		goto out;
	s->curl = curl_easy_init();
	if (s->curl == NULL) {
		rc = cm_error_set(err, CM_EINTERNAL,
				  "smtp: curl_easy_init failed");
		goto out;
	}
	cres = session_setopts(s, conf, url);
	if (cres != CURLE_OK) {
		rc = cm_error_set(err, CM_EINTERNAL, "smtp %s: %s", s->where,
				  curl_easy_strerror(cres));
		goto out;
	}
	if (conf->user != NULL && conf->tls != SMTP_TLS_STARTTLS &&
	    g_ascii_strncasecmp(conf->url, "smtps:", 6) != 0)
		log_warnx("smtp %s: %s sent without TLS if the server "
			  "does not offer STARTTLS", s->where,
			  conf->access_token != NULL ? "access token"
						     : "password");
	*smtp_r = s;
	s = NULL;
out:
	g_free(url);
	smtp_close(&s);
	return rc;
}

static size_t
discard_cb(char *data, size_t size, size_t nitems, void *arg)
{
	(void)data;
	(void)arg;
	return size * nitems;
}

int
smtp_login_denied(const struct smtp *smtp)
{
	return smtp != NULL && smtp->last == CURLE_LOGIN_DENIED;
}

int
smtp_connection_lost(const struct smtp *smtp)
{
	return smtp != NULL && smtp->lost;
}

int
smtp_check(struct smtp *s, struct cm_error *err)
{
	CURL *c = s->curl;
	CURLcode r;

	/* A custom command without recipients: libcurl logs in, sends it
	 * and takes the reply; no mail transaction starts. */
	r = curl_easy_setopt(c, CURLOPT_UPLOAD, 0L);
	if (r == CURLE_OK)
		r = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "NOOP");
	if (r == CURLE_OK)
		r = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
	if (r == CURLE_OK) {
		smtp_transfer_start(s);
		r = curl_easy_perform(c);
	}
	s->last = r;
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, (char *)NULL);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	trace_clear(&s->trace);
	if (r == CURLE_OK)
		return 0;
	return cm_error_set(err, r == CURLE_LOGIN_DENIED ||
			    r == CURLE_PEER_FAILED_VERIFICATION ? CM_ECONFIG
			    : CM_ETEMP, "smtp %s: %s", s->where,
			    smtp_curl_text(s, r));
}

/*
 * libcurl sends QUIT itself when the handle is cleaned up, but from an
 * internal handle that waits up to two minutes for the reply, whatever our
 * timeout says.  So QUIT goes first as a custom command under our limit;
 * a server that answers closes the connection, one that does not makes
 * the transfer time out, and either way libcurl has nothing left to wait
 * for.  No connection (never made, or the server went away): nothing to
 * do, and no new connection (and login) just to say QUIT.
 */
static void
smtp_quit(struct smtp *s)
{
	curl_socket_t fd = CURL_SOCKET_BAD;
	CURL *c = s->curl;
	CURLcode r;

	if (curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
	    fd == CURL_SOCKET_BAD)
		return;
	r = curl_easy_setopt(c, CURLOPT_UPLOAD, 0L);
	if (r == CURLE_OK)
		r = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "QUIT");
	if (r == CURLE_OK)
		r = curl_easy_setopt(c, CURLOPT_TIMEOUT,
				     (long)SMTP_QUIT_TIMEOUT_SECS);
	if (r == CURLE_OK)
		r = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
	s->quitting = 1;
	if (r == CURLE_OK)
		(void)curl_easy_perform(c);
}

void
smtp_close(struct smtp **smtp)
{
	struct smtp *s;

	if (smtp == NULL || *smtp == NULL)
		return;
	s = *smtp;
	*smtp = NULL;
	if (s->curl != NULL) {
		smtp_quit(s);
		curl_easy_setopt(s->curl, CURLOPT_VERBOSE, 0L);
		curl_easy_setopt(s->curl, CURLOPT_DEBUGFUNCTION,
				 (curl_debug_callback)NULL);
		curl_easy_cleanup(s->curl);
	}
	trace_clear(&s->trace);
	g_string_free(s->trace.line, TRUE);
	g_string_free(s->trace.text, TRUE);
	g_free(s->where);
	g_free(s);
}
