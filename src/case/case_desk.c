/*
 * case_desk.c - the desk's workflows on a case: its contact (requester
 * and caller), the outside team an escalation goes to, and the owner an
 * agent's new case gets.
 */
#include "case_private.h"

#include <glib.h>
#include <string.h>

#include "casemail/addr.h"

/* v checked as an address ("" stays "": it clears) into *out (g_free). */
static int
desk_address(const char *field, const char *v, char **out,
	     struct cm_error *err)
{
	struct cm_error aerr = { 0 };

	*out = NULL;
	if (v == NULL)
		return 0;
	if (v[0] == '\0') {
		*out = g_strdup("");
		return 0;
	}
	if (addr_normalize(v, out, &aerr) != 0)
		return cm_error_set(err, CM_EUSAGE, "%s: %s", field, aerr.msg);
	return 0;
}

static int
desk_check_contact(const struct case_contact_fields *f, struct cm_error *err)
{
	int rc;

	if ((rc = case_check_text(err, "requester name", f->requester_name,
				  CASE_CONTACT_MAX, 1)) != 0 ||
	    (rc = case_check_text(err, "caller name", f->caller_name,
				  CASE_CONTACT_MAX, 1)) != 0 ||
	    (rc = case_check_text(err, "caller company", f->caller_company,
				  CASE_CONTACT_MAX, 1)) != 0 ||
	    (rc = case_check_text(err, "caller phone", f->caller_phone,
				  CASE_CONTACT_MAX, 1)) != 0)
		return rc;
	return 0;
}

/* The requester joins the case as a subscribed participant. */
static int
desk_requester_joins(const struct case_ctx *ctx, const struct store_case *c,
		     struct cm_error *err)
{
	const struct store_contact *ct = c->contact;
	int changed;

	if (ct->requester_address == NULL)
		return 0;
	if (case_is_outside(c, ct->requester_address))
		return cm_error_set(err, CM_EREFUSED, "%s is the case's outside "
				    "team, not its requester",
				    ct->requester_address);
	return case_add_participant(ctx, c->id, ct->requester_address,
				    ct->requester_name, &changed, err);
}

int
case_set_contact(const struct case_ctx *ctx, int64_t id,
		 const struct case_contact_fields *f, int *changed_r,
		 struct cm_error *err)
{
	struct store_case *c = NULL;
	struct store_contact *ct;
	char *req = NULL, *mail = NULL;
	int n = 0, rc;

	*changed_r = 0;
	if ((rc = desk_check_contact(f, err)) != 0 ||
	    (rc = desk_address("requester", f->requester, &req, err)) != 0 ||
	    (rc = desk_address("caller email", f->caller_email, &mail,
			       err)) != 0 ||
	    (rc = case_load(ctx, id, &c, err)) != 0)
		goto out;
	ct = c->contact;
	rc = case_change(ctx, id, "requester", &ct->requester_address, req,
			 &n, err);
	if (rc == 0)
		rc = case_change(ctx, id, "requester name", &ct->requester_name,
				 f->requester_name, &n, err);
	if (rc == 0)
		rc = case_change(ctx, id, "caller name", &ct->caller_name,
				 f->caller_name, &n, err);
	if (rc == 0)
		rc = case_change(ctx, id, "caller company", &ct->caller_company,
				 f->caller_company, &n, err);
	if (rc == 0)
		rc = case_change(ctx, id, "caller phone", &ct->caller_phone,
				 f->caller_phone, &n, err);
	if (rc == 0)
		rc = case_change(ctx, id, "caller email", &ct->caller_email,
				 mail, &n, err);
	if (rc == 0 && n > 0)
		rc = store_contact_set(ctx->store, id, ct, err);
	if (rc == 0 && n > 0 && req != NULL)
		rc = desk_requester_joins(ctx, c, err);
	if (rc == 0 && n > 0)
		rc = store_case_touch(ctx->store, id, ctx->now, err);
	if (rc == 0)
		*changed_r = n;
out:
	store_case_free(&c);
	g_free(req);
	g_free(mail);
	return rc;
}

/* CM_EREFUSED when addr is on case id's outside team: it is never one
 * of the case's people. */
int
case_refuse_outside(const struct case_ctx *ctx, int64_t id, const char *addr,
		    struct cm_error *err)
{
	char num[CASENUM_BUF_SIZE];
	int outside = 0;
	int rc = store_outside_has(ctx->store, id, addr, &outside, err);

	if (rc != 0 || !outside)
		return rc;
	case_format_number(ctx->cfg, id, num, sizeof(num));
	return cm_error_set(err, CM_EREFUSED, "%s is the outside team of case "
			    "%s: never one of the case's people", addr, num);
}

int
case_is_outside(const struct store_case *c, const char *address)
{
	for (guint i = 0; address != NULL && i < c->outside->len; i++)
		if (g_ascii_strcasecmp(c->outside->pdata[i], address) == 0)
			return 1;
	return 0;
}

const char *
case_role_of(const struct store_case *c, const char *address)
{
	static const char *const names[] = { "owner", "watcher",
					     "participant" };
	GPtrArray *const lists[] = { c->owners, c->watchers,
				     c->participants };

	const struct store_contact *ct = c->contact;

	for (size_t l = 0; l < G_N_ELEMENTS(lists); l++)
		for (guint i = 0; i < lists[l]->len; i++)
			if (g_ascii_strcasecmp(((struct store_person *)
				lists[l]->pdata[i])->address, address) == 0)
				return names[l];
	/* The contact is the customer even when not on the case (a phone
	 * case's caller): never the outside team either. */
	if (ct != NULL && ct->requester_address != NULL &&
	    g_ascii_strcasecmp(ct->requester_address, address) == 0)
		return "requester";
	if (ct != NULL && ct->caller_email != NULL &&
	    g_ascii_strcasecmp(ct->caller_email, address) == 0)
		return "caller";
	return NULL;
}

int
case_add_outside(const struct case_ctx *ctx, int64_t id, const char *address,
		 int *added_r, struct cm_error *err)
{
	struct store_case *c = NULL;
	char num[CASENUM_BUF_SIZE];
	const char *role;
	char *addr = NULL;
	int rc;

	*added_r = 0;
	if ((rc = addr_normalize(address, &addr, err)) != 0)
		return rc;
	if ((rc = case_load(ctx, id, &c, err)) != 0)
		goto out;
	if ((role = case_role_of(c, addr)) != NULL) {
		case_format_number(ctx->cfg, id, num, sizeof(num));
		rc = cm_error_set(err, CM_EREFUSED, "%s is a%s %s of case %s: "
				  "the outside team must not be one of the "
				  "case's people", addr,
				  role[0] == 'o' ? "n" : "", role, num);
		goto out;
	}
	rc = store_outside_add(ctx->store, id, addr, ctx->now, added_r, err);
	if (rc == 0 && *added_r)
		rc = case_event_add(ctx, id, "outside team", NULL, addr, NULL,
				    err);
out:
	store_case_free(&c);
	g_free(addr);
	return rc;
}

int
case_creator_owns(const struct case_ctx *ctx, int64_t id, const char *side,
		  const char **side_r, struct cm_error *err)
{
	struct store_person *p = NULL;
	char *addr = NULL;
	int known = 0, rc = 0;

	*side_r = NULL;
	if (!ctx->cfg->case_creator_owns || ctx->actor == NULL ||
	    addr_normalize(ctx->actor, &addr, NULL) != 0)
		return 0;
	/* With two sides the agent's side must be known: guessing would
	 * fill the slot the other side's owner needs. */
	if (ctx->cfg->case_sides == CONFIG_SIDES_TWO && side == NULL &&
	    store_person_get(ctx->store, addr, &p, NULL) == 0)
		known = g_strcmp0(p->side, "shipper") == 0 ||
			g_strcmp0(p->side, "carrier") == 0;
	if (ctx->cfg->case_sides == CONFIG_SIDES_NONE || side != NULL || known)
		rc = case_assign(ctx, id, addr, side, side_r, err);
	store_person_free(&p);
	g_free(addr);
	return rc;
}
