/*
 * case_json.h - a case, its messages, events and relations as JSON
 * (json-glib): the shapes of casectl --json and of casemail-web's JSON
 * API, written once.
 *
 * Field names are part of both interfaces (docs/casectl.1,
 * docs/casemail-api.7): add fields, never rename them.  Times are ISO 8601
 * UTC strings or null.  Nodes returned are the caller's
 * (json_node_unref()); arguments are borrowed.
 */
#ifndef CASEMAIL_CASE_JSON_H
#define CASEMAIL_CASE_JSON_H

#include <json-glib/json-glib.h>

#include "casemail/config.h"
#include "casemail/error.h"
#include "casemail/store.h"

/* A JSON object for a case (roles included). */
JsonNode *case_json_case(const struct config *cfg, const struct store_case *c);
JsonNode *case_json_event(const struct store_event *e);
JsonNode *case_json_message(const struct store_message *m);

/* A new builder with a JSON object begun, for case_json_end(). */
JsonBuilder *case_json_begin(void);
/* End the object case_json_begin() began and free b. */
JsonNode *case_json_end(JsonBuilder *b);

/* A new array of conv(item) for every item of items. */
JsonArray *case_json_array(GPtrArray *items,
			   JsonNode *(*conv)(gconstpointer item));

/* The merge pointer, the cases merged in, the links and the custom
 * fields of a case. */
struct case_relations {
	int64_t into;
	GArray *from, *links;   /* int64_t case ids */
	GPtrArray *fields;      /* struct store_field * */
};

/* Load case id's relations into r (case_relations_clear() it, also
 * after an error). */
int case_relations_load(struct store *s, int64_t id, struct case_relations *r,
			struct cm_error *err);
void case_relations_clear(struct case_relations *r);

/* Add "merged_into", "merged_from", "links" and "fields" of case id
 * to o. */
int case_json_relations(struct store *s, const struct config *cfg, int64_t id,
			JsonObject *o, struct cm_error *err);

/*
 * Case id as casectl show --json prints it: the case and its relations,
 * with "messages" and "events" when full.  New node in *node_r.
 */
int case_json_show(struct store *s, const struct config *cfg, int64_t id,
		   int full, JsonNode **node_r, struct cm_error *err);

/*
 * Add "sla" to o: case id's service-level clocks at now (state, due,
 * done, target_secs, used_secs per target), as casectl show --json; no
 * member when [sla] sets no target.
 */
int case_json_sla(struct store *s, const struct config *cfg, int64_t id,
		  int64_t now, JsonObject *o, struct cm_error *err);

#endif
