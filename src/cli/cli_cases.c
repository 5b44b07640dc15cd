/*
 * cli_cases.c - casectl commands that work on one case: create, show, set,
 * assign, unassign, watch, unwatch, note, solve, reopen, history.
 */
#include "cli.h"

#include <string.h>

#include "casemail/addr.h"
#include "casemail/case_merge.h"
#include "casemail/casenum.h"
#include "casemail/timeutil.h"

enum {
	OPT_SUBJECT = 0x200, OPT_TYPE, OPT_PRIORITY, OPT_FOLLOW_UP,
	OPT_SHIPMENT, OPT_CRM_SHIPPER, OPT_CRM_CARRIER, OPT_KIND, OPT_SOURCE,
	OPT_PARTICIPANT, OPT_OWNER, OPT_SIDE, OPT_USER, OPT_FULL, OPT_PUBLIC,
	OPT_REQUESTER, OPT_REQUESTER_NAME, OPT_CALLER_NAME, OPT_CALLER_COMPANY,
	OPT_CALLER_PHONE, OPT_CALLER_EMAIL,
	OPT_FIELD, OPT_FORCE,
};

#define FIELD_OPTIONS                                                   \
	{ "subject", required_argument, NULL, OPT_SUBJECT },            \
	{ "type", required_argument, NULL, OPT_TYPE },                  \
	{ "priority", required_argument, NULL, OPT_PRIORITY },          \
	{ "follow-up", required_argument, NULL, OPT_FOLLOW_UP },        \
	{ "shipment", required_argument, NULL, OPT_SHIPMENT },          \
	{ "crm-shipper", required_argument, NULL, OPT_CRM_SHIPPER },    \
	{ "crm-carrier", required_argument, NULL, OPT_CRM_CARRIER },    \
	{ "kind", required_argument, NULL, OPT_KIND },                  \
	{ "source", required_argument, NULL, OPT_SOURCE },               \
	{ "field", required_argument, NULL, OPT_FIELD },                 \
	CONTACT_OPTIONS

/* Who the case is for (case_set_contact()). */
#define CONTACT_OPTIONS                                                   \
	{ "requester", required_argument, NULL, OPT_REQUESTER },          \
	{ "requester-name", required_argument, NULL, OPT_REQUESTER_NAME }, \
	{ "caller-name", required_argument, NULL, OPT_CALLER_NAME },      \
	{ "caller-company", required_argument, NULL, OPT_CALLER_COMPANY }, \
	{ "caller-phone", required_argument, NULL, OPT_CALLER_PHONE },    \
	{ "caller-email", required_argument, NULL, OPT_CALLER_EMAIL }

/* One command on one case: parsed operands and the change to apply. */
struct case_op {
	int64_t id;
	char num[CASENUM_BUF_SIZE];
	char **args;     /* operands after the case number */
	int nargs;
	void *data;      /* the command's own options */
	int (*apply)(struct cli *cli, struct case_op *op);
	char msg[512];   /* the text-mode result line */
};

static int
case_op_apply(struct cli *cli, void *data)
{
	struct case_op *op = data;

	return op->apply(cli, op);
}

/*
 * The shape shared by every one-case command: options, "CV…" plus between
 * min and max further operands, one transaction, then the result as text or
 * as the case's JSON.
 */
static int
run_case_op(struct cli *cli, int argc, char **argv, const struct option *opts,
	    int (*each)(struct cli *, int, const char *, void *),
	    struct case_op *op, int min, int max)
{
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	int first, rc;

	rc = cli_getopt(cli, cmd, argc, argv, opts, each, op->data, &first);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if (argc - first < 1)
		return cli_usage(cli, cmd, "which case? give a case number");
	op->args = argv + first + 1;
	op->nargs = argc - first - 1;
	if (op->nargs < min || op->nargs > max)
		return cli_usage(cli, cmd, "wrong number of arguments");
	if ((rc = cli_open(cli)) != 0 ||
	    (rc = cli_case_id(cli, argv[first], &op->id)) != 0)
		return rc;
	case_format_number(cli->cfg, op->id, op->num, sizeof(op->num));
	if ((rc = cli_write(cli, case_op_apply, op)) != 0)
		return rc;
	if (cli->json)
		return cli_print_case_json(cli, op->id, 0);
	if (op->msg[0] != '\0')
		printf("%s\n", op->msg);
	return 0;
}

/* ---- field options (create, set) -------------------------------------- */

struct field_opts {
	struct case_fields f;
	struct case_contact_fields ct;
	GPtrArray *participants;  /* create only */
	const char *side;         /* create only: the creator's side */
	const char *owned_side;   /* create: the side the creator took */
	GPtrArray *custom;        /* --field NAME=VALUE */
	int force;                /* create: even if the shipment is taken */
};

static int
field_opt(struct cli *cli, int opt, const char *arg, void *data)
{
	struct field_opts *fo = data;

	switch (opt) {
	case OPT_SUBJECT: fo->f.subject = arg; return 0;
	case OPT_TYPE: fo->f.type = arg; return 0;
	case OPT_PRIORITY: fo->f.priority = arg; return 0;
	case OPT_SHIPMENT: fo->f.shipment = arg; return 0;
	case OPT_CRM_SHIPPER: fo->f.crm_shipper = arg; return 0;
	case OPT_CRM_CARRIER: fo->f.crm_carrier = arg; return 0;
	case OPT_KIND: fo->f.kind = arg; return 0;
	case OPT_SOURCE: fo->f.source = arg; return 0;
	case OPT_REQUESTER: fo->ct.requester = arg; return 0;
	case OPT_REQUESTER_NAME: fo->ct.requester_name = arg; return 0;
	case OPT_CALLER_NAME: fo->ct.caller_name = arg; return 0;
	case OPT_CALLER_COMPANY: fo->ct.caller_company = arg; return 0;
	case OPT_CALLER_PHONE: fo->ct.caller_phone = arg; return 0;
	case OPT_CALLER_EMAIL: fo->ct.caller_email = arg; return 0;
	case OPT_SIDE: fo->side = arg; return 0;
	case OPT_FOLLOW_UP:
		fo->f.set_follow_up = 1;
		if (arg[0] == '\0' || strcmp(arg, "none") == 0) {
			fo->f.follow_up = 0;
			return 0;
		}
		return time_parse(arg, cli->now, &fo->f.follow_up, &cli->err);
	case OPT_FIELD:
		if (fo->custom == NULL)
			fo->custom = g_ptr_array_new();
		g_ptr_array_add(fo->custom, (gpointer)arg);
		return 0;
	case OPT_FORCE:
		fo->force = 1;
		return 0;
	case OPT_PARTICIPANT:
		if (fo->participants != NULL) {
			g_ptr_array_add(fo->participants, (gpointer)arg);
			return 0;
		}
		break;
	}
	return cm_error_set(&cli->err, CM_EUSAGE, "bad option");
}

static int
create_apply(struct cli *cli, void *data)
{
	struct case_op *op = data;
	struct field_opts *fo = op->data;
	struct case_ctx ctx;
	GArray *same = NULL;
	int changed, rc;

	cli_ctx(cli, &ctx);
	/* A caller who gave an email address is who the case is for. */
	if (fo->ct.requester == NULL && fo->ct.caller_email != NULL) {
		fo->ct.requester = fo->ct.caller_email;
		if (fo->ct.requester_name == NULL)
			fo->ct.requester_name = fo->ct.caller_name;
	}
	rc = cli_create_shipment_check(cli, fo->f.shipment, fo->force,
				       &same);
	if (rc == 0)
		rc = case_create(&ctx, &fo->f, &op->id, &cli->err);
	if (rc == 0)
		rc = case_set_contact(&ctx, op->id, &fo->ct, &changed,
				      &cli->err);
	for (guint i = 0; rc == 0 && i < fo->participants->len; i++)
		rc = case_add_participant(&ctx, op->id,
					  fo->participants->pdata[i], NULL,
					  &changed, &cli->err);
	if (rc == 0)
		rc = case_creator_owns(&ctx, op->id, fo->side, &fo->owned_side,
				       &cli->err);
	if (rc == 0)
		rc = cli_set_fields(cli, op->id, fo->custom, &changed);
	if (rc == 0 && same != NULL)
		rc = case_note_same_shipment(&ctx, op->id, fo->f.shipment,
					     same, &cli->err);
	if (same != NULL)
		g_array_unref(same);
	return rc;
}

int
cli_cmd_create(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS, FIELD_OPTIONS,
		{ "participant", required_argument, NULL, OPT_PARTICIPANT },
		{ "side", required_argument, NULL, OPT_SIDE },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	struct field_opts fo = { .participants = g_ptr_array_new() };
	struct case_op op = { .data = &fo };
	int first, rc;

	rc = cli_getopt(cli, cmd, argc, argv, opts, field_opt, &fo, &first);
	if (rc == 0 && first != argc)
		rc = cli_usage(cli, cmd, "unexpected argument '%s'",
			       argv[first]);
	if (rc == 0 && fo.f.subject == NULL)
		rc = cli_usage(cli, cmd, "a case needs --subject");
	if (rc == 0)
		rc = cli_open(cli);
	if (rc == 0)
		rc = cli_write(cli, create_apply, &op);
	g_ptr_array_unref(fo.participants);
	if (fo.custom != NULL)
		g_ptr_array_unref(fo.custom);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if (cli->json)
		return cli_print_case_json(cli, op.id, 0);
	case_format_number(cli->cfg, op.id, op.num, sizeof(op.num));
	printf("%s\n", op.num);
	if (fo.owned_side == NULL && cli->cfg->case_creator_owns &&
	    cli->as != NULL && strchr(cli->as, '@') != NULL &&
	    cli->cfg->case_sides == CONFIG_SIDES_TWO)
		fprintf(stderr, "casectl: %s: you were not made owner: your "
			"side is not known (give --side shipper|carrier, or "
			"assign)\n", op.num);
	return 0;
}

static int
set_apply(struct cli *cli, struct case_op *op)
{
	struct field_opts *fo = op->data;
	struct case_ctx ctx;
	int changed, more = 0, rc;

	cli_ctx(cli, &ctx);
	rc = case_set(&ctx, op->id, &fo->f, &changed, &cli->err);
	if (rc == 0)
		rc = case_set_contact(&ctx, op->id, &fo->ct, &more, &cli->err);
	changed += more;
	if (rc == 0)
		rc = cli_set_fields(cli, op->id, fo->custom, &changed);
	if (rc == 0)
		snprintf(op->msg, sizeof(op->msg), "%s: %d field%s changed",
			 op->num, changed, changed == 1 ? "" : "s");
	return rc;
}

int
cli_cmd_set(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS, FIELD_OPTIONS, { NULL, 0, NULL, 0 }
	};
	struct field_opts fo = { 0 };
	struct case_op op = { .data = &fo, .apply = set_apply };
	int rc = run_case_op(cli, argc, argv, opts, field_opt, &op, 0, 0);

	if (fo.custom != NULL)
		g_ptr_array_unref(fo.custom);
	return rc;
}

/* ---- owners and watchers ---------------------------------------------- */

struct role_opts {
	const char *owner;
	const char *side;
	const char *user;
};

static int
role_opt(struct cli *cli, int opt, const char *arg, void *data)
{
	struct role_opts *ro = data;

	switch (opt) {
	case OPT_OWNER: ro->owner = arg; return 0;
	case OPT_SIDE: ro->side = arg; return 0;
	case OPT_USER: ro->user = arg; return 0;
	}
	return cm_error_set(&cli->err, CM_EUSAGE, "bad option");
}

/* assign, unassign, watch, unwatch: a case op with the role options. */
static int
run_role_op(struct cli *cli, int argc, char **argv,
	    const struct option *opts,
	    int (*apply)(struct cli *cli, struct case_op *op))
{
	struct role_opts ro = { 0 };
	struct case_op op = { .data = &ro, .apply = apply };

	return run_case_op(cli, argc, argv, opts, role_opt, &op, 0, 0);
}

static int
assign_apply(struct cli *cli, struct case_op *op)
{
	struct role_opts *ro = op->data;
	struct case_ctx ctx;
	const char *side = NULL;
	int rc;

	if (ro->owner == NULL)
		return cm_error_set(&cli->err, CM_EUSAGE,
				    "say who: --owner EMAIL");
	cli_ctx(cli, &ctx);
	rc = case_assign(&ctx, op->id, ro->owner, ro->side, &side, &cli->err);
	if (rc == 0)
		snprintf(op->msg, sizeof(op->msg), "%s: %s owns the %s side",
			 op->num, ro->owner, side);
	return rc;
}

static const struct option role_opts[] = {
	CLI_COMMON_OPTIONS,
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "side", required_argument, NULL, OPT_SIDE },
	{ NULL, 0, NULL, 0 }
};

int
cli_cmd_assign(struct cli *cli, int argc, char **argv)
{
	return run_role_op(cli, argc, argv, role_opts, assign_apply);
}

static int
unassign_apply(struct cli *cli, struct case_op *op)
{
	struct role_opts *ro = op->data;
	struct case_ctx ctx;
	int rc;

	cli_ctx(cli, &ctx);
	rc = case_unassign(&ctx, op->id, ro->owner, ro->side, &cli->err);
	if (rc == 0)
		snprintf(op->msg, sizeof(op->msg), "%s: owner removed",
			 op->num);
	return rc;
}

int
cli_cmd_unassign(struct cli *cli, int argc, char **argv)
{
	return run_role_op(cli, argc, argv, role_opts, unassign_apply);
}

static int
watch_apply_common(struct cli *cli, struct case_op *op, int add)
{
	struct role_opts *ro = op->data;
	const char *who = ro->user != NULL ? ro->user : cli->as;
	struct case_ctx ctx;
	int changed, rc;

	if (who == NULL)
		return cm_error_set(&cli->err, CM_EUSAGE,
				    "whose watch? give --user EMAIL, --as "
				    "EMAIL or set $CASEMAIL_USER");
	cli_ctx(cli, &ctx);
	rc = add ? case_watch(&ctx, op->id, who, &changed, &cli->err)
		 : case_unwatch(&ctx, op->id, who, &changed, &cli->err);
	if (rc == 0)
		snprintf(op->msg, sizeof(op->msg), "%s: %s %s", op->num, who,
			 !changed ? (add ? "was already watching"
					 : "was not watching")
				  : (add ? "is watching" : "stopped watching"));
	return rc;
}

static int
watch_apply(struct cli *cli, struct case_op *op)
{
	return watch_apply_common(cli, op, 1);
}

static int
unwatch_apply(struct cli *cli, struct case_op *op)
{
	return watch_apply_common(cli, op, 0);
}

static const struct option watch_opts[] = {
	CLI_COMMON_OPTIONS,
	{ "user", required_argument, NULL, OPT_USER },
	{ NULL, 0, NULL, 0 }
};

int
cli_cmd_watch(struct cli *cli, int argc, char **argv)
{
	return run_role_op(cli, argc, argv, watch_opts, watch_apply);
}

int
cli_cmd_unwatch(struct cli *cli, int argc, char **argv)
{
	return run_role_op(cli, argc, argv, watch_opts, unwatch_apply);
}

/* ---- note, solve, reopen ---------------------------------------------- */

static const struct option note_opts[] = {
	CLI_COMMON_OPTIONS,
	{ "public", no_argument, NULL, OPT_PUBLIC },
	{ NULL, 0, NULL, 0 }
};

static int
note_opt(struct cli *cli, int opt, const char *arg, void *data)
{
	(void)cli;
	(void)arg;
	if (opt != OPT_PUBLIC)
		return CM_EUSAGE;
	*(int *)data = 1;
	return 0;
}

static int
note_apply(struct cli *cli, struct case_op *op)
{
	struct case_ctx ctx;
	char *text = g_strjoinv(" ", op->args);
	int public = *(int *)op->data;
	int rc;

	cli_ctx(cli, &ctx);
	if (public)
		rc = cli_public_note(cli, op->id, text);
	else
		rc = case_note(&ctx, op->id, text, &cli->err);
	g_free(text);
	if (rc == 0)
		snprintf(op->msg, sizeof(op->msg), public
			 ? "%s: public note added, the case's people notified"
			 : "%s: note added", op->num);
	return rc;
}

int
cli_cmd_note(struct cli *cli, int argc, char **argv)
{
	int public = 0;
	struct case_op op = { .data = &public, .apply = note_apply };

	return run_case_op(cli, argc, argv, note_opts, note_opt, &op, 1, 1000);
}

/* solve, reopen: one case_* call on the case, then a line saying so. */
struct case_step {
	int (*run)(const struct case_ctx *ctx, int64_t id,
		   struct cm_error *err);
	const char *done;   /* follows "NUMBER: " in text mode */
};

static int
step_apply(struct cli *cli, struct case_op *op)
{
	const struct case_step *step = op->data;
	struct case_ctx ctx;
	int rc;

	cli_ctx(cli, &ctx);
	rc = step->run(&ctx, op->id, &cli->err);
	if (rc == 0)
		snprintf(op->msg, sizeof(op->msg), "%s: %s", op->num,
			 step->done);
	return rc;
}

static int
run_case_step(struct cli *cli, int argc, char **argv, struct case_step *step)
{
	struct case_op op = { .data = step, .apply = step_apply };

	return run_case_op(cli, argc, argv, cli_plain_opts, NULL, &op, 0, 0);
}

int
cli_cmd_solve(struct cli *cli, int argc, char **argv)
{
	struct case_step step = { case_solve, "solved" };

	return run_case_step(cli, argc, argv, &step);
}

int
cli_cmd_reopen(struct cli *cli, int argc, char **argv)
{
	struct case_step step = { case_reopen, "reopened (active)" };

	return run_case_step(cli, argc, argv, &step);
}
