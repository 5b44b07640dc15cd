/*
 * oauth2_http.c - talking to the token endpoint: one form POST over
 * libcurl (TLS verified, http:// only where config_load() allowed it),
 * and reading the JSON reply with json-glib.  Nothing here logs: the
 * form holds secrets, so errors carry the endpoint's address and the
 * server's error code only.
 */
#include "oauth2_private.h"

#include <math.h>
#include <string.h>

#include <curl/curl.h>
#include <json-glib/json-glib.h>

#include "casemail/config.h"

/* error_description is shown to an admin: one short clean line. */
#define OAUTH2_DESCRIPTION_MAX 200
/* The expires_in we assume when the server is silent (RFC 6749 5.1
 * only recommends it); Microsoft and Google say 3600. */
#define OAUTH2_DEFAULT_LIFE_SECS 3600

void
oauth2_secret_free(char **s)
{
	if (s == NULL || *s == NULL)
		return;
	memset(*s, 0, strlen(*s));
	g_free(*s);
	*s = NULL;
}

int
oauth2_token_ok(const char *t)
{
	size_t n = t != NULL ? strlen(t) : 0;

	if (n == 0 || n > OAUTH2_TOKEN_MAX_BYTES)
		return 0;
	/* RFC 6750 2.1 b64token plus what providers use; no space, no
	 * control byte (it goes into SASL strings and a one-line file). */
	for (const char *p = t; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

void
oauth2_reply_clear(struct oauth2_reply *r)
{
	oauth2_secret_free(&r->access_token);
	oauth2_secret_free(&r->refresh_token);
	g_free(r->error);
	g_free(r->error_description);
	memset(r, 0, sizeof(*r));
}

/* A string member, or NULL when absent or not a string. */
static const char *
json_str(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	if (n == NULL || JSON_NODE_TYPE(n) != JSON_NODE_VALUE ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

/* A number member, also as a string of digits (some servers quote
 * it); def when absent or unusable.  A double is range-checked before
 * the cast (1e300, inf or nan would make it undefined) and a fraction
 * rounds up. */
int64_t
oauth2_json_int(JsonObject *o, const char *name, int64_t def)
{
	JsonNode *n = json_object_get_member(o, name);
	const char *s;
	char *end = NULL;
	gint64 v;
	double d;

	if (n == NULL || JSON_NODE_TYPE(n) != JSON_NODE_VALUE)
		return def;
	if (json_node_get_value_type(n) == G_TYPE_INT64)
		return json_node_get_int(n);
	if (json_node_get_value_type(n) == G_TYPE_DOUBLE) {
		d = json_node_get_double(n);
		if (!isfinite(d) || d < -(double)G_MAXINT32 ||
		    d > (double)G_MAXINT32)
			return def;
		v = (gint64)d;
		return (double)v < d ? v + 1 : v;
	}
	if (json_node_get_value_type(n) != G_TYPE_STRING)
		return def;
	s = json_node_get_string(n);
	if (s == NULL)
		return def;
	v = g_ascii_strtoll(s, &end, 10);
	return end != s && *end == '\0' ? v : def;
}

char *
oauth2_clean(const char *s, size_t max)
{
	GString *out = g_string_new(NULL);
	const char *p = s != NULL ? s : "";

	while (*p != '\0') {
		gunichar c = g_utf8_get_char_validated(p, -1);
		char buf[6];
		gint len;

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			c = '?'; /* not UTF-8: one byte at a time */
			p++;
		} else {
			p = g_utf8_next_char(p);
			/* Controls (C0, C1, DEL), format characters (bidi
			 * overrides) and line breaks. */
			if (!g_unichar_isprint(c) ||
			    g_unichar_type(c) == G_UNICODE_LINE_SEPARATOR ||
			    g_unichar_type(c) == G_UNICODE_PARAGRAPH_SEPARATOR)
				c = ' ';
		}
		len = g_unichar_to_utf8(c, buf);
		if (out->len + (size_t)len > max)
			break;
		g_string_append_len(out, buf, len);
	}
	return g_string_free(out, FALSE);
}

static int
oauth2_fill_success(JsonObject *o, struct oauth2_reply *r,
		    struct cm_error *err)
{
	const char *type = json_str(o, "token_type");
	const char *at = json_str(o, "access_token");
	const char *rt = json_str(o, "refresh_token");

	if (!oauth2_token_ok(at))
		return cm_error_set(err, CM_EINPUT, "no usable access_token "
				    "in the reply");
	/* RFC 6749 7.1: we only know how to use Bearer tokens. */
	if (type != NULL && g_ascii_strcasecmp(type, "bearer") != 0)
		return cm_error_set(err, CM_EINPUT, "token_type '%.40s' is "
				    "not Bearer", type);
	if (rt != NULL && !oauth2_token_ok(rt))
		return cm_error_set(err, CM_EINPUT, "unusable refresh_token "
				    "in the reply");
	r->access_token = g_strdup(at);
	r->refresh_token = g_strdup(rt);
	r->expires_in = oauth2_json_int(o, "expires_in", OAUTH2_DEFAULT_LIFE_SECS);
	if (r->expires_in <= 0 || r->expires_in > G_MAXINT32)
		r->expires_in = OAUTH2_DEFAULT_LIFE_SECS;
	return 0;
}

int
oauth2_parse_reply(const char *body, size_t len, struct oauth2_reply *r,
		   struct cm_error *err)
{
	JsonParser *p = json_parser_new();
	GError *gerr = NULL;
	JsonNode *root;
	JsonObject *o;
	const char *e;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (len > OAUTH2_REPLY_MAX_BYTES ||
	    !json_parser_load_from_data(p, body, (gssize)len, &gerr)) {
		g_clear_error(&gerr);
		g_object_unref(p);
		return cm_error_set(err, CM_EINPUT, "the reply is not JSON");
	}
	root = json_parser_get_root(p);
	if (root == NULL || JSON_NODE_TYPE(root) != JSON_NODE_OBJECT) {
		g_object_unref(p);
		return cm_error_set(err, CM_EINPUT, "the reply is not a JSON "
				    "object");
	}
	o = json_node_get_object(root);
	e = json_str(o, "error");
	if (e != NULL) {
		const char *d = json_str(o, "error_description");

		r->error = oauth2_clean(e, 64);
		r->error_description = d != NULL ?
			oauth2_clean(d, OAUTH2_DESCRIPTION_MAX) : NULL;
	} else {
		rc = oauth2_fill_success(o, r, err);
	}
	g_object_unref(p);
	if (rc != 0)
		oauth2_reply_clear(r);
	return rc;
}

static size_t
oauth2_write_cb(char *data, size_t size, size_t nitems, void *arg)
{
	GString *body = arg;
	size_t n = size * nitems;

	/* Past the cap the transfer fails: no token reply is that big. */
	if (body->len + n > OAUTH2_REPLY_MAX_BYTES)
		return 0;
	g_string_append_len(body, data, (gssize)n);
	return n;
}

/* name=value&... with every value escaped. */
static char *
oauth2_form_encode(CURL *c, const char *const *form)
{
	GString *out = g_string_new(NULL);

	for (size_t i = 0; form[i] != NULL && form[i + 1] != NULL; i += 2) {
		char *v = curl_easy_escape(c, form[i + 1], 0);

		g_string_append_printf(out, "%s%s=%s", out->len ? "&" : "",
				       form[i], v != NULL ? v : "");
		if (v != NULL) {
			memset(v, 0, strlen(v));
			curl_free(v);
		}
	}
	return g_string_free(out, FALSE);
}

void
oauth2_http_clear(struct oauth2_http *res)
{
	if (res->body != NULL)
		g_string_free(res->body, TRUE);
	res->body = NULL;
	res->status = 0;
}

static CURLcode
oauth2_http_setopts(CURL *c, const char *url, const char *ca_file,
		    const char *fields, struct oauth2_http *res,
		    struct curl_slist *headers, char *errbuf)
{
	CURLcode r = CURLE_OK;

#define SETOPT(opt, val) \
	do { if (r == CURLE_OK) r = curl_easy_setopt(c, opt, val); } while (0)
	SETOPT(CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* No redirects: a token request must not be sent elsewhere. */
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_CONNECTTIMEOUT, (long)OAUTH2_HTTP_TIMEOUT_SECS);
	SETOPT(CURLOPT_TIMEOUT, (long)OAUTH2_HTTP_TIMEOUT_SECS);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file != NULL)
		SETOPT(CURLOPT_CAINFO, ca_file);
	SETOPT(CURLOPT_HTTPHEADER, headers);
	SETOPT(CURLOPT_POSTFIELDS, fields);
	SETOPT(CURLOPT_WRITEFUNCTION, oauth2_write_cb);
	SETOPT(CURLOPT_WRITEDATA, res->body);
#undef SETOPT
	return r;
}

int
oauth2_http_post(const char *url, const char *ca_file,
		 const char *const *form, struct oauth2_http *res,
		 struct cm_error *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	CURL *c = curl_easy_init();
	char *fields = NULL, *host = config_url_host(url);
	CURLcode r;
	int rc = 0;

	res->status = 0;
	res->body = g_string_new(NULL);
	if (c == NULL) {
		g_free(host);
		return cm_error_set(err, CM_EINTERNAL, "oauth2: out of memory");
	}
	fields = oauth2_form_encode(c, form);
	headers = curl_slist_append(headers, "Accept: application/json");
	r = oauth2_http_setopts(c, url, ca_file, fields, res, headers, errbuf);
	if (r == CURLE_OK)
		r = curl_easy_perform(c);
	if (r == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	else
		rc = cm_error_set(err, CM_ETEMP, "oauth2: %s: %s",
				  host != NULL ? host : "token endpoint",
				  errbuf[0] != '\0' ? errbuf
						    : curl_easy_strerror(r));
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	oauth2_secret_free(&fields);
	g_free(host);
	return rc;
}

int
oauth2_token_request(const struct config *cfg, const char *secret,
		     const char *const *form, struct oauth2_reply *r,
		     struct cm_error *err)
{
	const char *full[24];
	struct oauth2_http res = { 0 };
	size_t n = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	for (; form[n] != NULL && n < G_N_ELEMENTS(full) - 6; n++)
		full[n] = form[n];
	full[n++] = "client_id";
	full[n++] = cfg->oauth2_client_id;
	if (secret != NULL) {
		full[n++] = "client_secret";
		full[n++] = secret;
	}
	full[n] = NULL;
	rc = oauth2_http_post(cfg->oauth2_token_url, cfg->oauth2_tls_ca_file,
			      full, &res, err);
	if (rc != 0)
		return rc;
	/* 5xx, or a gateway's HTML page: the endpoint is not answering. */
	if (res.status >= 500 ||
	    oauth2_parse_reply(res.body->str, res.body->len, r, err) != 0) {
		rc = cm_error_set(err, CM_ETEMP, "oauth2: token endpoint "
				  "answered HTTP %ld%s", res.status,
				  res.status >= 500 ? "" : " without a token");
		oauth2_reply_clear(r);
	} else if (r->error == NULL && res.status != 200) {
		rc = cm_error_set(err, CM_ETEMP, "oauth2: token endpoint "
				  "answered HTTP %ld", res.status);
		oauth2_reply_clear(r);
	}
	oauth2_http_clear(&res);
	return rc;
}
