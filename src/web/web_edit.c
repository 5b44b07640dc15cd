/*
 * web_edit.c - the case page's edit form (type, priority, follow-up) and
 * the buttons that take an owner or a watcher off a case, with what they
 * do: case_set(), case_unassign() and case_unwatch(), as `casectl set`,
 * `unassign` and `unwatch` call them (the same checks, the same audit
 * events), in web_action.c's transaction.
 */
#include "web_private.h"

#include <string.h>

#include "casemail/timeutil.h"

/* "YYYY-MM-DDTHH:MM" of a datetime-local input, plus its NUL. */
#define WEB_LOCAL_TIME_SIZE 17

/* t as a datetime-local value in the desk's zone; "" for none. */
static void
web_local_time(struct web_req *r, int64_t t, char *buf)
{
	char iso[TIME_ISO_SIZE];

	buf[0] = '\0';
	if (t == 0)
		return;
	time_format_zone(t, r->web->cfg->case_timezone, iso, sizeof(iso));
	if (strlen(iso) >= WEB_LOCAL_TIME_SIZE - 1 && iso[0] != '@')
		g_strlcpy(buf, iso, WEB_LOCAL_TIME_SIZE);
}

static void
web_edit_select(struct web_req *r, const char *label, const char *name,
		const char *const *values, const char *current)
{
	web_put(r->out, "<label>%s <select name=\"%s\">", label, name);
	for (size_t i = 0; values != NULL && values[i] != NULL; i++)
		web_put(r->out, "<option value=\"%s\"%R>%s</option>",
			values[i], g_strcmp0(values[i], current) == 0
			? " selected" : "", values[i]);
	g_string_append(r->out, "</select></label> ");
}

void
web_edit_form(struct web_req *r, const struct store_case *c, const char *num)
{
	char when[WEB_LOCAL_TIME_SIZE];

	web_local_time(r, c->follow_up, when);
	web_put(r->out, "<form id=\"edit\" class=\"action\" method=\"post\" "
		"action=\"/case/%s/edit\">", num);
	web_csrf_field(r);
	web_edit_select(r, "Type", "type",
			(const char *const *)r->web->cfg->case_types, c->type);
	web_edit_select(r, "Priority", "priority", case_priority_names(),
			c->priority);
	/* follow_up_was: what the page showed, so that saving the other
	 * fields leaves a follow-up with seconds as it was. */
	web_put(r->out, "<label>Follow-up <input type=\"datetime-local\" "
		"name=\"follow_up\" value=\"%s\"></label> <input "
		"type=\"hidden\" name=\"follow_up_was\" value=\"%s\"> "
		"<button type=\"submit\">Save</button></form>", when, when);
}

/* A button taking address out of role on case num. */
void
web_remove_button(struct web_req *r, const char *num, const char *action,
		  const char *field, const char *address, const char *label)
{
	web_put(r->out, " <form class=\"action inline %s\" method=\"post\" "
		"action=\"/case/%s/%s\">", action, num, action);
	web_csrf_field(r);
	web_put(r->out, "<input type=\"hidden\" name=\"%s\" value=\"%s\">"
		"<button type=\"submit\" title=\"%s %s\">%s</button></form>",
		field, address, label, address, label);
}

int
web_act_edit(struct web_req *r, const struct case_ctx *ctx, int64_t id)
{
	const char *when = web_form(r, "follow_up");
	const char *was = web_form(r, "follow_up_was");
	struct case_fields f = { 0 };
	int changed, rc;

	f.type = web_form(r, "type");
	f.priority = web_form(r, "priority");
	if (when != NULL && g_strcmp0(when, was) != 0) {
		f.set_follow_up = 1;
		if (when[0] != '\0' &&
		    (rc = time_parse_zone(when, r->web->cfg->case_timezone,
					  r->now, &f.follow_up, &r->err)) != 0)
			return rc;
	}
	return case_set(ctx, id, &f, &changed, &r->err);
}

int
web_act_unassign(struct web_req *r, const struct case_ctx *ctx, int64_t id)
{
	const char *owner = web_form(r, "owner");

	if (owner == NULL || owner[0] == '\0')
		return cm_error_set(&r->err, CM_EUSAGE, "which owner?");
	return case_unassign(ctx, id, owner, NULL, &r->err);
}

int
web_act_unwatch(struct web_req *r, const struct case_ctx *ctx, int64_t id)
{
	const char *who = web_form(r, "user");
	int changed;

	if (who == NULL || who[0] == '\0')
		return cm_error_set(&r->err, CM_EUSAGE, "which watcher?");
	return case_unwatch(ctx, id, who, &changed, &r->err);
}
