/*
 * cli_merge.c - casectl merge, link and unlink; and what show says about
 * a case's relations (merged into or from, links) and its custom fields.
 */
#include "cli.h"

#include <string.h>

#include "casemail/case_fields.h"
#include "casemail/case_merge.h"

enum { OPT_INTO = 0x700 };

/* Two case numbers and what to do with them, for cli_write(). */
struct pair_op {
	int64_t a, b;
	int link;                   /* link / unlink */
	int64_t final;              /* merge: where it went */
	struct store_merge_counts n;
	int changed;
};

static int
merge_apply(struct cli *cli, void *data)
{
	struct pair_op *op = data;
	struct case_ctx ctx;

	cli_ctx(cli, &ctx);
	return case_merge(&ctx, op->a, op->b, &op->final, &op->n, &cli->err);
}

static int
merge_opt(struct cli *cli, int opt, const char *arg, void *data)
{
	if (opt != OPT_INTO)
		return cm_error_set(&cli->err, CM_EUSAGE, "bad option");
	*(const char **)data = arg;
	return 0;
}

int
cli_cmd_merge(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "into", required_argument, NULL, OPT_INTO },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	struct pair_op op = { 0 };
	char from[CASENUM_BUF_SIZE], to[CASENUM_BUF_SIZE];
	const char *into = NULL;
	int first, rc;

	rc = cli_getopt(cli, cmd, argc, argv, opts, merge_opt, &into, &first);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if (argc - first != 1 || into == NULL)
		return cli_usage(cli, cmd, "give one case and --into CASE");
	if ((rc = cli_open(cli)) != 0 ||
	    (rc = cli_case_id(cli, argv[first], &op.a)) != 0 ||
	    (rc = cli_case_id(cli, into, &op.b)) != 0 ||
	    (rc = cli_write(cli, merge_apply, &op)) != 0)
		return rc;
	if (cli->json)
		return cli_print_case_json(cli, op.final, 0);
	case_format_number(cli->cfg, op.a, from, sizeof(from));
	case_format_number(cli->cfg, op.final, to, sizeof(to));
	printf("%s merged into %s: %lld messages, %lld events, %lld people, "
	       "%lld fields, %lld links moved\n", from, to,
	       (long long)op.n.messages, (long long)op.n.events,
	       (long long)op.n.people, (long long)op.n.fields,
	       (long long)op.n.links);
	return 0;
}

static int
link_apply(struct cli *cli, void *data)
{
	struct pair_op *op = data;
	struct case_ctx ctx;

	cli_ctx(cli, &ctx);
	return case_link(&ctx, op->a, op->b, op->link, &op->changed,
			 &cli->err);
}

static int
link_run(struct cli *cli, int argc, char **argv, int link)
{
	struct pair_op op = { .link = link };
	char a[CASENUM_BUF_SIZE], b[CASENUM_BUF_SIZE];
	int first, rc;

	rc = cli_getopt_plain(cli, argc, argv, 2, "give two case numbers",
			      &first);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if ((rc = cli_open(cli)) != 0 ||
	    (rc = cli_case_id(cli, argv[first], &op.a)) != 0 ||
	    (rc = cli_case_id(cli, argv[first + 1], &op.b)) != 0 ||
	    (rc = cli_write(cli, link_apply, &op)) != 0)
		return rc;
	if (cli->json)
		return cli_print_case_json(cli, op.a, 0);
	case_format_number(cli->cfg, op.a, a, sizeof(a));
	case_format_number(cli->cfg, op.b, b, sizeof(b));
	printf("%s and %s %s\n", a, b,
	       link ? (op.changed ? "linked" : "were linked already")
		    : (op.changed ? "unlinked" : "were not linked"));
	return 0;
}

int
cli_cmd_link(struct cli *cli, int argc, char **argv)
{
	return link_run(cli, argc, argv, 1);
}

int
cli_cmd_unlink(struct cli *cli, int argc, char **argv)
{
	return link_run(cli, argc, argv, 0);
}

/* ---- relations and fields in show ------------------------------------- */

static void
show_ids(struct cli *cli, const char *label, GArray *ids)
{
	char num[CASENUM_BUF_SIZE];

	if (ids->len == 0)
		return;
	printf("%-14s", label);
	for (guint i = 0; i < ids->len; i++) {
		case_format_number(cli->cfg, g_array_index(ids, int64_t, i),
				   num, sizeof(num));
		printf("%s%s", i > 0 ? ", " : " ", num);
	}
	putchar('\n');
}

int
cli_show_relations(struct cli *cli, int64_t id)
{
	struct case_relations r;
	char num[CASENUM_BUF_SIZE];
	int64_t final = 0;
	int rc = case_relations_load(cli->store, id, &r, &cli->err);

	if (rc == 0 && r.into != 0)
		rc = store_case_resolve(cli->store, id, &final, &cli->err);
	if (rc == 0 && r.into != 0) {
		case_format_number(cli->cfg, final, num, sizeof(num));
		printf("%-14s %s (its mail, people and history are there)\n",
		       "merged into:", num);
	}
	if (rc == 0) {
		show_ids(cli, "merged from:", r.from);
		show_ids(cli, "linked:", r.links);
		for (guint i = 0; i < r.fields->len; i++) {
			const struct store_field *f = r.fields->pdata[i];
			const struct config_field *cf =
				config_field_find(cli->cfg, f->name);
			char *label = g_strdup_printf("%s:", cf != NULL
						      ? cf->label : f->name);

			printf("%-14s ", label);
			cli_print_safe(f->value);
			putchar('\n');
			g_free(label);
		}
	}
	case_relations_clear(&r);
	return rc;
}

int
cli_set_fields(struct cli *cli, int64_t id, GPtrArray *args, int *n_r)
{
	struct case_ctx ctx;
	int rc = 0;

	cli_ctx(cli, &ctx);
	for (guint i = 0; rc == 0 && args != NULL && i < args->len; i++) {
		const struct config_field *f = NULL;
		char *value = NULL;
		int changed = 0;

		rc = case_field_parse(cli->cfg, args->pdata[i], &f, &value,
				      &cli->err);
		if (rc == 0)
			rc = case_field_set(&ctx, id, f, value, &changed,
					    &cli->err);
		*n_r += changed;
		g_free(value);
	}
	return rc;
}

int
cli_create_shipment_check(struct cli *cli, const char *ref, int force,
			  GArray **same_r)
{
	struct case_ctx ctx;
	GString *nums;
	GArray *ids = NULL;
	char num[CASENUM_BUF_SIZE];
	int rc;

	*same_r = NULL;
	cli_ctx(cli, &ctx);
	if ((rc = case_active_with_shipment(&ctx, ref, 0, &ids,
					    &cli->err)) != 0)
		return rc;
	if (ids->len == 0) {
		g_array_unref(ids);
		return 0;
	}
	if (force) {
		*same_r = ids;
		return 0;
	}
	nums = g_string_new(NULL);
	for (guint i = 0; i < ids->len; i++) {
		case_format_number(cli->cfg, g_array_index(ids, int64_t, i),
				   num, sizeof(num));
		g_string_append_printf(nums, "%s%s", i > 0 ? ", " : "", num);
	}
	rc = cm_error_set(&cli->err, CM_EREFUSED, "shipment %s is on Active "
			  "case %s: add to that case, or give --force to open "
			  "another", ref, nums->str);
	g_string_free(nums, TRUE);
	g_array_unref(ids);
	return rc;
}
