/*
 * case.c - the case model's rules and its audit trail.
 */
#include "case_private.h"

#include <glib.h>
#include <string.h>

#include "casemail/addr.h"
#include "casemail/random.h"
#include "casemail/timeutil.h"

/* 128 random bits in a note's Message-ID, as many as a UUID's. */
#define CASE_NOTE_NONCE_BYTES 16

static const char *const case_priorities[] = { "low", "normal", "high",
					       "urgent", NULL };
const char *const *
case_priority_names(void)
{
	return case_priorities;
}

static const char *const case_kinds[] = { "client", "driver", NULL };
static const char *const case_sources[] = { "email", "user", "api", "rule",
					    NULL };
static const char *const case_sides[] = { "shipper", "carrier", NULL };

int
case_parse_number(const struct config *cfg, const char *text, int64_t *id_r,
		  struct cm_error *err)
{
	return casenum_parse(cfg->case_prefix, text, id_r, err);
}

void
case_format_number(const struct config *cfg, int64_t id, char *buf,
		   size_t size)
{
	casenum_format(cfg->case_prefix, cfg->case_digits, id, buf, size);
}

static const char *
case_actor(const struct case_ctx *ctx)
{
	return ctx->actor != NULL ? ctx->actor : "unknown";
}

/* The canonical spelling of v in list (case-insensitive), or NULL. */
static const char *
case_lookup(const char *const *list, const char *v)
{
	for (; *list != NULL; list++)
		if (g_ascii_strcasecmp(*list, v) == 0)
			return *list;
	return NULL;
}

static int
case_bad_enum(struct cm_error *err, const char *field, const char *v,
	      const char *const *list)
{
	char *allowed = g_strjoinv(", ", (char **)list);

	cm_error_set(err, CM_EUSAGE, "unknown %s '%s' (one of: %s)", field, v,
		     allowed);
	g_free(allowed);
	return CM_EUSAGE;
}

int
case_check_text(struct cm_error *err, const char *field, const char *v,
		size_t max, int may_be_empty)
{
	if (v == NULL)
		return 0;
	if (!g_utf8_validate(v, -1, NULL))
		return cm_error_set(err, CM_EUSAGE, "%s is not valid UTF-8",
				    field);
	if (!may_be_empty && v[0] == '\0')
		return cm_error_set(err, CM_EUSAGE, "%s must not be empty",
				    field);
	if (strlen(v) > max)
		return cm_error_set(err, CM_EUSAGE,
				    "%s is longer than %zu bytes", field, max);
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return cm_error_set(err, CM_EUSAGE,
					    "%s contains a control character",
					    field);
	return 0;
}

int
case_check_fields(const struct config *cfg, const struct case_fields *f,
		  struct cm_error *err)
{
	int rc;

	if (f->type != NULL && (cfg->case_types == NULL ||
	    case_lookup((const char *const *)cfg->case_types, f->type) == NULL))
		return case_bad_enum(err, "type", f->type,
				     (const char *const *)cfg->case_types);
	if (f->priority != NULL && case_lookup(case_priorities, f->priority) == NULL)
		return case_bad_enum(err, "priority", f->priority,
				     case_priorities);
	if (f->kind != NULL && case_lookup(case_kinds, f->kind) == NULL)
		return case_bad_enum(err, "kind", f->kind, case_kinds);
	if (f->source != NULL && case_lookup(case_sources, f->source) == NULL)
		return case_bad_enum(err, "source", f->source, case_sources);
	if ((rc = case_check_text(err, "subject", f->subject,
				  CASE_SUBJECT_MAX, 0)) != 0 ||
	    (rc = case_check_text(err, "shipment", f->shipment,
				  CASE_REF_MAX, 1)) != 0 ||
	    (rc = case_check_text(err, "crm-shipper", f->crm_shipper,
				  CASE_REF_MAX, 1)) != 0 ||
	    (rc = case_check_text(err, "crm-carrier", f->crm_carrier,
				  CASE_REF_MAX, 1)) != 0)
		return rc;
	if (f->set_follow_up && f->follow_up < 0)
		return cm_error_set(err, CM_EUSAGE,
				    "follow-up is before 1970");
	return 0;
}

static const char *
case_default_type(const struct config *cfg)
{
	return config_has_type(cfg, "other") ? "other" : cfg->case_types[0];
}

static char *
case_time_str(int64_t t)
{
	char buf[TIME_ISO_SIZE];

	if (t == 0)
		return NULL;
	time_format_iso(t, buf, sizeof(buf));
	return g_strdup(buf);
}

static int
case_event(const struct case_ctx *ctx, int64_t id, const char *what,
	   const char *old_v, const char *new_v, const char *detail,
	   struct cm_error *err)
{
	return store_event_add(ctx->store, id, ctx->now, case_actor(ctx), what,
			       old_v, new_v, detail, err);
}

int
case_change(const struct case_ctx *ctx, int64_t id, const char *what,
	    char **slot, const char *v, int *n, struct cm_error *err)
{
	const char *nv;
	int rc;

	if (v == NULL)
		return 0;
	nv = v[0] != '\0' ? v : NULL;
	if (g_strcmp0(*slot, nv) == 0)
		return 0;
	rc = case_event(ctx, id, what, *slot, nv, NULL, err);
	if (rc != 0)
		return rc;
	g_free(*slot);
	*slot = g_strdup(nv);
	(*n)++;
	return 0;
}

static int
case_change_follow_up(const struct case_ctx *ctx, struct store_case *c,
		      const struct case_fields *f, int *n, struct cm_error *err)
{
	char *old_v, *new_v;
	int rc;

	if (!f->set_follow_up || c->follow_up == f->follow_up)
		return 0;
	old_v = case_time_str(c->follow_up);
	new_v = case_time_str(f->follow_up);
	rc = case_event(ctx, c->id, "follow_up", old_v, new_v, NULL, err);
	g_free(old_v);
	g_free(new_v);
	if (rc == 0) {
		c->follow_up = f->follow_up;
		(*n)++;
	}
	return rc;
}

void
case_canonical(const struct config *cfg, const struct case_fields *in,
	       struct case_fields *out)
{
	*out = *in;
	if (in->priority != NULL)
		out->priority = case_lookup(case_priorities, in->priority);
	if (in->kind != NULL)
		out->kind = case_lookup(case_kinds, in->kind);
	if (in->source != NULL)
		out->source = case_lookup(case_sources, in->source);
	if (in->type != NULL && cfg->case_types != NULL)
		out->type = case_lookup((const char *const *)cfg->case_types,
					in->type);
}

static int
case_apply(const struct case_ctx *ctx, struct store_case *c,
	   const struct case_fields *f, int *n, struct cm_error *err)
{
	int rc = 0;

	if (rc == 0) rc = case_change(ctx, c->id, "subject", &c->subject, f->subject, n, err);
	if (rc == 0) rc = case_change(ctx, c->id, "type", &c->type, f->type, n, err);
	if (rc == 0) rc = case_change(ctx, c->id, "priority", &c->priority, f->priority, n, err);
	if (rc == 0) rc = case_change(ctx, c->id, "kind", &c->kind, f->kind, n, err);
	if (rc == 0) rc = case_change(ctx, c->id, "source", &c->source, f->source, n, err);
	if (rc == 0) rc = case_change(ctx, c->id, "shipment", &c->shipment, f->shipment, n, err);
	if (rc == 0) rc = case_change(ctx, c->id, "crm_shipper", &c->crm_shipper, f->crm_shipper, n, err);
	if (rc == 0) rc = case_change(ctx, c->id, "crm_carrier", &c->crm_carrier, f->crm_carrier, n, err);
	if (rc == 0) rc = case_change_follow_up(ctx, c, f, n, err);
	return rc;
}

int
case_create(const struct case_ctx *ctx, const struct case_fields *in,
	    int64_t *id_r, struct cm_error *err)
{
	struct case_fields f;
	struct store_case *c;
	int rc;

	if (in->subject == NULL)
		return cm_error_set(err, CM_EUSAGE, "a case needs a subject");
	if ((rc = case_check_fields(ctx->cfg, in, err)) != 0)
		return rc;
	case_canonical(ctx->cfg, in, &f);
	c = store_case_new();
	c->subject = g_strdup(f.subject);
	c->type = g_strdup(f.type != NULL ? f.type : case_default_type(ctx->cfg));
	c->priority = g_strdup(f.priority != NULL ? f.priority : "normal");
	c->kind = g_strdup(f.kind != NULL ? f.kind : "client");
	c->source = g_strdup(f.source != NULL ? f.source : "user");
	c->status = STORE_CASE_ACTIVE;
	c->shipment = f.shipment != NULL && f.shipment[0] ? g_strdup(f.shipment) : NULL;
	c->crm_shipper = f.crm_shipper != NULL && f.crm_shipper[0] ? g_strdup(f.crm_shipper) : NULL;
	c->crm_carrier = f.crm_carrier != NULL && f.crm_carrier[0] ? g_strdup(f.crm_carrier) : NULL;
	c->follow_up = f.set_follow_up ? f.follow_up : 0;
	c->creator = g_strdup(case_actor(ctx));
	c->created_at = c->updated_at = ctx->now;
	rc = store_case_insert(ctx->store, c, id_r, err);
	if (rc == 0)
		rc = case_event(ctx, *id_r, "created", NULL, c->subject,
				c->source, err);
	store_case_free(&c);
	return rc;
}

int
case_load(const struct case_ctx *ctx, int64_t id, struct store_case **c_r,
	  struct cm_error *err)
{
	char num[CASENUM_BUF_SIZE];
	int rc = store_case_get(ctx->store, id, c_r, err);

	if (rc == CM_ENOTFOUND) {
		case_format_number(ctx->cfg, id, num, sizeof(num));
		return cm_error_set(err, CM_ENOTFOUND, "no case %s", num);
	}
	return rc;
}

/* Bump updated_at and write the case back. */
static int
case_save(const struct case_ctx *ctx, struct store_case *c,
	  struct cm_error *err)
{
	if (ctx->now > c->updated_at)
		c->updated_at = ctx->now;
	return store_case_update(ctx->store, c, err);
}

int
case_set(const struct case_ctx *ctx, int64_t id, const struct case_fields *in,
	 int *changed_r, struct cm_error *err)
{
	struct case_fields f;
	struct store_case *c = NULL;
	int n = 0, rc;

	*changed_r = 0;
	if ((rc = case_check_fields(ctx->cfg, in, err)) != 0)
		return rc;
	case_canonical(ctx->cfg, in, &f);
	if ((rc = case_load(ctx, id, &c, err)) != 0)
		return rc;
	rc = case_apply(ctx, c, &f, &n, err);
	if (rc == 0 && n > 0)
		rc = case_save(ctx, c, err);
	store_case_free(&c);
	if (rc == 0)
		*changed_r = n;
	return rc;
}

static int
case_set_status(const struct case_ctx *ctx, int64_t id,
		enum store_case_status status, struct cm_error *err)
{
	char num[CASENUM_BUF_SIZE];
	struct store_case *c = NULL;
	int rc;

	if ((rc = case_load(ctx, id, &c, err)) != 0)
		return rc;
	if (c->status == status) {
		case_format_number(ctx->cfg, id, num, sizeof(num));
		rc = cm_error_set(err, CM_EREFUSED, "case %s is already %s",
				  num, store_case_status_name(status));
		goto out;
	}
	rc = case_event(ctx, id, "status", store_case_status_name(c->status),
			store_case_status_name(status), NULL, err);
	if (rc != 0)
		goto out;
	c->status = status;
	c->solved_at = status == STORE_CASE_SOLVED ? ctx->now : 0;
	/* Solved is solved: nobody is waited on any more. */
	if (c->solved_at != 0 && c->waiting_on != NULL) {
		rc = case_event(ctx, id, "waiting", c->waiting_on, NULL, NULL,
				err);
		g_free(c->waiting_on);
		c->waiting_on = NULL;
	}
	if (rc == 0)
		rc = case_save(ctx, c, err);
out:
	store_case_free(&c);
	return rc;
}

int
case_set_waiting(const struct case_ctx *ctx, int64_t id, const char *on,
		 struct cm_error *err)
{
	struct store_case *c = NULL;
	int rc;

	if ((rc = case_load(ctx, id, &c, err)) != 0)
		return rc;
	if (g_strcmp0(c->waiting_on, on) != 0) {
		rc = case_event(ctx, id, "waiting", c->waiting_on, on, NULL, err);
		g_free(c->waiting_on);
		c->waiting_on = g_strdup(on);
		/* Pending is a kind of Active: a solved case comes back. */
		if (rc == 0 && on != NULL && c->status == STORE_CASE_SOLVED) {
			rc = case_event(ctx, id, "status",
					store_case_status_name(c->status),
					store_case_status_name(STORE_CASE_ACTIVE),
					NULL, err);
			c->status = STORE_CASE_ACTIVE;
			c->solved_at = 0;
		}
		if (rc == 0)
			rc = case_save(ctx, c, err);
	}
	store_case_free(&c);
	return rc;
}

int
case_event_add(const struct case_ctx *ctx, int64_t id, const char *what,
	       const char *old_v, const char *new_v, const char *detail,
	       struct cm_error *err)
{
	return case_event(ctx, id, what, old_v, new_v, detail, err);
}

int
case_solve(const struct case_ctx *ctx, int64_t id, struct cm_error *err)
{
	return case_set_status(ctx, id, STORE_CASE_SOLVED, err);
}

int
case_reopen(const struct case_ctx *ctx, int64_t id, struct cm_error *err)
{
	char num[CASENUM_BUF_SIZE], to[CASENUM_BUF_SIZE];
	int64_t into = 0;
	int rc;

	/* A merged case is a pointer with nothing left in it: reopening it
	 * would make an empty Active case beside the one that holds it all. */
	if ((rc = store_case_merged_into(ctx->store, id, &into, err)) != 0)
		return rc;
	if (into != 0) {
		case_format_number(ctx->cfg, id, num, sizeof(num));
		case_format_number(ctx->cfg, into, to, sizeof(to));
		return cm_error_set(err, CM_EREFUSED,
				    "case %s was merged into %s: reopen %s",
				    num, to, to);
	}
	return case_set_status(ctx, id, STORE_CASE_ACTIVE, err);
}

int
case_apply_template_status(const struct case_ctx *ctx,
			   const struct store_case *c, const char *status,
			   struct cm_error *err)
{
	int rc = 0;

	if (status == NULL)
		return 0;
	/* A second "solved" is no news, so it is not refused either. */
	if (strcmp(status, "solved") == 0) {
		if (c->status != STORE_CASE_SOLVED)
			rc = case_solve(ctx, c->id, err);
	} else if (strcmp(status, "pending") == 0) {
		rc = case_set_waiting(ctx, c->id, "outside support", err);
	} else {
		if (c->status == STORE_CASE_SOLVED)
			rc = case_reopen(ctx, c->id, err);
		if (rc == 0)
			rc = case_set_waiting(ctx, c->id, NULL, err);
	}
	return rc;
}

/* The owner of side on c, or NULL. */
const struct store_person *
case_owner_of(const struct store_case *c, const char *side)
{
	for (guint i = 0; i < c->owners->len; i++) {
		const struct store_person *p = c->owners->pdata[i];

		if (g_strcmp0(p->side, side) == 0)
			return p;
	}
	return NULL;
}

int64_t
case_bounce_cutoff(const struct config *cfg, int64_t now)
{
	return now - (int64_t)cfg->smtp_bounce_clear_days * 86400;
}

int
case_person_bouncing(const struct config *cfg, const struct store_person *p,
		     int64_t now)
{
	return p->bounced_at != 0 && p->bounced_at >= case_bounce_cutoff(cfg, now);
}

static int
case_pick_side(const struct case_ctx *ctx, const char *addr,
	       const char *side, const char **side_r, struct cm_error *err)
{
	struct store_person *p = NULL;
	int rc;

	if (ctx->cfg->case_sides == CONFIG_SIDES_NONE) {
		*side_r = CASE_SIDE_DESK;
		if (side != NULL)
			return cm_error_set(err, CM_EUSAGE, "this desk has "
					    "one owner per case ([case] sides "
					    "= none): leave out --side");
		return 0;
	}
	if (side != NULL) {
		*side_r = case_lookup(case_sides, side);
		if (*side_r == NULL)
			return case_bad_enum(err, "side", side, case_sides);
		return 0;
	}
	rc = store_person_get(ctx->store, addr, &p, NULL);
	*side_r = rc == 0 && p->side != NULL ? case_lookup(case_sides, p->side)
					     : NULL;
	store_person_free(&p);
	if (*side_r == NULL)
		return cm_error_set(err, CM_EUSAGE,
				    "%s has no known side: say --side shipper "
				    "or --side carrier", addr);
	return 0;
}

/* An owner must be owner of one side only and the side must be free. */
static int
case_check_owner_slot(const struct case_ctx *ctx, const struct store_case *c,
		      const char *addr, const char *side, int *already_r,
		      struct cm_error *err)
{
	const struct store_person *cur = case_owner_of(c, side);
	char num[CASENUM_BUF_SIZE];

	*already_r = 0;
	case_format_number(ctx->cfg, c->id, num, sizeof(num));
	/* One owner per case: whoever owns it holds the one slot, even one
	 * given a side before the desk dropped them. */
	if (ctx->cfg->case_sides == CONFIG_SIDES_NONE && cur == NULL &&
	    c->owners->len > 0)
		cur = c->owners->pdata[0];
	if (cur != NULL && strcmp(cur->address, addr) == 0) {
		*already_r = 1;
		return 0;
	}
	if (cur != NULL)
		return cm_error_set(err, CM_EREFUSED,
				    "case %s already has a %s owner (%s): a "
				    "case has at most one owner per side; "
				    "unassign first", num, side, cur->address);
	for (guint i = 0; i < c->owners->len; i++) {
		const struct store_person *o = c->owners->pdata[i];

		if (strcmp(o->address, addr) == 0)
			return cm_error_set(err, CM_EREFUSED,
					    "%s already owns the %s side of "
					    "case %s", addr, o->side, num);
	}
	return 0;
}

static int
case_assign_person(const struct case_ctx *ctx, struct store_case *c,
		   const char *addr, const char *side, struct cm_error *err)
{
	struct store_person *p = NULL;
	int64_t pid;
	int added, rc;

	if ((rc = store_person_ensure(ctx->store, addr, NULL, &pid, err)) != 0)
		return rc;
	/* Remember the side of someone new to us, for the next assign and
	 * for the "new" view. */
	if (strcmp(side, CASE_SIDE_DESK) != 0 &&
	    store_person_get(ctx->store, addr, &p, err) == 0 && p->side == NULL)
		rc = store_person_set_side(ctx->store, pid, side, err);
	store_person_free(&p);
	if (rc == 0)
		rc = store_role_add(ctx->store, c->id, pid, "owner", side,
				    &added, err);
	if (rc == 0)
		rc = case_event(ctx, c->id, "owner", NULL, addr, side, err);
	if (rc == 0)
		rc = case_save(ctx, c, err);
	return rc;
}

int
case_assign(const struct case_ctx *ctx, int64_t id, const char *address,
	    const char *side, const char **side_r, struct cm_error *err)
{
	struct store_case *c = NULL;
	const char *use_side = NULL;
	char *addr = NULL;
	int already, rc;

	if ((rc = addr_normalize(address, &addr, err)) != 0)
		return rc;
	if ((rc = case_pick_side(ctx, addr, side, &use_side, err)) != 0)
		goto out;
	if ((rc = case_load(ctx, id, &c, err)) != 0)
		goto out;
	rc = case_check_owner_slot(ctx, c, addr, use_side, &already, err);
	if (rc == 0 && !already)
		rc = case_assign_person(ctx, c, addr, use_side, err);
	if (rc == 0 && side_r != NULL)
		*side_r = use_side;
out:
	store_case_free(&c);
	g_free(addr);
	return rc;
}

/* The owner named by addr, else by side; NULL (and err set) if none. */
static const struct store_person *
case_find_owner(const struct case_ctx *ctx, const struct store_case *c,
		const char *addr, const char *side, struct cm_error *err)
{
	char num[CASENUM_BUF_SIZE];

	for (guint i = 0; i < c->owners->len; i++) {
		const struct store_person *o = c->owners->pdata[i];

		if ((addr != NULL && strcmp(o->address, addr) == 0) ||
		    (addr == NULL && g_strcmp0(o->side, side) == 0))
			return o;
	}
	case_format_number(ctx->cfg, c->id, num, sizeof(num));
	if (addr != NULL)
		cm_error_set(err, CM_ENOTFOUND, "%s is not an owner of case %s",
			     addr, num);
	else
		cm_error_set(err, CM_ENOTFOUND, "case %s has no %s owner", num,
			     side);
	return NULL;
}

int
case_unassign(const struct case_ctx *ctx, int64_t id, const char *address,
	      const char *side, struct cm_error *err)
{
	const struct store_person *owner;
	struct store_case *c = NULL;
	char *addr = NULL;
	int removed, rc;

	if (address == NULL && side == NULL)
		return cm_error_set(err, CM_EUSAGE,
				    "say which owner: --owner EMAIL or --side "
				    "shipper|carrier");
	if (address != NULL && (rc = addr_normalize(address, &addr, err)) != 0)
		return rc;
	if (side != NULL && case_lookup(case_sides, side) == NULL) {
		g_free(addr);
		return case_bad_enum(err, "side", side, case_sides);
	}
	if (side != NULL)
		side = case_lookup(case_sides, side);
	if ((rc = case_load(ctx, id, &c, err)) != 0)
		goto out;
	if ((owner = case_find_owner(ctx, c, addr, side, err)) == NULL) {
		rc = CM_ENOTFOUND;
		goto out;
	}
	rc = store_role_remove(ctx->store, id, owner->id, "owner", &removed, err);
	if (rc == 0)
		rc = case_event(ctx, id, "owner", owner->address, NULL,
				owner->side, err);
	if (rc == 0)
		rc = case_save(ctx, c, err);
out:
	store_case_free(&c);
	g_free(addr);
	return rc;
}

/* Add or remove a non-owner role and audit it. */
static int
case_role_change(const struct case_ctx *ctx, int64_t id, const char *address,
		 const char *name, const char *role, int add, int *changed_r,
		 struct cm_error *err)
{
	struct store_case *c = NULL;
	char *addr = NULL;
	int64_t pid;
	int rc;

	*changed_r = 0;
	if ((rc = addr_normalize(address, &addr, err)) != 0)
		return rc;
	if (add && strcmp(role, "participant") == 0 &&
	    (rc = case_refuse_outside(ctx, id, addr, err)) != 0) {
		g_free(addr);
		return rc;
	}
	rc = store_person_ensure(ctx->store, addr, name, &pid, err);
	if (rc == 0 && add)
		rc = store_role_add(ctx->store, id, pid, role, NULL, changed_r,
				    err);
	else if (rc == 0)
		rc = store_role_remove(ctx->store, id, pid, role, changed_r,
				       err);
	/*
	 * Ingest calls this for every address of every mail: the case is
	 * not loaded, only its updated_at moved when something changed.  A
	 * refusal (no such case: foreign key) is explained by the load.
	 */
	if (rc == CM_EREFUSED) {
		int lrc = case_load(ctx, id, &c, err);

		if (lrc != 0)
			rc = lrc;
	}
	if (rc == 0 && *changed_r)
		rc = case_event(ctx, id, role, add ? NULL : addr,
				add ? addr : NULL, NULL, err);
	if (rc == 0 && *changed_r)
		rc = store_case_touch(ctx->store, id, ctx->now, err);
	store_case_free(&c);
	g_free(addr);
	return rc;
}

int
case_watch(const struct case_ctx *ctx, int64_t id, const char *address,
	   int *changed_r, struct cm_error *err)
{
	return case_role_change(ctx, id, address, NULL, "watcher", 1,
				changed_r, err);
}

int
case_unwatch(const struct case_ctx *ctx, int64_t id, const char *address,
	     int *changed_r, struct cm_error *err)
{
	return case_role_change(ctx, id, address, NULL, "watcher", 0,
				changed_r, err);
}

int
case_add_participant(const struct case_ctx *ctx, int64_t id,
		     const char *address, const char *name, int *changed_r,
		     struct cm_error *err)
{
	return case_role_change(ctx, id, address, name, "participant", 1,
				changed_r, err);
}

/* A unique Message-ID for a note, on the case address's domain. */
static char *
case_note_message_id(const struct case_ctx *ctx)
{
	const char *at = ctx->cfg->case_address != NULL
				 ? strrchr(ctx->cfg->case_address, '@')
				 : NULL;
	char nonce[2 * CASE_NOTE_NONCE_BYTES + 1];

	/* getrandom(2), not g_uuid_string_random(): GLib's generator is
	 * predictable from its output. */
	random_hex(nonce, CASE_NOTE_NONCE_BYTES);
	return g_strdup_printf("<note.%s@%s>", nonce,
			       at != NULL ? at + 1 : "casemail.invalid");
}

static int
case_blank(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (!g_ascii_isspace(*s))
			return 0;
	return 1;
}

int
case_note(const struct case_ctx *ctx, int64_t id, const char *text,
	  struct cm_error *err)
{
	return case_add_note(ctx, id, text, 0, NULL, err);
}

int
case_add_note(const struct case_ctx *ctx, int64_t id, const char *text,
	      int public, struct store_message **m_r, struct cm_error *err)
{
	struct store_message *m;
	struct store_case *c = NULL;
	int rc;

	if (case_blank(text))
		return cm_error_set(err, CM_EUSAGE, "a note needs text");
	if (!g_utf8_validate(text, -1, NULL) || strlen(text) > CASE_NOTE_MAX)
		return cm_error_set(err, CM_EUSAGE,
				    "a note must be UTF-8 text of at most %d "
				    "bytes", (int)CASE_NOTE_MAX);
	if ((rc = case_load(ctx, id, &c, err)) != 0)
		return rc;
	m = store_message_new();
	m->case_id = id;
	m->message_id = case_note_message_id(ctx);
	m->direction = g_strdup(public ? "out" : "internal");
	m->state = STORE_MSG_STORED;
	if (public)
		m->subject = g_strdup(c->subject);
	m->from.name = g_strdup(case_actor(ctx));
	if (addr_normalize(case_actor(ctx), &m->from.address, NULL) != 0)
		m->from.address = NULL;
	m->received_at = m->date = ctx->now;
	m->body = g_strdup(text);
	m->body_full = g_strdup(text);
	rc = store_message_insert(ctx->store, m, NULL, err);
	if (rc == 0)
		rc = case_event(ctx, id, public ? "public note" : "note", NULL,
				NULL, text, err);
	if (rc == 0)
		rc = case_save(ctx, c, err);
	if (rc == 0 && m_r != NULL)
		*m_r = m;
	else
		store_message_free(&m);
	store_case_free(&c);
	return rc;
}
