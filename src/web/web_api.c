/*
 * web_api.c - the JSON API's requests: who asks (the bearer token), what
 * (method and path), the query and the body, and errors as JSON (see
 * web_api.h; the endpoints are web_api_cases.c's).
 */
#include "web_api_private.h"

#include <stdarg.h>
#include <string.h>

#include "casemail/case_json.h"
#include "casemail/log.h"
#include "casemail/webauth.h"


int
api_answer(struct api_req *req, int status, JsonNode *node)
{
	if (req->answer != NULL)
		json_node_unref(req->answer);
	req->status = status;
	req->answer = node;
	return API_DONE;
}

static JsonNode *
api_error_node(const char *code, const char *message)
{
	JsonBuilder *b = case_json_begin();

	json_builder_set_member_name(b, "error");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "code");
	json_builder_add_string_value(b, code);
	json_builder_set_member_name(b, "message");
	json_builder_add_string_value(b, message);
	json_builder_end_object(b);
	return case_json_end(b);
}

char *
web_api_error_json(const char *code, const char *message)
{
	JsonGenerator *g = json_generator_new();
	JsonNode *n = api_error_node(code, message);
	char *json;

	json_generator_set_root(g, n);
	json = json_generator_to_data(g, NULL);
	g_object_unref(g);
	json_node_unref(n);
	return json;
}

int
api_fail(struct api_req *req, int status, const char *code,
	 const char *fmt, ...)
{
	char message[CM_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	g_vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	api_answer(req, status, api_error_node(code, message));
	return API_FAILED;
}

int
api_fail_cm(struct api_req *req, int rc)
{
	const char *msg = req->err.msg[0] != '\0' ? req->err.msg : "failed";

	switch (rc) {
	case CM_ENOTFOUND:
		return api_fail(req, 404, WEB_API_ENOTFOUND, "%s", msg);
	case CM_EUSAGE:
	case CM_EINPUT:
		return api_fail(req, 400, WEB_API_EBADREQUEST, "%s", msg);
	case CM_EREFUSED:
		return api_fail(req, 409, WEB_API_ECONFLICT, "%s", msg);
	case CM_ETEMP:
		return api_fail(req, 503, WEB_API_EINTERNAL, "busy, try again: "
				"%s", msg);
	default:
		log_warnx("api: agent=%s failed: %s", req->agent != NULL ?
			  req->agent : "-", msg);
		return api_fail(req, 500, WEB_API_EINTERNAL, "%s", msg);
	}
}

int
api_answer_case(struct api_req *req, int status, int64_t id, int full)
{
	JsonNode *node = NULL;
	int rc = case_json_show(req->env->store, req->env->cfg, id, full,
				&node, &req->err);

	if (rc == 0 && (rc = case_json_sla(req->env->store, req->env->cfg, id,
					   req->env->now,
					   json_node_get_object(node),
					   &req->err)) != 0)
		json_node_unref(node);
	return rc != 0 ? api_fail_cm(req, rc) : api_answer(req, status, node);
}

void
api_ctx(const struct api_req *req, struct case_ctx *ctx)
{
	ctx->store = req->env->store;
	ctx->cfg = req->env->cfg;
	ctx->actor = req->agent;
	ctx->now = req->env->now;
}

int
api_write(struct api_req *req, int (*fn)(struct api_req *, void *),
	  void *data)
{
	int rc = store_begin(req->env->store, &req->err);

	if (rc != 0)
		return api_fail_cm(req, rc);
	if (fn(req, data) != API_DONE) {
		store_rollback(req->env->store);
		return API_FAILED;
	}
	if ((rc = store_commit(req->env->store, &req->err)) != 0) {
		store_rollback(req->env->store);
		return api_fail_cm(req, rc);
	}
	return API_DONE;
}

/* ---- the body ----------------------------------------------------------- */

int
api_body_only(struct api_req *req, const char *const *allowed)
{
	GList *names = json_object_get_members(req->body);
	const char *bad = NULL;

	for (GList *l = names; l != NULL && bad == NULL; l = l->next) {
		if (!g_strv_contains(allowed, l->data))
			bad = l->data;
	}
	if (bad != NULL) {
		char *name = g_strdup(bad);

		g_list_free(names);
		api_fail(req, 400, WEB_API_EBADREQUEST, "unknown member "
			 "'%.100s'", name);
		g_free(name);
		return API_FAILED;
	}
	g_list_free(names);
	return API_DONE;
}

int
api_body_string(struct api_req *req, const char *name, int required,
		const char **v_r)
{
	JsonNode *n = json_object_get_member(req->body, name);

	*v_r = NULL;
	if (n == NULL || JSON_NODE_HOLDS_NULL(n)) {
		if (required)
			return api_fail(req, 400, WEB_API_EBADREQUEST, "'%s' "
					"is required", name);
		return API_DONE;
	}
	if (!JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return api_fail(req, 400, WEB_API_EBADREQUEST, "'%s' must be "
				"a string", name);
	*v_r = json_node_get_string(n);
	return API_DONE;
}

int
api_body_bool(struct api_req *req, const char *name, int *v_r)
{
	JsonNode *n = json_object_get_member(req->body, name);

	*v_r = 0;
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return API_DONE;
	if (!JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_BOOLEAN)
		return api_fail(req, 400, WEB_API_EBADREQUEST, "'%s' must be "
				"true or false", name);
	*v_r = json_node_get_boolean(n) ? 1 : 0;
	return API_DONE;
}

int
api_body_strings(struct api_req *req, const char *name, GHashTable **table_r)
{
	JsonNode *n = json_object_get_member(req->body, name);
	JsonObject *o;
	GList *names;
	int rc = API_DONE;

	*table_r = NULL;
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return API_DONE;
	if (!JSON_NODE_HOLDS_OBJECT(n))
		return api_fail(req, 400, WEB_API_EBADREQUEST, "'%s' must be "
				"an object of strings", name);
	o = json_node_get_object(n);
	*table_r = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 g_free);
	names = json_object_get_members(o);
	for (GList *l = names; l != NULL && rc == API_DONE; l = l->next) {
		JsonNode *v = json_object_get_member(o, l->data);

		if (!JSON_NODE_HOLDS_VALUE(v) ||
		    json_node_get_value_type(v) != G_TYPE_STRING)
			rc = api_fail(req, 400, WEB_API_EBADREQUEST, "'%s.%.64s' "
				      "must be a string", name,
				      (const char *)l->data);
		else
			g_hash_table_replace(*table_r, g_strdup(l->data),
					     g_strdup(json_node_get_string(v)));
	}
	g_list_free(names);
	if (rc != API_DONE)
		g_clear_pointer(table_r, g_hash_table_unref);
	return rc;
}

/* Our bodies nest two levels ({"set": {...}}); json-glib's parser
 * recurses once per level, so a body of a million '[' would overflow
 * the thread's stack.  Anything deeper than this is refused unread. */
#define API_JSON_MAX_DEPTH 16

/*
 * What json-glib must not see: the escape \u0000 (it decodes to a NUL
 * that silently cuts the string short) and nesting deeper than
 * API_JSON_MAX_DEPTH.  NULL when text is fine, else why not.  A scan
 * outside and inside strings: brackets in strings do not count.
 */
static const char *
api_body_hazard(const char *text, size_t len)
{
	int depth = 0, in_string = 0;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '"')
				in_string = 0;
			else if (c == '\\' && i + 1 < len) {
				if (i + 5 < len && text[i + 1] == 'u' &&
				    g_ascii_strncasecmp(text + i + 2, "0000",
							4) == 0)
					return "a string holds \\u0000";
				i++;   /* the escaped character */
			}
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > API_JSON_MAX_DEPTH)
				return "the JSON nests too deep";
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return NULL;
}

/* Parse the body: one JSON object, UTF-8, within [web] max_body. */
static int
api_parse_body(struct api_req *req, const char *body, size_t len)
{
	size_t max = (size_t)req->env->cfg->web_max_body_bytes;
	const char *hazard;
	GError *gerr = NULL;
	JsonNode *root;

	if (len > max)
		return api_fail(req, 413, WEB_API_EBADREQUEST, "the body has "
				"%zu bytes, more than [web] max_body (%zu)",
				len, max);
	/* No body: no members (POST .../solve needs none). */
	if (body == NULL || len == 0) {
		body = "{}";
		len = 2;
	}
	/* json-glib reads a NUL as the end: refuse it rather than ignore
	 * what follows. */
	if (memchr(body, '\0', len) != NULL ||
	    !g_utf8_validate(body, (gssize)len, NULL))
		return api_fail(req, 400, WEB_API_EBADREQUEST, "the body is "
				"not UTF-8 text");
	if ((hazard = api_body_hazard(body, len)) != NULL)
		return api_fail(req, 400, WEB_API_EBADREQUEST, "%s", hazard);
	req->parser = json_parser_new_immutable();
	if (!json_parser_load_from_data(req->parser, body, (gssize)len,
					&gerr)) {
		api_fail(req, 400, WEB_API_EBADREQUEST, "malformed JSON: %s",
			 gerr->message);
		g_error_free(gerr);
		return API_FAILED;
	}
	root = json_parser_get_root(req->parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return api_fail(req, 400, WEB_API_EBADREQUEST, "the body must "
				"be a JSON object");
	req->body = json_node_get_object(root);
	return API_DONE;
}

/* ---- the query ---------------------------------------------------------- */

int
api_query_parse(const char *query, GHashTable *into)
{
	char **pairs;
	int rc = 0;

	if (query == NULL || query[0] == '\0')
		return 0;
	if (strlen(query) > API_QUERY_MAX_BYTES)
		return -1;
	pairs = g_strsplit(query, "&", -1);
	for (char **p = pairs; *p != NULL && rc == 0; p++) {
		char *eq, *name, *value;

		if ((*p)[0] == '\0')
			continue;
		g_strdelimit(*p, "+", ' ');
		eq = strchr(*p, '=');
		if (eq != NULL)
			*eq = '\0';
		/* GLib refuses %00 (and a '%' without two hex digits). */
		name = g_uri_unescape_string(*p, NULL);
		value = g_uri_unescape_string(eq != NULL ? eq + 1 : "", NULL);
		if (name == NULL || value == NULL ||
		    !g_utf8_validate(name, -1, NULL) ||
		    !g_utf8_validate(value, -1, NULL)) {
			g_free(name);
			g_free(value);
			rc = -1;
			break;
		}
		g_hash_table_replace(into, name, value);
	}
	g_strfreev(pairs);
	return rc;
}

static int
api_parse_query(struct api_req *req, const char *query)
{
	req->query = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   g_free);
	if (api_query_parse(query, req->query) != 0)
		return api_fail(req, 400, WEB_API_EBADREQUEST, "malformed "
				"query (or longer than %d bytes)",
				API_QUERY_MAX_BYTES);
	return API_DONE;
}

/* ---- routing ------------------------------------------------------------ */

/* /cases/NUMBER[/rest]: the case's id, and rest ("" or "notes", ...). */
static int
api_case_path(struct api_req *req, const char *after, const char **rest_r)
{
	const char *slash = strchr(after, '/');
	char *num = g_strndup(after, slash != NULL ? (gsize)(slash - after)
						   : strlen(after));
	int rc = case_parse_number(req->env->cfg, num, &req->case_id,
				   &req->err);

	g_free(num);
	*rest_r = slash != NULL ? slash + 1 : "";
	if (rc != 0)
		return api_fail(req, 404, WEB_API_ENOTFOUND, "no such case");
	return API_DONE;
}

/* The endpoints: a path (after /cases/NUMBER when on_case) and a
 * method. */
static const struct {
	int on_case;
	const char *rest;
	const char *method;
	int (*run)(struct api_req *req);
} api_routes[] = {
	{ 0, "", "GET", api_cases_list },
	{ 0, "", "POST", api_case_create },
	{ 1, "", "GET", api_case_show },
	{ 1, "notes", "POST", api_case_note },
	{ 1, "replies", "POST", api_case_reply },
	{ 1, "solve", "POST", api_case_solve },
};

static int
api_route(struct api_req *req, const char *method, const char *path)
{
	const char *rest = "";
	int on_case = 0, path_known = 0;

	if (g_str_has_prefix(path, "/cases/") && path[7] != '\0') {
		if (api_case_path(req, path + strlen("/cases/"), &rest) != 0)
			return API_FAILED;
		on_case = 1;
	} else if (strcmp(path, "/cases") != 0 && strcmp(path, "/cases/") != 0) {
		return api_fail(req, 404, WEB_API_ENOTFOUND, "no such "
				"endpoint");
	}
	for (size_t i = 0; i < G_N_ELEMENTS(api_routes); i++) {
		if (api_routes[i].on_case != on_case ||
		    strcmp(api_routes[i].rest, rest) != 0)
			continue;
		if (strcmp(api_routes[i].method, method) == 0)
			return api_routes[i].run(req);
		path_known = 1;
	}
	if (!path_known)
		return api_fail(req, 404, WEB_API_ENOTFOUND, "no such "
				"endpoint");
	return api_fail(req, 405, WEB_API_EBADREQUEST, "%.10s is not "
			"allowed here", method);
}

/* Who asks: the token's agent, else 401. */
static int
api_authenticate(struct api_req *req, const char *token)
{
	int rc;

	if (token == NULL || token[0] == '\0')
		return api_fail(req, 401, WEB_API_EUNAUTHORIZED, "an API token "
				"is needed: Authorization: Bearer TOKEN");
	rc = apiclient_check(req->env->store, token, req->env->now,
			     &req->agent, &req->err);
	if (rc == CM_EREFUSED)
		return api_fail(req, 401, WEB_API_EUNAUTHORIZED, "unknown or "
				"revoked API token");
	return rc != 0 ? api_fail_cm(req, rc) : API_DONE;
}

int
web_api_dispatch(const struct web_api_env *env, const char *method,
		 const char *path, const char *query, const char *body,
		 size_t body_len, const char *bearer_token, int *status_r,
		 char **json_r)
{
	struct api_req req = { .env = env };
	JsonGenerator *g;

	cm_error_clear(&req.err);
	if (api_authenticate(&req, bearer_token) == API_DONE &&
	    api_parse_query(&req, query) == API_DONE &&
	    (strcmp(method, "POST") != 0 ||
	     api_parse_body(&req, body, body_len) == API_DONE))
		api_route(&req, method, path);
	if (req.answer == NULL)
		api_fail(&req, 500, WEB_API_EINTERNAL, "no answer");
	g = json_generator_new();
	json_generator_set_root(g, req.answer);
	*json_r = json_generator_to_data(g, NULL);
	*status_r = req.status;
	g_object_unref(g);
	json_node_unref(req.answer);
	if (req.query != NULL)
		g_hash_table_unref(req.query);
	if (req.parser != NULL)
		g_object_unref(req.parser);
	g_free(req.agent);
	return 0;
}
