/*
 * cli_show.c - read-only views of one case: show and history.
 */
#include "cli.h"

#include <string.h>

#include "casemail/casenum.h"
#include "casemail/timeutil.h"

enum { OPT_FULL = 0x300 };

static void
show_time(const struct config *cfg, const char *label, int64_t t)
{
	char buf[TIME_ISO_SIZE];

	if (t == 0) {
		printf("%-14s -\n", label);
		return;
	}
	time_format_zone(t, cfg->case_timezone, buf, sizeof(buf));
	printf("%-14s %s\n", label, buf);
}

static void
show_field(const char *label, const char *v)
{
	printf("%-14s ", label);
	cli_print_safe(v != NULL ? v : "-");
	putchar('\n');
}

/* People on the case; a bouncing one says since when (at now). */
static void
show_people(const struct config *cfg, int64_t now, const char *label,
	    GPtrArray *people)
{
	char since[TIME_ISO_SIZE];

	printf("%-14s ", label);
	if (people->len == 0)
		fputs("-", stdout);
	for (guint i = 0; i < people->len; i++) {
		const struct store_person *p = people->pdata[i];

		if (i > 0)
			fputs(", ", stdout);
		if (p->side != NULL && strcmp(label, "owners:") == 0)
			printf("%s: ", p->side);
		if (p->name != NULL) {
			cli_print_safe(p->name);
			fputs(" <", stdout);
			cli_print_safe(p->address);
			fputs(">", stdout);
		} else {
			cli_print_safe(p->address);
		}
		if (case_person_bouncing(cfg, p, now)) {
			time_format_zone(p->bounced_at, cfg->case_timezone, since,
					 sizeof(since));
			printf(" (bouncing since %s)", since);
		}
	}
	putchar('\n');
}

/* The requester and caller an agent recorded, and the outside team. */
static void
show_contact(const struct store_case *c)
{
	const struct store_contact *ct = c->contact;
	GString *team = g_string_new(NULL);

	for (guint i = 0; i < c->outside->len; i++)
		g_string_append_printf(team, "%s%s", i > 0 ? ", " : "",
				       (const char *)c->outside->pdata[i]);

	if (ct->requester_address != NULL) {
		printf("%-14s ", "requester:");
		if (ct->requester_name != NULL) {
			cli_print_safe(ct->requester_name);
			fputs(" <", stdout);
		}
		cli_print_safe(ct->requester_address);
		fputs(ct->requester_name != NULL ? ">\n" : "\n", stdout);
	}
	if (ct->caller_name != NULL || ct->caller_company != NULL ||
	    ct->caller_phone != NULL || ct->caller_email != NULL) {
		show_field("caller:", ct->caller_name);
		show_field("  company:", ct->caller_company);
		show_field("  phone:", ct->caller_phone);
		show_field("  email:", ct->caller_email);
	}
	if (c->outside->len > 0)
		show_field("outside team:", team->str);
	g_string_free(team, TRUE);
}

static void
show_case_text(const struct config *cfg, const struct store_case *c,
	       int64_t now)
{
	char num[CASENUM_BUF_SIZE];

	case_format_number(cfg, c->id, num, sizeof(num));
	printf("%s  ", num);
	cli_print_safe(c->subject);
	printf("\n");
	show_field("status:", store_case_status_name(c->status));
	/* Active but pending on someone outside (an escalation). */
	if (c->waiting_on != NULL)
		show_field("waiting on:", c->waiting_on);
	show_field("priority:", c->priority);
	show_field("kind:", c->kind);
	show_field("type:", c->type);
	show_field("source:", c->source);
	show_field("creator:", c->creator);
	show_field("shipment:", c->shipment);
	show_field("crm shipper:", c->crm_shipper);
	show_field("crm carrier:", c->crm_carrier);
	show_time(cfg, "follow-up:", c->follow_up);
	show_time(cfg, "created:", c->created_at);
	show_time(cfg, "updated:", c->updated_at);
	show_time(cfg, "solved:", c->solved_at);
	show_people(cfg, now, "owners:", c->owners);
	show_people(cfg, now, "watchers:", c->watchers);
	show_people(cfg, now, "participants:", c->participants);
	show_contact(c);
}

static void
show_message_text(const struct config *cfg, const struct store_message *m,
		  int full)
{
	char when[TIME_ISO_SIZE];

	time_format_zone(m->received_at, cfg->case_timezone, when, sizeof(when));
	printf("\n--- %s %s%s from ", when,
	       strcmp(m->direction, "internal") == 0 ? "note" :
	       strcmp(m->direction, "in") == 0 ? "mail" : "reply",
	       m->internal ? " (internal: desk only)" : "");
	cli_print_safe(m->from.name != NULL ? m->from.name : m->from.address);
	if (m->from.name != NULL && m->from.address != NULL) {
		fputs(" <", stdout);
		cli_print_safe(m->from.address);
		fputs(">", stdout);
	}
	fputs("\n", stdout);
	cli_print_safe(full ? m->body_full : m->body);
	fputs("\n", stdout);
	for (guint i = 0; i < m->attachments->len; i++) {
		const struct store_attachment *a = m->attachments->pdata[i];

		fputs("[attachment: ", stdout);
		cli_print_safe(a->filename != NULL ? a->filename : "(no name)");
		printf(", %s, %lld bytes%s]\n", a->content_type,
		       (long long)a->size, a->skipped != NULL ? ", not stored" : "");
	}
}

/* Mail of the case that waits (deferred by a rate limit, or retried
 * after a failure): how many, until when, why. */
static int
show_waiting(struct cli *cli, int64_t id)
{
	GPtrArray *waits = NULL;
	char buf[TIME_ISO_SIZE];
	int rc = store_outbox_waiting(cli->store, id, cli->now, &waits,
				      &cli->err);

	for (guint i = 0; rc == 0 && i < waits->len; i++) {
		const struct store_outbox_wait *w = waits->pdata[i];

		time_format_iso(w->until, buf, sizeof(buf));
		printf("%-14s %lld %s mail%s until %s (", "waiting:",
		       (long long)w->mails, w->kind, w->mails == 1 ? "" : "s",
		       buf);
		cli_print_safe(w->reason != NULL ? w->reason : "retry");
		puts(")");
	}
	if (waits != NULL)
		g_ptr_array_unref(waits);
	return rc;
}

static int
show_text(struct cli *cli, int64_t id, int full)
{
	struct store_case *c = NULL;
	GPtrArray *msgs = NULL;
	int rc;

	if ((rc = store_case_get(cli->store, id, &c, &cli->err)) != 0)
		return rc;
	rc = cli_case_agent_names(cli, c);
	if (rc == 0)
		rc = store_messages_get(cli->store, id, &msgs, &cli->err);
	if (rc == 0) {
		show_case_text(cli->cfg, c, cli->now);
		rc = cli_show_relations(cli, id);
		if (rc == 0)
			rc = show_waiting(cli, id);
		if (rc == 0)
			rc = cli_sla_show(cli, id);
		for (guint i = 0; i < msgs->len; i++)
			show_message_text(cli->cfg, msgs->pdata[i], full);
		g_ptr_array_unref(msgs);
	}
	store_case_free(&c);
	return rc;
}

static int
show_opt(struct cli *cli, int opt, const char *arg, void *data)
{
	(void)arg;
	if (opt == OPT_FULL) {
		*(int *)data = 1;
		return 0;
	}
	return cm_error_set(&cli->err, CM_EUSAGE, "bad option");
}

/* Parse options and the one case-number operand; open the store. */
static int
one_case_args(struct cli *cli, int argc, char **argv,
	      const struct option *opts, void *data, int64_t *id_r)
{
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	struct store_case *c = NULL;
	int first, rc;

	rc = cli_getopt(cli, cmd, argc, argv, opts,
			data != NULL ? show_opt : NULL, data, &first);
	if (rc != 0)
		return rc;
	if (argc - first != 1)
		return cli_usage(cli, cmd, "give exactly one case number");
	if ((rc = cli_open(cli)) != 0)
		return rc;
	if ((rc = cli_case_id(cli, argv[first], id_r)) != 0)
		return rc;
	rc = store_case_get(cli->store, *id_r, &c, &cli->err);
	store_case_free(&c);
	if (rc == CM_ENOTFOUND)
		return cm_error_set(&cli->err, CM_ENOTFOUND, "no case %s",
				    argv[first]);
	return rc;
}

int
cli_cmd_show(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "full", no_argument, NULL, OPT_FULL },
		{ NULL, 0, NULL, 0 }
	};
	int full = 0, rc;
	int64_t id = 0;

	rc = one_case_args(cli, argc, argv, opts, &full, &id);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if (cli->json)
		return cli_print_case_json(cli, id, 1);
	return show_text(cli, id, full);
}

static void
history_line(const struct config *cfg, const struct store_event *e)
{
	char when[TIME_ISO_SIZE];

	time_format_zone(e->at, cfg->case_timezone, when, sizeof(when));
	printf("%s  ", when);
	cli_print_safe(e->actor);
	printf("  %s", e->what);
	if (e->old_value != NULL || e->new_value != NULL) {
		cli_print_after(": ", e->old_value, "-");
		cli_print_after(" -> ", e->new_value, "-");
	}
	if (e->detail != NULL) {
		cli_print_after(" (", e->detail, NULL);
		fputs(")", stdout);
	}
	putchar('\n');
}

int
cli_cmd_history(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 }
	};
	GPtrArray *events = NULL;
	int64_t id = 0;
	int rc;

	rc = one_case_args(cli, argc, argv, opts, NULL, &id);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if ((rc = store_events_get(cli->store, id, &events, &cli->err)) != 0)
		return rc;
	if (cli->json) {
		JsonArray *a = json_array_sized_new(events->len);
		JsonNode *n = json_node_new(JSON_NODE_ARRAY);

		for (guint i = 0; i < events->len; i++)
			json_array_add_element(a, case_json_event(events->pdata[i]));
		json_node_take_array(n, a);
		cli_json_print(n);
	} else {
		for (guint i = 0; i < events->len; i++)
			history_line(cli->cfg, events->pdata[i]);
	}
	g_ptr_array_unref(events);
	return 0;
}
