/*
 * web_http.c - casemail-web's HTTP side on libmicrohttpd: the server,
 * each request's life (body, store, session, route, answer), form and
 * header access, and the headers every answer carries.
 */
#include "web_private.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "casemail/log.h"
#include "casemail/web_api.h"
#include "casemail/web_report.h"

/* Threads serving requests: a desk is a few dozen agents; each request is
 * short (a page is a few ms), so a handful keeps everybody served. */
#define WEB_THREADS 4
/* A client that sends nothing for this long is dropped. */
#define WEB_CONN_TIMEOUT_SECS 30

/* Every answer: no framing, no sniffing, nothing from elsewhere, no
 * script at all (the pages are plain HTML forms). */
#define WEB_CSP "default-src 'self'; script-src 'none'; object-src 'none'; " \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

struct web_server {
	struct MHD_Daemon *daemon;
};

/* ---- per-thread store ------------------------------------------------- */

static void
web_store_close(gpointer p)
{
	struct store *s = p;

	store_close(&s);
}

static GPrivate web_store_key = G_PRIVATE_INIT(web_store_close);

/* This thread's store, opened on first use. */
static int
web_store(struct web_req *r)
{
	struct store_options opt = { 0 };
	struct store *s = g_private_get(&web_store_key);
	int rc;

	if (s == NULL) {
		opt.busy_timeout_ms = r->web->cfg->store_busy_timeout_ms;
		opt.cfg = r->web->cfg;
		rc = store_open(r->web->cfg->store_database, &opt, &s, &r->err);
		if (rc != 0)
			return rc;
		g_private_set(&web_store_key, s);
	}
	r->store = s;
	return 0;
}

/* ---- request access --------------------------------------------------- */

const char *
web_query(struct web_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
web_header(struct web_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *
web_cookie(struct web_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *
web_form(struct web_req *r, const char *name)
{
	return r->form != NULL ? g_hash_table_lookup(r->form, name) : NULL;
}

void
web_add_header(struct web_req *r, const char *name, const char *value)
{
	g_assert(strpbrk(value, "\r\n") == NULL);
	g_ptr_array_add(r->headers, g_strdup_printf("%s\n%s", name, value));
}

void
web_redirect(struct web_req *r, const char *location)
{
	r->status = MHD_HTTP_SEE_OTHER;
	g_free(r->location);
	r->location = g_strdup(location);
}

void
web_error_page(struct web_req *r, int status, const char *message)
{
	g_string_truncate(r->out, 0);
	r->status = status;
	web_page_begin(r, "Error");
	web_put(r->out, "<p class=\"error\">%s</p>", message);
	if (r->session != NULL)
		g_string_append(r->out, "<p><a href=\"/cases\">Back to the "
				"cases</a></p>");
	web_page_end(r);
}

void
web_fail(struct web_req *r, const struct cm_error *err)
{
	int status;

	switch (err->code) {
	case CM_EUSAGE: status = MHD_HTTP_BAD_REQUEST; break;
	case CM_ENOTFOUND: status = MHD_HTTP_NOT_FOUND; break;
	case CM_EREFUSED: status = MHD_HTTP_CONFLICT; break;
	case CM_ETEMP: status = MHD_HTTP_SERVICE_UNAVAILABLE; break;
	default: status = MHD_HTTP_INTERNAL_SERVER_ERROR; break;
	}
	if (status >= 500)
		log_warnx("web: %s %s: %s", r->method, r->path, err->msg);
	web_error_page(r, status, err->msg);
}

/* "a%20b+c" -> "a b c"; NULL for a bad escape or a NUL in it. */
static char *
web_form_unescape(const char *s, size_t len)
{
	char *plus = g_strndup(s, len), *out;

	for (char *p = plus; *p != '\0'; p++)
		if (*p == '+')
			*p = ' ';
	out = g_uri_unescape_string(plus, NULL);
	g_free(plus);
	return out;
}

GHashTable *
web_parse_form(const char *data, size_t len)
{
	GHashTable *form = g_hash_table_new_full(g_str_hash, g_str_equal,
						 g_free, g_free);
	const char *p = data, *end = data + len;

	if (memchr(data, '\0', len) != NULL)
		goto bad;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp != NULL ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		char *k, *v;

		if (stop > p) {
			k = web_form_unescape(p, (size_t)((eq ? eq : stop) - p));
			v = eq != NULL ? web_form_unescape(eq + 1,
					(size_t)(stop - eq - 1)) : g_strdup("");
			if (k == NULL || v == NULL) {
				g_free(k);
				g_free(v);
				goto bad;
			}
			g_hash_table_replace(form, k, v);
		}
		p = stop + 1;
	}
	return form;
bad:
	g_hash_table_unref(form);
	return NULL;
}

/* ---- routing ---------------------------------------------------------- */

/* The request's query, its arguments escaped again (the server hands
 * them over unescaped), or NULL for none; caller g_free()s. */
static char *web_query_string(struct web_req *r);

/* GET /reports: WEB2's report content (report.h) in our page. */
static void
web_reports_page(struct web_req *r)
{
	struct web_api_env env = { r->store, r->web->cfg, r->now };
	char *query = web_query_string(r);
	GString *body = g_string_new(NULL);
	int rc = web_report_page(&env, query, body, &r->err);

	if (rc == 0) {
		web_page_begin(r, "Reports");
		g_string_append(r->out, "<h1>Reports</h1>\n");
		g_string_append_len(r->out, body->str, (gssize)body->len);
		web_page_end(r);
	} else {
		web_fail(r, &r->err);
	}
	g_string_free(body, TRUE);
	g_free(query);
}

/* Re-escape one query argument onto the string in cls. */
static enum MHD_Result
web_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
	      const char *value)
{
	GString *q = cls;
	char *k = g_uri_escape_string(key, NULL, FALSE);
	char *v = g_uri_escape_string(value != NULL ? value : "", NULL, FALSE);

	(void)kind;
	g_string_append_printf(q, "%s%s=%s", q->len ? "&" : "", k, v);
	g_free(k);
	g_free(v);
	return MHD_YES;
}

/* /api/v1/...: WEB2's dispatcher, with the bearer token and no cookie
 * (a browser's session signs no API request in, so no CSRF applies). */
static void
web_route_api(struct web_req *r, const char *rest)
{
	struct web_api_env env = { r->store, r->web->cfg, r->now };
	const char *auth = web_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *bearer = NULL;
	char *query = web_query_string(r);
	char *json = NULL;
	int status = MHD_HTTP_INTERNAL_SERVER_ERROR;

	if (auth != NULL && g_ascii_strncasecmp(auth, "Bearer ", 7) == 0)
		bearer = auth + 7;
	if (web_api_dispatch(&env, r->method, rest[0] != '\0' ? rest : "/",
			     query, r->body->str,
			     r->body->len, bearer, &status, &json) != 0 ||
	    json == NULL) {
		log_warnx("web: %s %s: the API gave no answer", r->method,
			  r->path);
		json = g_strdup("{\"error\":{\"code\":\"internal\","
				"\"message\":\"no answer\"}}");
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	r->status = status;
	r->content_type = "application/json";
	g_string_assign(r->out, json);
	g_free(json);
	g_free(query);
}

static char *
web_query_string(struct web_req *r)
{
	GString *query = g_string_new(NULL);

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
				  web_query_arg, query);
	if (query->len == 0) {
		g_string_free(query, TRUE);
		return NULL;
	}
	return g_string_free(query, FALSE);
}

static int
web_is(struct web_req *r, const char *method)
{
	return strcmp(r->method, method) == 0;
}

/* /case/NUMBER[/ACTION] */
static void
web_route_case(struct web_req *r, const char *rest)
{
	const char *slash = strchr(rest, '/');
	char *num = g_strndup(rest, slash ? (gsize)(slash - rest)
					  : strlen(rest));
	int64_t id;

	if (case_parse_number(r->web->cfg, num, &id, &r->err) != 0)
		web_error_page(r, MHD_HTTP_NOT_FOUND, "no such case");
	else if (slash == NULL && web_is(r, "GET"))
		web_case_page(r, id);
	else if (slash != NULL && web_is(r, "POST"))
		web_case_action(r, id, slash + 1);
	else
		web_error_page(r, MHD_HTTP_METHOD_NOT_ALLOWED,
			       "method not allowed");
	g_free(num);
}

static void
web_route_signed_in(struct web_req *r)
{
	const char *p = r->path;

	if (web_is(r, "POST") && !web_csrf_ok(r)) {
		log_warnx("web: %s %s from %s: refused, no valid CSRF token",
			  r->method, p, r->client_ip);
		web_error_page(r, MHD_HTTP_FORBIDDEN, "this form has expired "
			       "or did not come from this desk: reload the "
			       "page and try again");
		return;
	}
	if (strcmp(p, "/") == 0)
		web_redirect(r, "/cases");
	else if (strcmp(p, "/logout") == 0 && web_is(r, "POST"))
		web_logout_post(r);
	else if (strcmp(p, "/cases") == 0 && web_is(r, "GET"))
		web_list_page(r);
	else if (strcmp(p, "/reports") == 0 && web_is(r, "GET"))
		web_reports_page(r);
	else if (g_str_has_prefix(p, "/case/"))
		web_route_case(r, p + strlen("/case/"));
	else if (g_str_has_prefix(p, "/attachment/") && web_is(r, "GET"))
		web_attachment(r, p + strlen("/attachment/"));
	else
		web_error_page(r, MHD_HTTP_NOT_FOUND, "no such page");
}

static void
web_route(struct web_req *r)
{
	const char *p = r->path;
	int rc;

	if (strcmp(p, "/style.css") == 0) {
		r->content_type = "text/css; charset=utf-8";
		g_string_append(r->out, web_style_css);
		web_add_header(r, "Cache-Control", "max-age=3600");
		return;
	}
	if (strcmp(p, "/favicon.ico") == 0) {
		r->status = MHD_HTTP_NOT_FOUND;
		return;
	}
	if (g_str_has_prefix(p, "/api/v1/") || strcmp(p, "/api/v1") == 0) {
		if (web_store(r) != 0)
			web_fail(r, &r->err);
		else
			web_route_api(r, p + strlen("/api/v1"));
		return;
	}
	if ((rc = web_store(r)) != 0 || (rc = web_session_load(r)) != 0) {
		web_fail(r, &r->err);
		return;
	}
	if (strcmp(p, "/login") == 0) {
		if (web_is(r, "POST"))
			web_login_post(r);
		else if (r->session != NULL)
			web_redirect(r, "/cases");
		else
			web_login_page(r);
		return;
	}
	if (r->session == NULL) {
		if (web_is(r, "GET"))
			web_redirect(r, "/login");
		else
			web_error_page(r, MHD_HTTP_FORBIDDEN,
				       "not signed in");
		return;
	}
	web_route_signed_in(r);
}

/* ---- the answer ------------------------------------------------------- */

static enum MHD_Result
web_respond(struct web_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->out_bytes != NULL) {
		gsize n;
		const void *d = g_bytes_get_data(r->out_bytes, &n);

		resp = MHD_create_response_from_buffer(n, (void *)d,
						       MHD_RESPMEM_MUST_COPY);
	} else {
		resp = MHD_create_response_from_buffer(r->out->len,
						       r->out->str,
						       MHD_RESPMEM_MUST_COPY);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r->content_type);
	MHD_add_response_header(resp, "Content-Security-Policy", WEB_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	if (r->location != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
					r->location);
	for (guint i = 0; i < r->headers->len; i++) {
		char *h = g_strdup(r->headers->pdata[i]);
		char *nl = strchr(h, '\n');

		*nl = '\0';
		MHD_add_response_header(resp, h, nl + 1);
		g_free(h);
	}
	if (g_ptr_array_find_with_equal_func(r->headers, "Cache-Control",
					     NULL, NULL) == FALSE)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
web_req_free(struct web_req *r)
{
	if (r == NULL)
		return;
	if (r->body != NULL)
		g_string_free(r->body, TRUE);
	if (r->form != NULL)
		g_hash_table_unref(r->form);
	store_websession_free(&r->session);
	g_free(r->actor_name);
	g_string_free(r->out, TRUE);
	if (r->out_bytes != NULL)
		g_bytes_unref(r->out_bytes);
	g_free(r->location);
	g_ptr_array_unref(r->headers);
	g_free(r);
}

static void
web_client_ip(struct web_req *r)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	g_strlcpy(r->client_ip, "?", sizeof(r->client_ip));
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  r->client_ip, sizeof(r->client_ip));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr,
			  r->client_ip, sizeof(r->client_ip));
}

static struct web_req *
web_req_new(const struct web *w, struct MHD_Connection *conn,
	    const char *url, const char *method)
{
	struct web_req *r = g_new0(struct web_req, 1);

	r->web = w;
	r->conn = conn;
	r->method = method;
	r->path = url;
	r->body = g_string_new(NULL);
	r->out = g_string_new(NULL);
	r->headers = g_ptr_array_new_with_free_func(g_free);
	r->status = MHD_HTTP_OK;
	r->content_type = "text/html; charset=utf-8";
	web_client_ip(r);
	return r;
}

static int
web_form_body(struct web_req *r)
{
	const char *ct = web_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);

	if (ct == NULL || !g_str_has_prefix(ct,
			"application/x-www-form-urlencoded"))
		return 0;
	r->form = web_parse_form(r->body->str, r->body->len);
	return r->form != NULL ? 0 : -1;
}

static enum MHD_Result
web_handle(void *cls, struct MHD_Connection *conn, const char *url,
	   const char *method, const char *version, const char *upload,
	   size_t *upload_size, void **con_cls)
{
	const struct web *w = cls;
	struct web_req *r = *con_cls;

	(void)version;
	if (r == NULL) {
		*con_cls = web_req_new(w, conn, url, method);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (r->body->len + *upload_size <=
		    (size_t)w->cfg->web_max_body_bytes)
			g_string_append_len(r->body, upload, *upload_size);
		else
			r->status = MHD_HTTP_CONTENT_TOO_LARGE;
		*upload_size = 0;
		return MHD_YES;
	}
	r->now = w->clock();
	if (r->status == MHD_HTTP_CONTENT_TOO_LARGE &&
	    g_str_has_prefix(r->path, "/api/v1")) {
		/* An API client reads JSON, errors included. */
		char *json = web_api_error_json(WEB_API_EBADREQUEST, "the body "
						"is longer than [web] max_body");

		r->content_type = "application/json";
		g_string_assign(r->out, json);
		g_free(json);
	} else if (r->status == MHD_HTTP_CONTENT_TOO_LARGE)
		web_error_page(r, r->status, "request too large");
	else if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		web_error_page(r, MHD_HTTP_METHOD_NOT_ALLOWED,
			       "method not allowed");
	else if (web_form_body(r) != 0)
		web_error_page(r, MHD_HTTP_BAD_REQUEST, "malformed form");
	else
		web_route(r);
	return web_respond(r);
}

static void
web_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	web_req_free(*con_cls);
	*con_cls = NULL;
}

/* ---- the server ------------------------------------------------------- */

static int
web_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr)
			>> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(
		&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

int
web_listen_parse(const char *listen, int allow_remote, void *sa_r,
		 unsigned *sa_len_r, struct cm_error *err)
{
	struct sockaddr_storage *ss = sa_r;
	const char *colon = strrchr(listen, ':');
	char host[64];
	char *end = NULL;
	long port;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (colon == NULL || colon == listen)
		goto bad;
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end != '\0' || port < 1 || port > 65535)
		goto bad;
	hlen = (size_t)(colon - listen);
	if (listen[0] == '[') {
		if (hlen < 3 || listen[hlen - 1] != ']' || hlen - 2 >= sizeof(host))
			goto bad;
		memcpy(host, listen + 1, hlen - 2);
		host[hlen - 2] = '\0';
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			goto bad;
		*sa_len_r = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (hlen >= sizeof(host))
			goto bad;
		memcpy(host, listen, hlen);
		host[hlen] = '\0';
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
		*sa_len_r = sizeof(*s4);
	}
	if (!allow_remote && !web_is_loopback(ss))
		return cm_error_set(err, CM_ECONFIG, "[web] listen = %s is not "
				    "a loopback address: put a TLS reverse "
				    "proxy in front, or set allow_remote = "
				    "yes", listen);
	return 0;
bad:
	return cm_error_set(err, CM_ECONFIG, "[web] listen = %s: want "
			    "IPV4:PORT or [IPV6]:PORT", listen);
}

int
web_server_start(struct web *w, struct web_server **srv_r,
		 struct cm_error *err)
{
	struct sockaddr_storage ss;
	unsigned len = 0;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct web_server *srv;
	int rc;

	rc = web_listen_parse(w->cfg->web_listen, w->cfg->web_allow_remote,
			      &ss, &len, err);
	if (rc != 0)
		return rc;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv = g_new0(struct web_server, 1);
	srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, web_handle, w,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)WEB_THREADS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WEB_CONN_TIMEOUT_SECS,
		MHD_OPTION_NOTIFY_COMPLETED, web_completed, NULL,
		MHD_OPTION_END);
	if (srv->daemon == NULL) {
		g_free(srv);
		return cm_error_set(err, CM_ECONFIG, "cannot listen on %s "
				    "(in use, or not this machine's address?)",
				    w->cfg->web_listen);
	}
	*srv_r = srv;
	return 0;
}

void
web_server_stop(struct web_server **srvp)
{
	struct web_server *srv = srvp != NULL ? g_steal_pointer(srvp) : NULL;

	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->daemon);
	g_free(srv);
}
