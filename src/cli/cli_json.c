/*
 * cli_json.c - printing casectl --json; the shapes are case_json.c's.
 *
 * Field names are part of the interface (docs/casectl.1): add fields,
 * never rename them.  Times are ISO 8601 UTC strings or null.
 */
#include "cli.h"

void
cli_json_print(JsonNode *node)
{
	JsonGenerator *g = json_generator_new();
	char *text;

	json_generator_set_pretty(g, TRUE);
	json_generator_set_root(g, node);
	text = json_generator_to_data(g, NULL);
	fputs(text, stdout);
	fputc('\n', stdout);
	g_free(text);
	g_object_unref(g);
	json_node_unref(node);
}

void
cli_json_print_list(GPtrArray *items, JsonNode *(*conv)(gconstpointer))
{
	JsonNode *n = json_node_new(JSON_NODE_ARRAY);

	json_node_take_array(n, case_json_array(items, conv));
	cli_json_print(n);
}

int
cli_print_case_json(struct cli *cli, int64_t id, int full)
{
	JsonNode *node = NULL;
	int rc = case_json_show(cli->store, cli->cfg, id, full, &node,
				&cli->err);

	if (rc == 0 &&
	    (rc = cli_sla_json(cli, id, json_node_get_object(node))) != 0)
		json_node_unref(node);
	else if (rc == 0)
		cli_json_print(node);
	return rc;
}
