/*
 * outbound_escalate.c - the confidential escalation: who may receive mail
 * meant for the outside support team, and the contact variables that
 * carry the caller's details into it.
 *
 * An escalation holds what the customer told the desk (a caller's name,
 * phone and email).  It goes to the outside team (the configured
 * escalation address, the case's recorded team, the addresses the agent
 * names) and to the desk's own people; an address outside [case]
 * organization_domains that is not the team is withheld here, whatever a
 * template's To and Cc say.
 */
#include "outbound_private.h"

#include <string.h>

#include "casemail/case.h"
#include "casemail/log.h"

int
outbound_is_escalation(const struct template *t,
		       const struct outbound_reply_req *r)
{
	if (r->escalate)
		return 1;
	return t != NULL && (g_ptr_array_find_with_equal_func(
				     t->to, "escalation", g_str_equal, NULL) ||
			     g_ptr_array_find_with_equal_func(
				     t->cc, "escalation", g_str_equal, NULL));
}

/* Whether who is the outside team of this escalation. */
static int
ob_is_team(const struct outbound *o, const struct store_case *c,
	   const struct outbound_reply_req *r, const char *who)
{
	const char *cfg_team = o->cfg->case_escalation_address;

	if (cfg_team != NULL && g_ascii_strcasecmp(who, cfg_team) == 0)
		return 1;
	for (size_t i = 0; i < r->n_to; i++)
		if (g_ascii_strcasecmp(who, r->to[i]) == 0)
			return 1;
	return case_is_outside(c, who);
}

/* Whether who, an addressee of an escalation, becomes the case's outside
 * team: anyone outside the organisation, and the configured escalation
 * address even inside it (an in-house tier 2: its replies are internal
 * too, and it never joins the case). */
static int
ob_becomes_team(const struct outbound *o, const char *who)
{
	const char *cfg_team = o->cfg->case_escalation_address;

	return !config_is_org_address(o->cfg, who) ||
	       (cfg_team != NULL && g_ascii_strcasecmp(who, cfg_team) == 0);
}

void
outbound_escalation_filter(const struct outbound *o,
			   const struct store_case *c,
			   const struct outbound_reply_req *r,
			   GPtrArray *list, GPtrArray *withheld)
{
	for (guint i = list->len; i > 0; i--) {
		const char *who = list->pdata[i - 1];

		if (config_is_org_address(o->cfg, who) ||
		    ob_is_team(o, c, r, who))
			continue;
		outbound_add_unique(withheld, who);
		g_ptr_array_remove_index(list, i - 1);
	}
}

int
outbound_escalation_check(const struct outbound *o, const struct store_case *c,
			  GPtrArray *list, struct cm_error *err)
{
	const char *role;

	for (guint i = 0; i < list->len; i++) {
		const char *who = list->pdata[i];

		if (!ob_becomes_team(o, who) ||
		    (role = case_role_of(c, who)) == NULL)
			continue;
		return cm_error_set(err, CM_EUSAGE, "%s is the case's %s: "
				    "the outside team must not be one of the "
				    "case's people", who, role);
	}
	return 0;
}

void
outbound_escalation_team(const struct outbound *o,
			 const struct outbound_case *oc,
			 const struct outbound_reply_req *r, GPtrArray *to)
{
	const struct store_case *c = oc->c;

	for (guint i = 0; i < c->outside->len; i++)
		outbound_add_unique(to, c->outside->pdata[i]);
	/* The configured team when the agent names nobody (r->to, which
	 * the caller adds) and the case has no team yet. */
	if (c->outside->len == 0 && r->n_to == 0)
		outbound_add_unique(to, o->cfg->case_escalation_address);
}

int
outbound_escalation_record(struct outbound *o, const struct store_case *c,
			   const struct outbound_reply_req *r,
			   GPtrArray *sent_to, GPtrArray *withheld,
			   int64_t now, struct cm_error *err)
{
	struct case_ctx ctx = { o->store, o->cfg, r->actor, now };
	char num[CASENUM_BUF_SIZE];
	int added, rc = 0;

	case_format_number(o->cfg, c->id, num, sizeof(num));
	for (guint i = 0; rc == 0 && i < sent_to->len; i++)
		if (ob_becomes_team(o, sent_to->pdata[i]))
			rc = case_add_outside(&ctx, c->id, sent_to->pdata[i],
					      &added, err);
	for (guint i = 0; rc == 0 && i < withheld->len; i++) {
		log_info("case=%s: escalation not sent to %s: outside "
			  "[case] organization_domains and not the outside "
			  "team", num, (const char *)withheld->pdata[i]);
		rc = case_event_add(&ctx, c->id, "withheld", NULL,
				    withheld->pdata[i], "escalation: outside "
				    "the organisation, not the outside team",
				    err);
	}
	return rc;
}

void
outbound_contact_vars(GHashTable *v, const struct store_case *c,
		      const char *rname, const char *raddr)
{
	const struct store_contact *ct = c->contact;

	/* The caller is the requester unless the agent said otherwise. */
	outbound_set(v, "caller.name", ct->caller_name != NULL
				       ? ct->caller_name : rname);
	outbound_set(v, "caller.company", ct->caller_company);
	outbound_set(v, "caller.phone", ct->caller_phone);
	outbound_set(v, "caller.email", ct->caller_email != NULL
					? ct->caller_email : raddr);
}

void
outbound_caller_fields(GHashTable *v, GHashTable *fields)
{
	static const char *const keys[] = { "name", "company", "phone",
					    "email" };

	for (size_t i = 0; fields != NULL && i < G_N_ELEMENTS(keys); i++) {
		const char *given = g_hash_table_lookup(fields, keys[i]);
		char *name;

		if (given == NULL || given[0] == '\0')
			continue;
		name = g_strdup_printf("caller.%s", keys[i]);
		outbound_set(v, name, given);
		g_free(name);
	}
}
