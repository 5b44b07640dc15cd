/*
 * web_api_cases.c - the JSON API's endpoints on cases: list and search,
 * show, create, note, reply, solve (docs/casemail-api.7).  Each goes
 * through the case model and outbound functions casectl uses; writes run
 * in one transaction as the token's agent.
 */
#include "web_api_private.h"

#include <stdlib.h>
#include <string.h>

#include "casemail/addr.h"
#include "casemail/case_fields.h"
#include "casemail/case_json.h"
#include "casemail/case_merge.h"
#include "casemail/casenum.h"
#include "casemail/log.h"
#include "casemail/outbound.h"
#include "casemail/sla.h"
#include "casemail/template.h"

/* ---- GET /cases ---------------------------------------------------------- */

/* The query's filters of one value list each, by name. */
static const struct {
	const char *name;
	enum store_match_key key;
} api_filters[] = {
	{ "status", STORE_MATCH_STATUS }, { "type", STORE_MATCH_TYPE },
	{ "kind", STORE_MATCH_KIND }, { "source", STORE_MATCH_SOURCE },
	{ "priority", STORE_MATCH_PRIORITY },
	{ "shipment", STORE_MATCH_SHIPMENT }, { "crm", STORE_MATCH_CRM },
	{ "owner", STORE_MATCH_OWNER }, { "watcher", STORE_MATCH_WATCHER },
};

/* What a list request builds; freed by api_list_clear(). */
struct api_list {
	struct store_filter f;
	GArray *matches;          /* struct store_match */
	GPtrArray *values;        /* char ** per match (owned) */
	char *side;
	int limit, offset;
	int breaching;            /* view=breaching: past a service level */
};

static void
api_list_clear(struct api_list *l)
{
	g_array_unref(l->matches);
	g_ptr_array_unref(l->values);
	g_free(l->side);
}

/* One filter name=V1,V2: its values checked and spelled as stored. */
static int
api_list_match(struct api_req *req, struct api_list *l,
	       enum store_match_key key, const char *field, const char *list)
{
	char **v = g_strsplit(list, ",", -1);
	struct store_match m = { key, 0, field, NULL, 0 };
	int rc = 0;

	g_ptr_array_add(l->values, v);
	for (char **p = v; rc == 0 && *p != NULL; p++) {
		char *canon = NULL;

		rc = case_match_canon(req->env->cfg, key, field, g_strstrip(*p),
				      &canon, &req->err);
		g_free(*p);
		*p = canon;
	}
	if (rc != 0)
		return api_fail_cm(req, rc);
	if (v[0] == NULL)
		return api_fail(req, 400, WEB_API_EBADREQUEST, "a filter "
				"wants a value");
	m.values = (const char *const *)v;
	m.n_values = g_strv_length(v);
	g_array_append_val(l->matches, m);
	return API_DONE;
}

/* A number name= in [min, max], else def when absent. */
static int
api_list_number(struct api_req *req, const char *name, int def, int min,
		int max, int *v_r)
{
	const char *text = g_hash_table_lookup(req->query, name);
	char *end = NULL;
	long v;

	*v_r = def;
	if (text == NULL)
		return API_DONE;
	v = strtol(text, &end, 10);
	if (end == text || *end != '\0' || v < min || v > max)
		return api_fail(req, 400, WEB_API_EBADREQUEST, "%s is a number "
				"from %d to %d", name, min, max);
	*v_r = (int)v;
	return API_DONE;
}

static int
api_list_view(struct api_req *req, struct api_list *l)
{
	const char *view = g_hash_table_lookup(req->query, "view");
	const char *q = g_hash_table_lookup(req->query, "q");

	/* As casectl: list shows the Active cases, search all of them. */
	l->f.view = q != NULL ? STORE_VIEW_ALL : STORE_VIEW_ACTIVE;
	if (view != NULL && case_view_parse(view, &l->f.view,
					    &l->breaching) != 0)
		return api_fail(req, 400, WEB_API_EBADREQUEST, "unknown view "
				"(all, active, recent, mine, watched, new, "
				"overdue, breaching)");
	if (l->f.view == STORE_VIEW_MINE || l->f.view == STORE_VIEW_WATCHED ||
	    l->f.view == STORE_VIEW_NEW)
		case_filter_as(req->env->store, &l->f, req->agent, &l->side);
	if (q != NULL)
		case_filter_text(req->env->cfg, &l->f, q);
	return API_DONE;
}

/* The query's names, each known: filters, field.NAME, view, q, paging. */
static int
api_list_filters(struct api_req *req, struct api_list *l)
{
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, req->query);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const char *name = k;
		int known = strcmp(name, "view") == 0 || strcmp(name, "q") == 0 ||
			    strcmp(name, "limit") == 0 ||
			    strcmp(name, "offset") == 0;

		if (g_str_has_prefix(name, "field.") && name[6] != '\0') {
			if (api_list_match(req, l, STORE_MATCH_FIELD, name + 6,
					   v) != API_DONE)
				return API_FAILED;
			continue;
		}
		for (size_t i = 0; !known && i < G_N_ELEMENTS(api_filters); i++) {
			if (strcmp(api_filters[i].name, name) != 0)
				continue;
			if (api_list_match(req, l, api_filters[i].key, NULL,
					   v) != API_DONE)
				return API_FAILED;
			known = 1;
		}
		if (!known)
			return api_fail(req, 400, WEB_API_EBADREQUEST, "unknown "
					"query parameter '%.64s'", name);
	}
	l->f.matches = (const struct store_match *)(void *)l->matches->data;
	l->f.n_matches = l->matches->len;
	return API_DONE;
}

static int
api_list_answer(struct api_req *req, struct api_list *l, GArray *ids)
{
	JsonArray *arr = json_array_new();
	JsonBuilder *b;
	JsonNode *n;
	int rc = 0;

	for (guint i = (guint)l->offset; rc == 0 && i < ids->len; i++) {
		struct store_case *c = NULL;

		rc = store_case_get(req->env->store,
				    g_array_index(ids, int64_t, i), &c,
				    &req->err);
		if (rc != 0)
			break;
		n = case_json_case(req->env->cfg, c);
		json_array_add_element(arr, n);
		rc = case_json_relations(req->env->store, req->env->cfg, c->id,
					 json_node_get_object(n), &req->err);
		store_case_free(&c);
	}
	if (rc != 0) {
		json_array_unref(arr);
		return api_fail_cm(req, rc);
	}
	b = case_json_begin();
	json_builder_set_member_name(b, "count");
	json_builder_add_int_value(b, json_array_get_length(arr));
	json_builder_set_member_name(b, "limit");
	json_builder_add_int_value(b, l->limit);
	json_builder_set_member_name(b, "offset");
	json_builder_add_int_value(b, l->offset);
	n = case_json_end(b);
	json_object_set_array_member(json_node_get_object(n), "cases", arr);
	return api_answer(req, 200, n);
}

int
api_cases_list(struct api_req *req)
{
	struct api_list l = { 0 };
	GArray *ids = NULL;
	int rc;

	store_filter_init(&l.f, req->env->now);
	l.matches = g_array_new(FALSE, TRUE, sizeof(struct store_match));
	l.values = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	if (api_list_number(req, "limit", WEB_API_LIST_DEFAULT, 1,
			    WEB_API_LIST_MAX, &l.limit) != API_DONE ||
	    api_list_number(req, "offset", 0, 0, WEB_API_OFFSET_MAX,
			    &l.offset) != API_DONE ||
	    api_list_view(req, &l) != API_DONE ||
	    api_list_filters(req, &l) != API_DONE) {
		api_list_clear(&l);
		return API_FAILED;
	}
	/* The store pages from the top; the offset is skipped here. */
	l.f.limit = l.limit + l.offset;
	if (l.breaching)
		rc = sla_list_breaching_cfg(req->env->cfg, req->env->store,
					    &l.f, &ids, &req->err);
	else
		rc = store_case_list(req->env->store, &l.f, &ids, &req->err);
	rc = rc != 0 ? api_fail_cm(req, rc) : api_list_answer(req, &l, ids);
	if (ids != NULL)
		g_array_unref(ids);
	api_list_clear(&l);
	return rc;
}

/* ---- GET /cases/NUMBER ------------------------------------------------- */

int
api_case_show(struct api_req *req)
{
	return api_answer_case(req, 200, req->case_id, 1);
}

/* ---- POST /cases ---------------------------------------------------------- */

struct api_create {
	struct case_fields f;
	struct case_contact_fields ct;
	GHashTable *fields;       /* custom: name -> value */
	int force;
	int64_t id;
};

static int
api_create_read(struct api_req *req, struct api_create *c)
{
	static const char *const allowed[] = {
		"subject", "type", "priority", "kind", "shipment",
		"crm_shipper", "crm_carrier", "requester", "requester_name",
		"fields", "force", "source", NULL,
	};
	const char *source;

	if (api_body_only(req, allowed) != API_DONE ||
	    api_body_string(req, "subject", 1, &c->f.subject) != API_DONE ||
	    api_body_string(req, "type", 0, &c->f.type) != API_DONE ||
	    api_body_string(req, "priority", 0, &c->f.priority) != API_DONE ||
	    api_body_string(req, "kind", 0, &c->f.kind) != API_DONE ||
	    api_body_string(req, "shipment", 0, &c->f.shipment) != API_DONE ||
	    api_body_string(req, "crm_shipper", 0,
			    &c->f.crm_shipper) != API_DONE ||
	    api_body_string(req, "crm_carrier", 0,
			    &c->f.crm_carrier) != API_DONE ||
	    api_body_string(req, "requester", 0,
			    &c->ct.requester) != API_DONE ||
	    api_body_string(req, "requester_name", 0,
			    &c->ct.requester_name) != API_DONE ||
	    api_body_strings(req, "fields", &c->fields) != API_DONE ||
	    api_body_bool(req, "force", &c->force) != API_DONE ||
	    api_body_string(req, "source", 0, &source) != API_DONE)
		return API_FAILED;
	/* Mail, rules and agents open cases their own ways: a client
	 * may not pose as one of them. */
	if (source != NULL && strcmp(source, "api") != 0)
		return api_fail(req, 403, WEB_API_EFORBIDDEN, "cases made "
				"through the API have source \"api\"");
	c->f.source = "api";
	return API_DONE;
}

/* Another Active case on the shipment: 409 unless force (then the new
 * case says so in a note, as casectl create --force). */
static int
api_create_shipment(struct api_req *req, struct api_create *c,
		    GArray **same_r)
{
	struct case_ctx ctx;
	char num[CASENUM_BUF_SIZE];
	int rc;

	*same_r = NULL;
	api_ctx(req, &ctx);
	if ((rc = case_active_with_shipment(&ctx, c->f.shipment, 0, same_r,
					    &req->err)) != 0)
		return api_fail_cm(req, rc);
	if ((*same_r)->len == 0 || c->force)
		return API_DONE;
	case_format_number(req->env->cfg, g_array_index(*same_r, int64_t, 0),
			   num, sizeof(num));
	return api_fail(req, 409, WEB_API_ECONFLICT, "shipment %s is on "
			"Active case %s: add to that case, or give \"force\": "
			"true to open another", c->f.shipment, num);
}

static int
api_create_fields(struct api_req *req, struct api_create *c,
		  const struct case_ctx *ctx)
{
	GHashTableIter it;
	gpointer k, v;
	int changed, rc = 0;

	if (c->fields == NULL)
		return 0;
	g_hash_table_iter_init(&it, c->fields);
	while (rc == 0 && g_hash_table_iter_next(&it, &k, &v)) {
		const struct config_field *f =
			config_field_find(req->env->cfg, k);
		char *canon = NULL;

		if (f == NULL)
			return cm_error_set(&req->err, CM_EUSAGE, "unknown "
					    "field '%.64s'", (const char *)k);
		rc = case_field_check(f, v, &canon, &req->err);
		if (rc == 0)
			rc = case_field_set(ctx, c->id, f, canon, &changed,
					    &req->err);
		g_free(canon);
	}
	return rc;
}

static int
api_create_apply(struct api_req *req, void *data)
{
	struct api_create *c = data;
	struct case_ctx ctx;
	GArray *same = NULL;
	const char *owned = NULL;
	int changed, rc;

	api_ctx(req, &ctx);
	if (c->f.shipment != NULL &&
	    api_create_shipment(req, c, &same) != API_DONE)
		return API_FAILED;
	rc = case_create(&ctx, &c->f, &c->id, &req->err);
	if (rc == 0)
		rc = case_set_contact(&ctx, c->id, &c->ct, &changed, &req->err);
	if (rc == 0)
		rc = case_creator_owns(&ctx, c->id, NULL, &owned, &req->err);
	if (rc == 0)
		rc = api_create_fields(req, c, &ctx);
	if (rc == 0 && same != NULL && same->len > 0)
		rc = case_note_same_shipment(&ctx, c->id, c->f.shipment, same,
					     &req->err);
	if (same != NULL)
		g_array_unref(same);
	return rc != 0 ? api_fail_cm(req, rc) : API_DONE;
}

int
api_case_create(struct api_req *req)
{
	struct api_create c = { 0 };
	char num[CASENUM_BUF_SIZE];
	int rc;

	if (api_create_read(req, &c) != API_DONE) {
		if (c.fields != NULL)
			g_hash_table_unref(c.fields);
		return API_FAILED;
	}
	rc = api_write(req, api_create_apply, &c);
	if (c.fields != NULL)
		g_hash_table_unref(c.fields);
	if (rc != API_DONE)
		return rc;
	case_format_number(req->env->cfg, c.id, num, sizeof(num));
	log_info("api: case=%s created by agent=%s", num, req->agent);
	return api_answer_case(req, 201, c.id, 0);
}

/* ---- POST /cases/NUMBER/notes, /replies, /solve ------------------------ */

/* The templates of [case] templates (none when it is missing). */
static int
api_outbound(struct api_req *req, struct outbound *out, GPtrArray **tpl_r)
{
	int rc = template_load_dir_or_none(req->env->cfg->templates_dir,
					   TEMPLATE_MISSING_QUIET, tpl_r,
					   &req->err);

	if (rc != 0)
		return rc;
	outbound_init(out, req->env->store, req->env->cfg, *tpl_r);
	return 0;
}

static void
api_outbound_done(struct outbound *out, GPtrArray *templates)
{
	outbound_clear(out);
	if (templates != NULL)
		g_ptr_array_unref(templates);
}

struct api_note {
	const char *text;
	int public;
};

static int
api_note_apply(struct api_req *req, void *data)
{
	struct api_note *n = data;
	struct outbound out;
	struct case_ctx ctx;
	GPtrArray *templates = NULL;
	int rc;

	api_ctx(req, &ctx);
	if (!n->public)
		rc = case_note(&ctx, req->case_id, n->text, &req->err);
	else if ((rc = api_outbound(req, &out, &templates)) == 0) {
		rc = outbound_public_note(&out, &ctx, req->case_id, n->text,
					  &req->err);
		api_outbound_done(&out, templates);
	}
	return rc != 0 ? api_fail_cm(req, rc) : API_DONE;
}

int
api_case_note(struct api_req *req)
{
	static const char *const allowed[] = { "text", "public", NULL };
	struct api_note n = { NULL, 0 };

	if (api_body_only(req, allowed) != API_DONE ||
	    api_body_string(req, "text", 1, &n.text) != API_DONE ||
	    api_body_bool(req, "public", &n.public) != API_DONE ||
	    api_write(req, api_note_apply, &n) != API_DONE)
		return API_FAILED;
	return api_answer_case(req, 201, req->case_id, 0);
}

struct api_reply {
	struct outbound_reply_req r;
	GHashTable *set;
	GPtrArray *to;            /* char *, normalised */
};

/* "to": an array of addresses, each normalised. */
static int
api_reply_to(struct api_req *req, struct api_reply *rp)
{
	JsonNode *n = json_object_get_member(req->body, "to");
	JsonArray *a;

	rp->to = g_ptr_array_new_with_free_func(g_free);
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return API_DONE;
	if (!JSON_NODE_HOLDS_ARRAY(n))
		return api_fail(req, 400, WEB_API_EBADREQUEST, "'to' must be "
				"an array of addresses");
	a = json_node_get_array(n);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *e = json_array_get_element(a, i);
		char *addr = NULL;

		if (!JSON_NODE_HOLDS_VALUE(e) ||
		    json_node_get_value_type(e) != G_TYPE_STRING)
			return api_fail(req, 400, WEB_API_EBADREQUEST, "'to' "
					"must be an array of addresses");
		if (addr_normalize(json_node_get_string(e), &addr,
				   &req->err) != 0)
			return api_fail_cm(req, CM_EUSAGE);
		g_ptr_array_add(rp->to, addr);
	}
	return API_DONE;
}

static int
api_reply_read(struct api_req *req, struct api_reply *rp)
{
	static const char *const allowed[] = {
		"template", "text", "to", "set", "attach", "escalate", NULL,
	};

	if (api_body_only(req, allowed) != API_DONE)
		return API_FAILED;
	/* attach names files on the server, and an escalation to the
	 * outside team is an agent's call: neither is a client's. */
	if (json_object_has_member(req->body, "attach") ||
	    json_object_has_member(req->body, "escalate"))
		return api_fail(req, 403, WEB_API_EFORBIDDEN, "the API neither "
				"attaches files nor escalates: use casectl or "
				"the web desk");
	if (api_body_string(req, "template", 1,
			    &rp->r.template_name) != API_DONE ||
	    api_body_string(req, "text", 0, &rp->r.text) != API_DONE ||
	    api_body_strings(req, "set", &rp->set) != API_DONE ||
	    api_reply_to(req, rp) != API_DONE)
		return API_FAILED;
	if (rp->set == NULL)
		rp->set = g_hash_table_new_full(g_str_hash, g_str_equal,
						g_free, g_free);
	rp->r.fields = rp->set;
	rp->r.to = (const char *const *)rp->to->pdata;
	rp->r.n_to = rp->to->len;
	rp->r.actor = req->agent;
	return API_DONE;
}

static int
api_reply_apply(struct api_req *req, void *data)
{
	struct api_reply *rp = data;
	struct outbound out;
	GPtrArray *templates = NULL;
	int rc = api_outbound(req, &out, &templates);

	if (rc == 0) {
		rc = outbound_reply(&out, req->case_id, &rp->r, req->env->now,
				    NULL, &req->err);
		api_outbound_done(&out, templates);
	}
	return rc != 0 ? api_fail_cm(req, rc) : API_DONE;
}

int
api_case_reply(struct api_req *req)
{
	struct api_reply rp = { 0 };
	char num[CASENUM_BUF_SIZE];
	int rc = api_reply_read(req, &rp);

	if (rc == API_DONE)
		rc = api_write(req, api_reply_apply, &rp);
	if (rp.set != NULL)
		g_hash_table_unref(rp.set);
	if (rp.to != NULL)
		g_ptr_array_unref(rp.to);
	if (rc != API_DONE)
		return rc;
	case_format_number(req->env->cfg, req->case_id, num, sizeof(num));
	log_info("api: case=%s reply template=%s queued by agent=%s", num,
		 rp.r.template_name, req->agent);
	/* Queued: casemaild sends it. */
	return api_answer_case(req, 202, req->case_id, 0);
}

static int
api_solve_apply(struct api_req *req, void *data)
{
	struct case_ctx ctx;
	int rc;

	(void)data;
	api_ctx(req, &ctx);
	rc = case_solve(&ctx, req->case_id, &req->err);
	return rc != 0 ? api_fail_cm(req, rc) : API_DONE;
}

int
api_case_solve(struct api_req *req)
{
	static const char *const allowed[] = { NULL };

	if (api_body_only(req, allowed) != API_DONE ||
	    api_write(req, api_solve_apply, NULL) != API_DONE)
		return API_FAILED;
	return api_answer_case(req, 200, req->case_id, 0);
}
