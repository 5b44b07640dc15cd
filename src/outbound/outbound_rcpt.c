/*
 * outbound_rcpt.c - who a mail goes to: the people a template's roles
 * stand for, who is left out of a notification, and the token buckets
 * that bound how much mail one person and the whole desk get.
 */
#include "outbound_private.h"

#include <string.h>

#include "casemail/case.h"

/* The requester an agent named, else the author of the case's first
 * inbound mail (not the outside team's: internal), else its creator when
 * that is an address. */
void
outbound_requester(GPtrArray *msgs, const struct store_case *c,
		   const char **name_r, const char **addr_r)
{
	*name_r = NULL;
	*addr_r = NULL;
	if (c->contact->requester_address != NULL) {
		*name_r = c->contact->requester_name;
		*addr_r = c->contact->requester_address;
		return;
	}
	for (guint i = 0; i < msgs->len; i++) {
		const struct store_message *m = msgs->pdata[i];

		if (g_strcmp0(m->direction, "in") == 0 && !m->internal &&
		    m->from.address) {
			*name_r = m->from.name;
			*addr_r = m->from.address;
			return;
		}
	}
	if (c->creator != NULL && strchr(c->creator, '@') != NULL)
		*addr_r = c->creator;
}

int
outbound_has(GPtrArray *list, const char *address)
{
	for (guint i = 0; i < list->len; i++)
		if (g_ascii_strcasecmp(list->pdata[i], address) == 0)
			return 1;
	return 0;
}

void
outbound_add_unique(GPtrArray *list, const char *address)
{
	if (address != NULL && address[0] != '\0' &&
	    !outbound_has(list, address))
		g_ptr_array_add(list, g_ascii_strdown(address, -1));
}

int
outbound_is_desk(const struct outbound *o, const char *address)
{
	const char *desk = outbound_desk_address(o);
	const char *at = strrchr(desk, '@'), *aat = strrchr(address, '@');
	size_t local = (size_t)(at - desk);

	if (g_ascii_strcasecmp(address, desk) == 0 ||
	    (o->cfg->smtp_from != NULL &&
	     g_ascii_strcasecmp(address, o->cfg->smtp_from) == 0))
		return 1;
	return aat != NULL && g_ascii_strncasecmp(address, desk, local) == 0 &&
	       address[local] == '+' && g_ascii_strcasecmp(aat, at) == 0;
}

/* Every address of people (struct store_person *); with subscribed_only
 * those who did not unsubscribe. */
static void
ob_people(GPtrArray *people, int subscribed_only, GPtrArray *out)
{
	for (guint i = 0; i < people->len; i++) {
		const struct store_person *p = people->pdata[i];

		if (!subscribed_only || p->subscribed)
			outbound_add_unique(out, p->address);
	}
}

void
outbound_role(const struct outbound *o, const struct outbound_case *oc,
	      const char *role, GPtrArray *out)
{
	const struct store_case *c = oc->c;
	const char *rname, *raddr;
	const struct store_person *p;

	if (strcmp(role, "requester") == 0) {
		outbound_requester(oc->msgs, c, &rname, &raddr);
		outbound_add_unique(out, raddr);
	} else if (strcmp(role, "participants") == 0) {
		ob_people(c->participants, 1, out);
	} else if (strcmp(role, "owners") == 0) {
		ob_people(c->owners, 0, out);
	} else if (strcmp(role, "watchers") == 0) {
		ob_people(c->watchers, 0, out);
	} else if (strcmp(role, "shipper") == 0 ||
		   strcmp(role, "carrier") == 0) {
		p = case_owner_of(c, role);
		outbound_add_unique(out, p != NULL ? p->address : NULL);
	} else if (strcmp(role, "escalation") == 0) {
		outbound_add_unique(out, o->cfg->case_escalation_address);
		for (guint i = 0; i < c->outside->len; i++)
			outbound_add_unique(out, c->outside->pdata[i]);
	} else if (strchr(role, '@') != NULL) {
		outbound_add_unique(out, role);
	}
}

GPtrArray *
outbound_audience(const struct outbound *o, const struct outbound_case *oc,
		  int desk_only)
{
	GPtrArray *all = g_ptr_array_new_with_free_func(g_free);

	outbound_role(o, oc, "owners", all);
	outbound_role(o, oc, "watchers", all);
	if (!desk_only)
		outbound_role(o, oc, "participants", all);
	/* What is for the desk alone never leaves the organisation: an
	 * owner at the carrier is the carrier. */
	for (guint i = all->len; desk_only && i > 0; i--)
		if (!config_is_org_address(o->cfg, all->pdata[i - 1]))
			g_ptr_array_remove_index(all, i - 1);
	return all;
}

/* Whether who is in addrs (struct store_address *, may be NULL). */
static int
ob_among(GPtrArray *addrs, const char *who)
{
	for (guint i = 0; addrs != NULL && i < addrs->len; i++)
		if (g_ascii_strcasecmp(((struct store_address *)
			addrs->pdata[i])->address, who) == 0)
			return 1;
	return 0;
}

int
outbound_excluded(const struct outbound *o, const struct store_message *m,
		  const char *who, int64_t now, const char **why_r,
		  struct cm_error *err)
{
	int bouncing = 0, rc;

	*why_r = NULL;
	if (m->from.address != NULL &&
	    g_ascii_strcasecmp(m->from.address, who) == 0)
		*why_r = "the author";
	else if (ob_among(m->to, who) || ob_among(m->cc, who))
		*why_r = "got it directly";
	else if (outbound_is_desk(o, who))
		*why_r = "the desk";
	if (*why_r != NULL)
		return 0;
	/* A mark past [smtp] bounce_clear_days has expired: try again. */
	rc = store_person_bouncing(o->store, who,
				   case_bounce_cutoff(o->cfg, now), &bouncing,
				   err);
	if (rc == 0 && bouncing)
		*why_r = "bouncing";
	return rc;
}

int
outbound_allowed(struct outbound *o, int64_t case_id, const char *who,
		 int64_t now, int64_t *due_r, struct cm_error *err)
{
	char *key = g_strdup_printf("rcpt:%s:%lld", who, (long long)case_id);
	double per_case = o->cfg->smtp_limit_per_case_hour;
	double global = o->cfg->smtp_limit_global_hour;
	int64_t wait = 0, wait_all = 0;
	int rc = store_rate_reserve(o->store, key, per_case, per_case, now,
				    &wait, err);

	if (rc == 0)
		rc = store_rate_reserve(o->store, "global", global, global, now,
					&wait_all, err);
	*due_r = now + (wait > wait_all ? wait : wait_all);
	g_free(key);
	return rc;
}
