/*
 * cli_view.c - casectl view: save a set of list filters under a name,
 * list the saved ones, delete one.  'list --view NAME' uses them.
 */
#include "cli.h"

#include <string.h>

#include "casemail/timeutil.h"

/* A view name: short, one word, so it reads well after --view. */
#define VIEW_NAME_MAX 32
/* All of a view's arguments together: filters, not a script. */
#define VIEW_ARGS_MAX 4096

static const char *const view_builtin[] = {
	"all", "active", "recent", "mine", "watched", "new", "overdue",
};

static int
view_name_ok(struct cli *cli, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < G_N_ELEMENTS(view_builtin); i++)
		if (strcmp(name, view_builtin[i]) == 0)
			return cm_error_set(&cli->err, CM_EUSAGE, "'%s' is a "
					    "built-in view", name);
	if (n == 0 || n > VIEW_NAME_MAX || !g_ascii_isalpha(name[0]))
		goto bad;
	for (const char *p = name; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
			goto bad;
	return 0;
bad:
	return cm_error_set(&cli->err, CM_EUSAGE, "a view name is a letter, "
			    "then up to 31 letters, digits, '-' or '_'");
}

/* The arguments as stored: one per line, none holding a control
 * character (so a line break can only separate two of them). */
static int
view_join(struct cli *cli, int argc, char **argv, char **args_r)
{
	GString *s = g_string_new(NULL);

	*args_r = NULL;
	for (int i = 0; i < argc; i++) {
		for (const char *p = argv[i]; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				g_string_free(s, TRUE);
				return cm_error_set(&cli->err, CM_EUSAGE,
						    "a view's argument holds a "
						    "control character");
			}
		g_string_append_printf(s, "%s%s", i > 0 ? "\n" : "", argv[i]);
	}
	if (s->len > VIEW_ARGS_MAX) {
		g_string_free(s, TRUE);
		return cm_error_set(&cli->err, CM_EUSAGE, "a view's arguments "
				    "are longer than %d bytes", VIEW_ARGS_MAX);
	}
	*args_r = g_string_free(s, FALSE);
	return 0;
}

struct view_save {
	const char *name;
	char *args;
};

static int
view_save_apply(struct cli *cli, void *data)
{
	struct view_save *vs = data;

	return store_view_save(cli->store, vs->name, vs->args, cli->as,
			       cli->now, &cli->err);
}

/* view save NAME FILTERS...: argv[0] is "save". */
static int
view_save(struct cli *cli, int argc, char **argv)
{
	struct view_save vs = { 0 };
	char **filters;
	int rc;

	if (argc < 3)
		return cm_error_set(&cli->err, CM_EUSAGE, "view save NAME "
				    "FILTERS... (give a name and filters)");
	vs.name = argv[1];
	if ((rc = view_name_ok(cli, vs.name)) != 0 ||
	    (rc = view_join(cli, argc - 2, argv + 2, &vs.args)) != 0)
		return rc;
	/* Checked as 'list' would read them, so a saved view always runs. */
	filters = g_new0(char *, (gsize)argc);
	filters[0] = "list";
	memcpy(filters + 1, argv + 2, sizeof(char *) * (gsize)(argc - 2));
	rc = cli_list_check_args(cli, argc - 1, filters);
	g_free(filters);
	if (rc == 0)
		rc = cli_write(cli, view_save_apply, &vs);
	if (rc == 0 && !cli->json)
		printf("view %s saved\n", vs.name);
	g_free(vs.args);
	return rc;
}

static void
view_line(const struct store_saved_view *v)
{
	char **args = g_strsplit(v->args, "\n", -1);

	cli_print_safe(v->name);
	fputs("  ", stdout);
	for (guint i = 0; args[i] != NULL; i++) {
		char *q = g_shell_quote(args[i]);

		printf("%s", i > 0 ? " " : "");
		/* A plain word needs no quotes. */
		cli_print_safe(strpbrk(args[i], " '\"\\$`*?") != NULL ||
			       args[i][0] == '\0' ? q : args[i]);
		g_free(q);
	}
	putchar('\n');
	g_strfreev(args);
}

static JsonNode *
view_json(const struct store_saved_view *v)
{
	JsonBuilder *b = case_json_begin();
	char **args = g_strsplit(v->args, "\n", -1);
	char when[TIME_ISO_SIZE];

	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, v->name);
	json_builder_set_member_name(b, "args");
	json_builder_begin_array(b);
	for (guint i = 0; args[i] != NULL; i++)
		json_builder_add_string_value(b, args[i]);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "saved_by");
	if (v->actor != NULL)
		json_builder_add_string_value(b, v->actor);
	else
		json_builder_add_null_value(b);
	time_format_iso(v->created_at, when, sizeof(when));
	json_builder_set_member_name(b, "saved_at");
	json_builder_add_string_value(b, when);
	g_strfreev(args);
	return case_json_end(b);
}

static int
view_list(struct cli *cli)
{
	GPtrArray *views = NULL;
	int rc = store_view_list(cli->store, &views, &cli->err);

	if (rc != 0)
		return rc;
	if (cli->json) {
		JsonArray *a = json_array_sized_new(views->len);
		JsonNode *n = json_node_new(JSON_NODE_ARRAY);

		for (guint i = 0; i < views->len; i++)
			json_array_add_element(a, view_json(views->pdata[i]));
		json_node_take_array(n, a);
		cli_json_print(n);
	} else if (views->len == 0) {
		puts("no saved views");
	} else {
		for (guint i = 0; i < views->len; i++)
			view_line(views->pdata[i]);
	}
	g_ptr_array_unref(views);
	return 0;
}

static int
view_delete_apply(struct cli *cli, void *data)
{
	const char *name = data;
	int removed = 0;
	int rc = store_view_delete(cli->store, name, &removed, &cli->err);

	if (rc == 0 && !removed)
		rc = cm_error_set(&cli->err, CM_ENOTFOUND, "no saved view '%s'",
				  name);
	return rc;
}

int
cli_cmd_view(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	const char *sub;
	int first = 1, rc;

	/* Options after "save NAME" are the view's filters: only the
	 * common ones before the subcommand are ours. */
	if (argc >= 2 && strcmp(argv[1], "save") == 0)
		first = 1;
	else if ((rc = cli_getopt_plain(cli, argc, argv, -1, NULL,
					&first)) != 0)
		return rc > 0 ? 0 : rc;
	sub = first < argc ? argv[first] : "list";
	if ((rc = cli_open(cli)) != 0)
		return rc;
	if (strcmp(sub, "save") == 0)
		rc = view_save(cli, argc - first, argv + first);
	else if (strcmp(sub, "list") == 0 && argc - first <= 1)
		rc = view_list(cli);
	else if (strcmp(sub, "delete") == 0 && argc - first == 2)
		rc = cli_write(cli, view_delete_apply, argv[first + 1]);
	else
		return cli_usage(cli, cmd, "view save NAME FILTERS..., view "
				 "list or view delete NAME");
	if (rc == 0 && strcmp(sub, "delete") == 0 && !cli->json)
		printf("view %s deleted\n", argv[first + 1]);
	if (rc == CM_EUSAGE && sub[0] == 's' && !cli->usage_printed)
		return cli_usage(cli, cmd, "%s", cli->err.msg);
	return rc;
}
