/*
 * case_json.c - cases, messages, events and relations as JSON (see
 * case_json.h).
 */
#include "casemail/agent.h"
#include "casemail/case_json.h"

#include <string.h>

#include "casemail/case.h"
#include "casemail/casenum.h"
#include "casemail/sla.h"
#include "casemail/timeutil.h"

static void
json_time(JsonBuilder *b, const char *name, int64_t t)
{
	char buf[TIME_ISO_SIZE];

	json_builder_set_member_name(b, name);
	if (t == 0) {
		json_builder_add_null_value(b);
		return;
	}
	time_format_iso(t, buf, sizeof(buf));
	json_builder_add_string_value(b, buf);
}

static void
json_str(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	if (v == NULL)
		json_builder_add_null_value(b);
	else
		json_builder_add_string_value(b, v);
}

/* role: "owner" adds side, "participant" adds subscribed; everyone has
 * bouncing_since (null unless marked bouncing and not yet expired). */
static void
json_people(JsonBuilder *b, const struct config *cfg, const char *name,
	    GPtrArray *people, const char *role)
{
	int64_t now = time_now();

	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (guint i = 0; i < people->len; i++) {
		const struct store_person *p = people->pdata[i];

		json_builder_begin_object(b);
		json_str(b, "address", p->address);
		json_str(b, "name", p->name);
		if (g_strcmp0(role, "owner") == 0)
			json_str(b, "side", p->side);
		if (g_strcmp0(role, "participant") == 0) {
			json_builder_set_member_name(b, "subscribed");
			json_builder_add_boolean_value(b, p->subscribed != 0);
		}
		json_time(b, "bouncing_since", case_person_bouncing(cfg, p, now)
					       ? p->bounced_at : 0);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

/* "requester", "caller" (objects or null) and "outside_team". */
static void
json_contact(JsonBuilder *b, const struct store_case *c)
{
	const struct store_contact *ct = c->contact;

	json_builder_set_member_name(b, "requester");
	if (ct->requester_address == NULL) {
		json_builder_add_null_value(b);
	} else {
		json_builder_begin_object(b);
		json_str(b, "address", ct->requester_address);
		json_str(b, "name", ct->requester_name);
		json_builder_end_object(b);
	}
	json_builder_set_member_name(b, "caller");
	json_builder_begin_object(b);
	json_str(b, "name", ct->caller_name);
	json_str(b, "company", ct->caller_company);
	json_str(b, "phone", ct->caller_phone);
	json_str(b, "email", ct->caller_email);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "outside_team");
	json_builder_begin_array(b);
	for (guint i = 0; i < c->outside->len; i++)
		json_builder_add_string_value(b, c->outside->pdata[i]);
	json_builder_end_array(b);
}

static void
json_case_members(JsonBuilder *b, const struct config *cfg,
		  const struct store_case *c)
{
	char num[CASENUM_BUF_SIZE];

	case_format_number(cfg, c->id, num, sizeof(num));
	json_str(b, "number", num);
	json_str(b, "kind", c->kind);
	json_str(b, "type", c->type);
	json_str(b, "subject", c->subject);
	json_str(b, "status", store_case_status_name(c->status));
	json_str(b, "waiting_on", c->waiting_on);
	json_str(b, "priority", c->priority);
	json_time(b, "follow_up", c->follow_up);
	json_str(b, "shipment", c->shipment);
	json_str(b, "crm_shipper", c->crm_shipper);
	json_str(b, "crm_carrier", c->crm_carrier);
	json_str(b, "source", c->source);
	json_str(b, "creator", c->creator);
	json_time(b, "created_at", c->created_at);
	json_time(b, "updated_at", c->updated_at);
	json_time(b, "solved_at", c->solved_at);
	json_time(b, "last_message_at", c->last_message_at);
	json_str(b, "last_message_from", c->last_message_from);
	json_people(b, cfg, "owners", c->owners, "owner");
	json_people(b, cfg, "watchers", c->watchers, "watcher");
	json_people(b, cfg, "participants", c->participants, "participant");
	json_contact(b, c);
}

JsonNode *
case_json_case(const struct config *cfg, const struct store_case *c)
{
	JsonBuilder *b = case_json_begin();

	json_case_members(b, cfg, c);
	return case_json_end(b);
}

JsonNode *
case_json_event(const struct store_event *e)
{
	JsonBuilder *b = case_json_begin();

	json_time(b, "at", e->at);
	json_str(b, "actor", e->actor);
	json_str(b, "what", e->what);
	json_str(b, "old", e->old_value);
	json_str(b, "new", e->new_value);
	json_str(b, "detail", e->detail);
	return case_json_end(b);
}

static void
json_address(JsonBuilder *b, const struct store_address *a)
{
	json_builder_begin_object(b);
	json_str(b, "name", a->name);
	json_str(b, "address", a->address);
	json_builder_end_object(b);
}

static void
json_addresses(JsonBuilder *b, const char *name, GPtrArray *list)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++)
		json_address(b, list->pdata[i]);
	json_builder_end_array(b);
}

static void
json_attachments(JsonBuilder *b, GPtrArray *list)
{
	json_builder_set_member_name(b, "attachments");
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++) {
		const struct store_attachment *a = list->pdata[i];

		json_builder_begin_object(b);
		json_str(b, "filename", a->filename);
		json_str(b, "content_type", a->content_type);
		json_builder_set_member_name(b, "size");
		json_builder_add_int_value(b, a->size);
		json_str(b, "sha256", a->sha256);
		json_str(b, "content_id", a->content_id);
		json_builder_set_member_name(b, "inline");
		json_builder_add_boolean_value(b, a->inline_part != 0);
		json_str(b, "skipped", a->skipped);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

JsonNode *
case_json_message(const struct store_message *m)
{
	JsonBuilder *b = case_json_begin();

	json_str(b, "message_id", m->message_id);
	json_str(b, "direction", m->direction);
	json_builder_set_member_name(b, "internal");
	json_builder_add_boolean_value(b, m->internal != 0);
	json_builder_set_member_name(b, "from");
	json_address(b, &m->from);
	json_addresses(b, "to", m->to);
	json_addresses(b, "cc", m->cc);
	json_str(b, "subject", m->subject);
	json_time(b, "date", m->date);
	json_time(b, "received_at", m->received_at);
	json_str(b, "body", m->body);
	json_str(b, "body_full", m->body_full);
	json_attachments(b, m->attachments);
	return case_json_end(b);
}

JsonBuilder *
case_json_begin(void)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	return b;
}

JsonNode *
case_json_end(JsonBuilder *b)
{
	JsonNode *n;

	json_builder_end_object(b);
	n = json_builder_get_root(b);
	g_object_unref(b);
	return n;
}

JsonArray *
case_json_array(GPtrArray *items, JsonNode *(*conv)(gconstpointer))
{
	JsonArray *a = json_array_sized_new(items->len);

	for (guint i = 0; i < items->len; i++)
		json_array_add_element(a, conv(items->pdata[i]));
	return a;
}

static JsonNode *
json_event_conv(gconstpointer p)
{
	return case_json_event(p);
}

static JsonNode *
json_message_conv(gconstpointer p)
{
	return case_json_message(p);
}

void
case_relations_clear(struct case_relations *r)
{
	if (r->from != NULL)
		g_array_unref(r->from);
	if (r->links != NULL)
		g_array_unref(r->links);
	if (r->fields != NULL)
		g_ptr_array_unref(r->fields);
	memset(r, 0, sizeof(*r));
}

int
case_relations_load(struct store *s, int64_t id, struct case_relations *r,
		    struct cm_error *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = store_case_merged_into(s, id, &r->into, err)) != 0 ||
	    (rc = store_case_merged_from(s, id, &r->from, err)) != 0 ||
	    (rc = store_case_links(s, id, &r->links, err)) != 0)
		return rc;
	return store_case_fields_get(s, id, &r->fields, err);
}

static JsonArray *
json_ids(const struct config *cfg, GArray *ids)
{
	JsonArray *a = json_array_sized_new(ids->len);
	char num[CASENUM_BUF_SIZE];

	for (guint i = 0; i < ids->len; i++) {
		case_format_number(cfg, g_array_index(ids, int64_t, i), num,
				   sizeof(num));
		json_array_add_string_element(a, num);
	}
	return a;
}

int
case_json_relations(struct store *s, const struct config *cfg, int64_t id,
		    JsonObject *o, struct cm_error *err)
{
	struct case_relations r;
	char num[CASENUM_BUF_SIZE];
	JsonObject *fields;
	int64_t final = 0;
	int rc = case_relations_load(s, id, &r, err);

	if (rc == 0 && r.into != 0)
		rc = store_case_resolve(s, id, &final, err);
	if (rc != 0) {
		case_relations_clear(&r);
		return rc;
	}
	if (final != 0) {
		case_format_number(cfg, final, num, sizeof(num));
		json_object_set_string_member(o, "merged_into", num);
	} else {
		json_object_set_null_member(o, "merged_into");
	}
	json_object_set_array_member(o, "merged_from", json_ids(cfg, r.from));
	json_object_set_array_member(o, "links", json_ids(cfg, r.links));
	fields = json_object_new();
	for (guint i = 0; i < r.fields->len; i++) {
		const struct store_field *f = r.fields->pdata[i];

		json_object_set_string_member(fields, f->name, f->value);
	}
	json_object_set_object_member(o, "fields", fields);
	case_relations_clear(&r);
	return 0;
}

int
case_json_show(struct store *s, const struct config *cfg, int64_t id,
	       int full, JsonNode **node_r, struct cm_error *err)
{
	struct store_case *c = NULL;
	GPtrArray *msgs = NULL, *events = NULL;
	JsonNode *node;
	JsonObject *o;
	int rc;

	*node_r = NULL;
	if ((rc = store_case_get(s, id, &c, err)) != 0)
		return rc;
	if ((rc = agent_case_names(s, c, err)) != 0) {
		store_case_free(&c);
		return rc;
	}
	node = case_json_case(cfg, c);
	store_case_free(&c);
	o = json_node_get_object(node);
	rc = case_json_relations(s, cfg, id, o, err);
	if (rc == 0 && full &&
	    (rc = store_messages_get(s, id, &msgs, err)) == 0 &&
	    (rc = store_events_get(s, id, &events, err)) == 0) {
		json_object_set_array_member(o, "messages",
					     case_json_array(msgs,
							   json_message_conv));
		json_object_set_array_member(o, "events",
					     case_json_array(events,
							   json_event_conv));
	}
	if (msgs != NULL)
		g_ptr_array_unref(msgs);
	if (events != NULL)
		g_ptr_array_unref(events);
	if (rc != 0)
		json_node_unref(node);
	else
		*node_r = node;
	return rc;
}

static void
json_sla_time(JsonObject *o, const char *name, int64_t t)
{
	char buf[TIME_ISO_SIZE];

	if (t == 0 || t == BIZHOURS_NEVER) {
		json_object_set_null_member(o, name);
		return;
	}
	time_format_iso(t, buf, sizeof(buf));
	json_object_set_string_member(o, name, buf);
}

int
case_json_sla(struct store *s, const struct config *cfg, int64_t id,
	      int64_t now, JsonObject *o, struct cm_error *err)
{
	struct slaconf *sc = NULL;
	struct sla_status st;
	JsonObject *sla;
	int rc = slaconf_new(cfg, &sc, err);

	if (rc != 0 || !slaconf_enabled(sc) ||
	    (rc = sla_case_status(sc, s, id, now, &st, err)) != 0) {
		slaconf_free(&sc);
		return rc;
	}
	slaconf_free(&sc);
	sla = json_object_new();
	for (int k = 0; k < SLACONF_KINDS; k++) {
		const struct sla_clock *c = &st.clock[k];
		JsonObject *one;

		if (c->state == SLA_NONE)
			continue;
		one = json_object_new();
		json_object_set_string_member(one, "state",
					      sla_state_name(c->state));
		json_sla_time(one, "due", c->due_at);
		json_sla_time(one, "done", c->done_at);
		json_object_set_int_member(one, "target_secs", c->target_secs);
		json_object_set_int_member(one, "used_secs", c->used_secs);
		json_object_set_object_member(sla,
			slaconf_kind_name((enum slaconf_kind)k), one);
	}
	json_object_set_object_member(o, "sla", sla);
	return 0;
}
