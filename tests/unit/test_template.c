/* test_template.c - parsing, rendering and loading canned responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casemail/template.h"

/*
 * Wall-clock bound for the 1 MB templates.  A linear renderer needs a few
 * milliseconds; the bound is loose so that sanitizer and valgrind runs
 * pass, while a quadratic one (hours for these inputs) still fails.
 */
#define LINEAR_MAX_SECS 20.0
#define BIG_TEMPLATE_BYTES ((size_t)1024 * 1024)

/* ---- helpers ------------------------------------------------------------ */

/* A vars table from NULL-terminated key, value pairs. */
static GHashTable *
vars_new(const char *key, ...)
{
	GHashTable *vars = g_hash_table_new_full(g_str_hash, g_str_equal,
						 g_free, g_free);
	va_list ap;

	va_start(ap, key);
	for (; key != NULL; key = va_arg(ap, const char *))
		g_hash_table_insert(vars, g_strdup(key),
				    g_strdup(va_arg(ap, const char *)));
	va_end(ap);
	return vars;
}

static struct template *
parse_ok(const char *text)
{
	struct cm_error err = { 0 };
	struct template *t = NULL;

	if (template_parse("t", "tpl/t", text, &t, &err) != 0)
		fail_msg("parse failed: %s", err.msg);
	assert_non_null(t);
	return t;
}

static void
assert_render(const char *tmpl, GHashTable *vars, const char *want)
{
	struct cm_error err = { 0 };
	char *out = NULL;

	if (template_render_text(tmpl, vars, &out, &err) != 0)
		fail_msg("render of '%s' failed: %s", tmpl, err.msg);
	assert_string_equal(out, want);
	g_free(out);
}

static void
assert_render_fails(const char *tmpl, GHashTable *vars, int code,
		    const char *want_msg)
{
	struct cm_error err = { 0 };
	char *out = (char *)"untouched";

	assert_int_equal(template_render_text(tmpl, vars, &out, &err), code);
	assert_null(out);
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, want_msg);
}

static char *
tmpdir_new(void)
{
	GError *gerr = NULL;
	char *dir = g_dir_make_tmp("test_template.XXXXXX", &gerr);

	assert_non_null(dir);
	return dir;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);

	assert_true(g_file_set_contents(path, text, -1, NULL));
	g_free(path);
}

static void
rm_tree(char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	char *path;

	assert_non_null(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		path = g_build_filename(dir, name, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			rm_tree(g_strdup(path));
		else
			assert_int_equal(g_unlink(path), 0);
		g_free(path);
	}
	g_dir_close(d);
	assert_int_equal(g_rmdir(dir), 0);
	g_free(dir);
}

static double
now_secs(void)
{
	return (double)g_get_monotonic_time() / G_USEC_PER_SEC;
}

/* ---- parsing ------------------------------------------------------------ */

static void
test_parse_header(void **state)
{
	struct template *t;

	(void)state;
	t = parse_ok("subject:  [{{case.number}}] {{ case.subject }}  \n"
		     "TO: Requester , participants,,ops@carrier.example,\n"
		     "Cc: owners\n"
		     "SETS-STATUS: Pending\n"
		     "Requires: field.name,field.phone , field.e-mail_2\n"
		     "Description:  Shown by casectl templates \n"
		     "\n"
		     "Hello {{requester.name}},\n");
	assert_string_equal(t->name, "t");
	assert_string_equal(t->path, "tpl/t");
	assert_string_equal(t->subject, "[{{case.number}}] {{ case.subject }}");
	assert_int_equal(t->to->len, 3);
	assert_string_equal(g_ptr_array_index(t->to, 0), "requester");
	assert_string_equal(g_ptr_array_index(t->to, 1), "participants");
	assert_string_equal(g_ptr_array_index(t->to, 2), "ops@carrier.example");
	assert_int_equal(t->cc->len, 1);
	assert_string_equal(g_ptr_array_index(t->cc, 0), "owners");
	assert_string_equal(t->sets_status, "pending");
	assert_int_equal(t->requires->len, 3);
	assert_string_equal(g_ptr_array_index(t->requires, 2), "field.e-mail_2");
	assert_string_equal(t->description, "Shown by casectl templates");
	assert_string_equal(t->body, "Hello {{requester.name}},\n");
	template_free(&t);
}

static void
test_parse_optional(void **state)
{
	struct template *t;

	(void)state;
	/* Only Subject is needed; To may be empty; no body at all is fine. */
	t = parse_ok("Subject: x\nTo:\n");
	assert_int_equal(t->to->len, 0);
	assert_int_equal(t->cc->len, 0);
	assert_int_equal(t->requires->len, 0);
	assert_null(t->sets_status);
	assert_null(t->description);
	assert_string_equal(t->body, "");
	template_free(&t);

	/* CRLF files parse like LF ones; a blank line may hold blanks. */
	t = parse_ok("Subject: x\r\nTo: escalation\r\n \t\r\nline 1\r\nline 2");
	assert_string_equal(g_ptr_array_index(t->to, 0), "escalation");
	assert_string_equal(t->body, "line 1\nline 2");
	template_free(&t);

	t = parse_ok("Subject: x\n\n\nTo: not a header\n");
	assert_string_equal(t->body, "\nTo: not a header\n");
	template_free(&t);
	template_free(NULL);
}

static void
test_parse_errors(void **state)
{
	static const struct {
		const char *text;
		const char *msg; /* the whole message after "tpl/t:" */
	} cases[] = {
		{ "Subject: x\nFrom: me@example.com\n\nbody",
		  "2: unknown header 'From' (known: Subject, To, Cc, "
		  "Sets-Status, Requires, Description)" },
		{ "Subject: x\nSets-Status: closed\n\n",
		  "2: Sets-Status: 'closed' is not active, pending or solved" },
		{ "Subject: x\nSets-Status:\n\n",
		  "2: Sets-Status: '' is not active, pending or solved" },
		{ "To: requester\nSubject:  \n\nbody", "2: empty Subject" },
		{ "To: requester\n\nbody", "1: no Subject header" },
		{ "", "1: no Subject header" },
		{ "Subject: x\nSubject: y\n\n",
		  "2: second Subject header (the first is on line 1)" },
		{ "Subject: x\nTo: requester,\n  owners\n\n",
		  "3: header lines cannot be continued; put the value on one "
		  "line" },
		{ "Subject: x\nHello there\n\n",
		  "2: expected 'Key: value' or the blank line that starts the "
		  "body" },
		{ "Subject: x\nTo: requester, boss\n\n",
		  "2: To: 'boss' is neither a role (requester, participants, "
		  "owners, shipper, carrier, watchers, escalation) nor an "
		  "address" },
		{ "Subject: x\nCc: a@b@c\n\n",
		  "2: Cc: 'a@b@c' is neither a role (requester, participants, "
		  "owners, shipper, carrier, watchers, escalation) nor an "
		  "address" },
		{ "Subject: x\nRequires: field.name, field phone\n\n",
		  "2: Requires: 'field phone' is not a value name (letters, "
		  "digits, '_', '.', '-')" },
		{ "Subject: {{#a}}x\n\n", "1: section '{{#a}}' is never closed" },
		{ "Subject: x\n\none\n{{#a}}\ntwo\n{{^b}}\n{{/b}}\n",
		  "4: section '{{#a}}' is never closed" },
		{ "Subject: x\n\none\n{{#a}}\n{{#b}}\n{{/a}}\n",
		  "6: '{{/a}}' does not match '{{#b}}' opened on line 5" },
		{ "Subject: x\n\none\n\n{{/a}}\n",
		  "5: '{{/a}}' closes no open section" },
		{ "Subject: x\n\none\ntwo {{name\n}}",
		  "4: '{{' without '}}' on the same line" },
		{ "Subject: x\n\n{{name", "3: '{{' without '}}' on the same line" },
		{ "Subject: x\n\n\n{{}}", "4: tag without a name" },
		{ "Subject: x\n\n{{#}}", "3: tag without a name" },
		{ "Subject: x\n\n{{a b}}",
		  "3: byte 0x62 ('b') in tag '{{a' (names are letters, digits, "
		  "'_', '.' and '-')" },
		{ "Subject: x\n\n{{{a}}}",
		  "3: byte 0x7b ('{') in tag '{{' (names are letters, digits, "
		  "'_', '.' and '-')" },
		{ "Subject: x\n\n{{! a comment\nthat never ends }\n",
		  "3: comment '{{!' is never closed with '}}'" },
		{ "Subject: x\n\nok\n\xff\n", "4: not valid UTF-8" },
	};
	struct cm_error err;
	struct template *t;
	char *want;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		cm_error_clear(&err);
		t = (struct template *)&err;
		assert_int_equal(template_parse("t", "tpl/t", cases[i].text,
						&t, &err), CM_ECONFIG);
		assert_null(t);
		want = g_strconcat("tpl/t:", cases[i].msg, NULL);
		assert_string_equal(err.msg, want);
		g_free(want);
	}
	/* Without a path, messages name the template. */
	assert_int_equal(template_parse("bare", NULL, "To: x\n", &t, &err),
			 CM_ECONFIG);
	assert_string_equal(err.msg, "bare:1: To: 'x' is neither a role "
			    "(requester, participants, owners, shipper, "
			    "carrier, watchers, escalation) nor an address");
}

/* A comment spanning lines still counts them for later errors. */
static void
test_parse_error_lines_after_comment(void **state)
{
	struct cm_error err = { 0 };
	struct template *t;

	(void)state;
	assert_int_equal(template_parse("t", "p", "Subject: s\n\n{{! one\ntwo"
					 "\nthree }}\n\n{{/x}}", &t, &err),
			 CM_ECONFIG);
	assert_string_equal(err.msg, "p:7: '{{/x}}' closes no open section");
}

/* ---- rendering ---------------------------------------------------------- */

static void
test_render_values(void **state)
{
	GHashTable *vars = vars_new("a", "A", "case.number", "CV000123",
				    "empty", "", NULL);

	(void)state;
	assert_render("", vars, "");
	assert_render("plain { } }} text", vars, "plain { } }} text");
	assert_render("{{a}}", vars, "A");
	assert_render("x{{ a }}y{{\ta\t}}z", vars, "xAyAz");
	assert_render("[{{case.number}}]", vars, "[CV000123]");
	assert_render("<{{empty}}>", vars, "<>");
	assert_render("{{a}}{{a}}", vars, "AA");
	g_hash_table_unref(vars);
	assert_render("no vars at all", NULL, "no vars at all");
}

static void
test_render_sections(void **state)
{
	GHashTable *vars = vars_new("yes", "1", "no", "", "name", "Ann",
				    NULL);

	(void)state;
	assert_render("{{#yes}}in{{/yes}}", vars, "in");
	assert_render("{{#no}}in{{/no}}", vars, "");
	assert_render("{{#unset}}in {{unset}}{{/unset}}", vars, "");
	assert_render("{{^yes}}in{{/yes}}", vars, "");
	assert_render("{{^no}}in{{/no}}", vars, "in");
	assert_render("{{^unset}}in{{/unset}}", vars, "in");
	assert_render("a{{# yes }}b{{#no}}c{{/no}}d{{^no}}e{{#yes}}f{{/yes}}"
		      "{{/no}}g{{/ yes }}h", vars, "abdefgh");
	assert_render("{{#no}}{{#yes}}x{{/yes}}{{/no}}after", vars, "after");
	assert_render("Hello{{#name}} {{name}}{{/name}},", vars,
		      "Hello Ann,");
	/* The same name may open sections one after another and nested. */
	assert_render("{{#yes}}1{{#yes}}2{{/yes}}{{/yes}}{{#yes}}3{{/yes}}",
		      vars, "123");
	g_hash_table_unref(vars);
}

static void
test_render_comments(void **state)
{
	GHashTable *vars = vars_new("a", "A", NULL);

	(void)state;
	assert_render("x{{! dropped }}y", vars, "xy");
	assert_render("x{{!no}}y{{! {{a {#b} }}z", vars, "xyz");
	/* A comment ends at the first "}}", wherever it is. */
	assert_render("{{! {{a}} }}", vars, " }}");
	assert_render("one\n{{! a comment\n over lines }}\ntwo\n", vars,
		      "one\ntwo\n");
	assert_render("x {{!c}} y", vars, "x  y");
	g_hash_table_unref(vars);
}

/* Section and comment tags alone on their line take the line with them. */
static void
test_render_standalone(void **state)
{
	GHashTable *vars = vars_new("yes", "1", "no", "", "v", "V", NULL);

	(void)state;
	assert_render("a\n{{#yes}}\nb\n{{/yes}}\nc\n", vars, "a\nb\nc\n");
	assert_render("a\n{{#no}}\nb\n{{/no}}\nc\n", vars, "a\nc\n");
	assert_render("a\n  {{^no}}  \n\tb\n {{/no}}\r\nc", vars,
		      "a\n\tb\nc");
	assert_render("{{#yes}}\nfirst\n{{/yes}}", vars, "first\n");
	/* Not alone: the line stays. */
	assert_render("a {{#yes}}\nb\n{{/yes}} c\n", vars, "a \nb\n c\n");
	assert_render("{{#yes}}{{/yes}}\nx", vars, "\nx");
	assert_render("{{v}}\n{{#no}}\nx\n{{/no}}\n{{v}}", vars, "V\nV");
	g_hash_table_unref(vars);
}

static void
test_render_unresolved(void **state)
{
	GHashTable *vars = vars_new("a", "A", "yes", "1", NULL);

	(void)state;
	/* Every name without a value is listed once, in order of use. */
	assert_render_fails("{{b}} {{a}} {{c.d}} {{b}} {{#yes}}{{e}}{{/yes}}",
			    vars, CM_EUSAGE, "missing b, c.d, e");
	/* A dropped section's names are not needed. */
	assert_render("{{#no}}{{b}}{{/no}}{{^yes}}{{c}}{{/yes}}ok", vars,
		      "ok");
	/* Syntax errors from the string itself come first. */
	assert_render_fails("{{b}}\n{{/a}}", vars, CM_ECONFIG,
			    "template:2: '{{/a}}' closes no open section");
	g_hash_table_unref(vars);
}

static void
test_render_missing_required(void **state)
{
	struct template *t;
	struct cm_error err = { 0 };
	GHashTable *vars;
	char *subject = (char *)"x", *body = (char *)"x", **missing;

	(void)state;
	t = parse_ok("Subject: [{{case.number}}] {{case.subject}}\n"
		     "Requires: field.name, field.phone, field.company\n"
		     "\n"
		     "{{field.name}} {{#field.phone}}{{field.phone}}"
		     "{{/field.phone}} {{field.fax}}\n");
	vars = vars_new("field.name", "Ann", "field.phone", "",
			"case.number", "CV000001", NULL);
	missing = template_missing(t, vars);
	assert_non_null(missing);
	assert_int_equal(g_strv_length(missing), 2);
	assert_string_equal(missing[0], "field.phone");
	assert_string_equal(missing[1], "field.company");
	g_strfreev(missing);

	/* Required values first, then unresolved names, each once. */
	assert_int_equal(template_render(t, vars, &subject, &body, &err),
			 CM_EUSAGE);
	assert_null(subject);
	assert_null(body);
	assert_string_equal(err.msg, "template t: missing field.phone, "
			    "field.company, case.subject, field.fax");

	g_hash_table_insert(vars, g_strdup("field.phone"), g_strdup("555"));
	g_hash_table_insert(vars, g_strdup("field.company"), g_strdup("Co"));
	g_hash_table_insert(vars, g_strdup("case.subject"), g_strdup("Lost"));
	g_hash_table_insert(vars, g_strdup("field.fax"), g_strdup("-"));
	assert_null(template_missing(t, vars));
	assert_int_equal(template_render(t, vars, &subject, &body, &err), 0);
	assert_string_equal(subject, "[CV000001] Lost");
	assert_string_equal(body, "Ann 555 -\n");
	g_free(subject);
	g_free(body);
	g_hash_table_unref(vars);

	missing = template_missing(t, NULL);
	assert_int_equal(g_strv_length(missing), 3);
	g_strfreev(missing);
	template_free(&t);
}

static void
test_render_subject_one_line(void **state)
{
	struct template *t;
	struct cm_error err = { 0 };
	GHashTable *vars;
	char *subject, *body;

	(void)state;
	t = parse_ok("Subject: {{pre}}[{{n}}] {{s}}{{post}}\n\n{{s}}");
	vars = vars_new("n", "CV000001", "s", "Crate\r\n  broken\nin\r\rtwo\t "
			"places  ok", "pre", " \r\n ", "post", "\n", NULL);
	assert_int_equal(template_render(t, vars, &subject, &body, &err), 0);
	assert_string_equal(subject, "[CV000001] Crate broken in two "
			    "places  ok");
	assert_null(strchr(subject, '\r'));
	assert_null(strchr(subject, '\n'));
	/* The body keeps the value as it is. */
	assert_string_equal(body, "Crate\r\n  broken\nin\r\rtwo\t places  ok");
	g_free(subject);
	g_free(body);
	g_hash_table_unref(vars);
	template_free(&t);
}

/* Values are data: never expanded, never able to end the header. */
static void
test_render_hostile_values(void **state)
{
	struct template *t;
	struct cm_error err = { 0 };
	GHashTable *vars;
	char *subject, *body;

	(void)state;
	vars = vars_new("x", "{{y}}", "y", "SECRET", "open", "{{#y}}",
			"close", "{{/y}}", "bad", "caf\xc3\xa9 \xff\xfe end",
			NULL);
	assert_render("{{x}}", vars, "{{y}}");
	assert_render("{{open}}{{y}}{{close}}", vars, "{{#y}}SECRET{{/y}}");
	assert_render("{{bad}}", vars, "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end");
	g_hash_table_unref(vars);

	t = parse_ok("Subject: Re: {{s}}\n\nbody {{s}}\n");
	vars = vars_new("s", "hi\r\nBcc: victim@example.com\r\n\r\n{{s}}",
			NULL);
	assert_int_equal(template_render(t, vars, &subject, &body, &err), 0);
	assert_string_equal(subject, "Re: hi Bcc: victim@example.com {{s}}");
	assert_string_equal(body, "body hi\r\nBcc: victim@example.com\r\n\r\n"
			    "{{s}}\n");
	assert_true(g_utf8_validate(body, -1, NULL));
	g_free(subject);
	g_free(body);
	g_hash_table_unref(vars);
	template_free(&t);
}

/* ---- loading ------------------------------------------------------------ */

static void
test_load_dir_filters(void **state)
{
	static const char *const skipped[] = {
		".hidden", "reply~", "reply.bak", ".reply.swp", "reply.swp",
		"reply.orig", "reply.dpkg-old", "reply.dpkg-dist", "notes.txt",
	};
	struct cm_error err = { 0 };
	GPtrArray *list = NULL;
	char *dir = tmpdir_new(), *sub;
	const struct template *t;

	(void)state;
	write_file(dir, "zeta", "Subject: z\n\nz\n");
	write_file(dir, "Alpha_2", "Subject: a\n\na\n");
	write_file(dir, "reply", "Subject: r\nTo: requester\n\nr\n");
	/* Broken leftovers must not matter: they are never read. */
	for (size_t i = 0; i < G_N_ELEMENTS(skipped); i++)
		write_file(dir, skipped[i], "broken {{#\n");
	sub = g_build_filename(dir, "subdir", NULL);
	assert_int_equal(g_mkdir(sub, 0700), 0);
	g_free(sub);

	assert_int_equal(template_load_dir(dir, &list, &err), 0);
	assert_int_equal(list->len, 3);
	assert_string_equal(((struct template *)list->pdata[0])->name,
			    "Alpha_2");
	assert_string_equal(((struct template *)list->pdata[1])->name, "reply");
	assert_string_equal(((struct template *)list->pdata[2])->name, "zeta");
	t = template_find(list, "reply");
	assert_non_null(t);
	assert_non_null(strstr(t->path, "/reply"));
	assert_null(template_find(list, "reply~"));
	assert_null(template_find(list, "nope"));
	assert_null(template_find(NULL, "reply"));
	g_ptr_array_unref(list);

	/* One broken template fails the load and is named with its line. */
	write_file(dir, "broken", "Subject: b\n\nline 3\n{{#open}}\n");
	list = (GPtrArray *)&err;
	assert_int_equal(template_load_dir(dir, &list, &err), CM_ECONFIG);
	assert_null(list);
	assert_non_null(strstr(err.msg, "/broken:4: section '{{#open}}' is "
			       "never closed"));
	rm_tree(dir);
}

static void
test_load_dir_errors(void **state)
{
	struct cm_error err = { 0 };
	GPtrArray *list = NULL;
	char *dir = tmpdir_new(), *path;
	char nul[] = "Subject: x\n\nbody\nwith a \0 NUL\n";
	FILE *f;

	(void)state;
	assert_int_equal(template_load_dir(dir, &list, &err), 0);
	assert_int_equal(list->len, 0);
	g_ptr_array_unref(list);

	path = g_build_filename(dir, "nul", NULL);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(nul, 1, sizeof(nul) - 1, f), sizeof(nul) - 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(template_load_dir(dir, &list, &err), CM_ECONFIG);
	assert_non_null(strstr(err.msg, "/nul:4: contains a NUL byte"));
	assert_int_equal(g_unlink(path), 0);
	g_free(path);

	path = g_build_filename(dir, "missing", NULL);
	assert_int_equal(template_load_dir(path, &list, &err), CM_ECONFIG);
	assert_null(list);
	assert_non_null(strstr(err.msg, "template directory"));
	g_free(path);
	rm_tree(dir);
}

/* Every variable the man page lists, as the programs would set them. */
static GHashTable *
full_vars(void)
{
	return vars_new(
		"case.number", "CV000123", "case.subject", "Pallet damaged",
		"case.type", "damaged", "case.status", "active",
		"case.priority", "high", "case.kind", "client",
		"case.shipment", "SHP-778812", "case.crm_shipper", "CRM-1",
		"case.crm_carrier", "CRM-2",
		"case.follow_up", "2026-12-01T09:00:00Z",
		"case.created", "2026-11-29T14:02:00Z",
		"case.owners", "anna@desk.example (shipper), "
		"dispatch@carrier.example (carrier)",
		"case.owner_shipper", "anna@desk.example",
		"case.owner_carrier", "dispatch@carrier.example",
		"requester.name", "Rita Requester",
		"requester.email", "rita@shipper.example",
		"agent.name", "Anna Agent", "agent.email", "anna@desk.example",
		"desk.name", "Case Desk", "desk.address", "cases@desk.example",
		"message.author", "Rita Requester",
		"message.author_email", "rita@shipper.example",
		"message.text", "The pallet arrived crushed.\n{{case.number}}",
		"message.date", "2026-11-29T14:01:00Z",
		"message.attachments", "photo.jpg (1.2 MB)",
		"recipient.name", "Dispatch",
		"recipient.email", "dispatch@carrier.example",
		"caller.name", "Rita Requester", "caller.company", "Shipper Ltd",
		"caller.phone", "+44 20 7946 0000",
		"caller.email", "rita@shipper.example",
		"field.issue", "Crushed pallet", "field.note", "Urgent",
		"field.specialist", "yes",
		"digest.count", "1",
		"digest.overdue", "  CV000123  Pallet damaged (follow-up was due "
		"2026-11-28T09:00:00Z)\n",
		"digest.stale", "",
		"sla.target", "first response", "sla.due", "2026-12-01T10:00:00Z",
		"sla.breached", "", "sla.left", "60m", "sla.target_time", "240m",
		NULL);
}

/*
 * The variables one kind of mail has (see VARIABLES in
 * casemail-templates(5)): a shipped template must not insert any other,
 * or that mail could never be sent.
 */
static GHashTable *
kind_vars(const char *template_name)
{
	static const char *const prefixes[] = {
		"case.", "requester.", "desk.", "caller.",
	};
	GHashTable *all = full_vars(), *vars;
	/* System mails (one person, no agent) versus agents' replies. */
	int reply = strcmp(template_name, "notify") != 0 &&
		    strcmp(template_name, "acknowledge") != 0 &&
		    strcmp(template_name, "unsubscribed") != 0 &&
		    strcmp(template_name, "digest") != 0 &&
		    strcmp(template_name, "sla-warning") != 0;
	GHashTableIter it;
	gpointer k, v;
	int keep;

	vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_hash_table_iter_init(&it, all);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		keep = 0;
		for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++)
			keep |= g_str_has_prefix(k, prefixes[i]);
		if (reply)
			keep |= g_str_has_prefix(k, "agent.") ||
				g_str_has_prefix(k, "field.");
		else
			keep |= g_str_has_prefix(k, "recipient.");
		if (strcmp(template_name, "notify") == 0)
			keep |= g_str_has_prefix(k, "message.");
		if (strcmp(template_name, "digest") == 0)
			keep |= g_str_has_prefix(k, "digest.");
		if (strcmp(template_name, "sla-warning") == 0)
			keep |= g_str_has_prefix(k, "sla.");
		if (keep)
			g_hash_table_insert(vars, g_strdup(k), g_strdup(v));
	}
	g_hash_table_unref(all);
	return vars;
}

static const struct template *
shipped(GPtrArray *list, const char *name)
{
	const struct template *t = template_find(list, name);

	if (t == NULL)
		fail_msg("no shipped template '%s'", name);
	return t;
}

static void
render_shipped(const struct template *t, GHashTable *vars, char **subject_r,
	       char **body_r)
{
	struct cm_error err = { 0 };

	if (template_render(t, vars, subject_r, body_r, &err) != 0)
		fail_msg("%s: %s", t->name, err.msg);
	assert_null(strchr(*subject_r, '\n'));
	/* The digest is about many cases: no one case in its subject. */
	if (strcmp(t->name, "digest") != 0)
		assert_non_null(strstr(*subject_r, "[CV000123]"));
	assert_non_null(strstr(*body_r, "CV000123"));
}

static void
test_shipped_templates(void **state)
{
	const char *dir = getenv("TEMPLATES_DIR");
	struct cm_error err = { 0 };
	GPtrArray *list = NULL;
	const struct template *t;
	GHashTable *vars;
	char *subject, *body;

	(void)state;
	if (dir == NULL || *dir == '\0')
		skip();
	if (template_load_dir(dir, &list, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(list->len, 8);
	for (guint i = 0; i < list->len; i++) {
		t = list->pdata[i];
		assert_non_null(t->description);
		vars = kind_vars(t->name);
		render_shipped(t, vars, &subject, &body);
		/* Only the message text, copied verbatim, holds braces. */
		if (strcmp(t->name, "notify") != 0)
			assert_null(strstr(body, "{{"));
		g_free(subject);
		g_free(body);
		g_hash_table_unref(vars);
	}
	vars = full_vars();

	t = shipped(list, "escalation");
	assert_string_equal(g_ptr_array_index(t->to, 0), "escalation");
	assert_string_equal(g_ptr_array_index(t->cc, 0), "owners");
	assert_string_equal(t->sets_status, "pending");
	assert_int_equal(t->requires->len, 5);
	render_shipped(t, vars, &subject, &body);
	assert_string_equal(subject, "[CV000123] Escalation: Pallet damaged");
	assert_non_null(strstr(body, "+44 20 7946 0000"));
	assert_non_null(strstr(body, "Shipper Ltd"));
	assert_non_null(strstr(body, "SHP-778812"));
	g_free(subject);
	g_free(body);

	t = shipped(list, "resolve");
	assert_string_equal(t->sets_status, "solved");
	assert_int_equal(t->to->len, 2);
	t = shipped(list, "acknowledge");
	assert_null(t->sets_status);
	t = shipped(list, "update");
	assert_string_equal(g_ptr_array_index(t->to, 0), "requester");

	t = shipped(list, "notify");
	assert_int_equal(t->to->len, 0);
	render_shipped(t, vars, &subject, &body);
	assert_string_equal(subject, "[CV000123] Pallet damaged");
	assert_non_null(strstr(body, "Rita Requester wrote:\n\nThe pallet "
			       "arrived crushed.\n{{case.number}}\n"));
	assert_non_null(strstr(body, "Reply to this mail to add to the case."));
	assert_non_null(strstr(body, "Attachments: photo.jpg (1.2 MB)"));
	g_free(subject);
	g_free(body);
	g_hash_table_unref(vars);

	/* Escalation without the caller's details lists all of them. */
	vars = vars_new("case.number", "CV000123", NULL);
	assert_int_equal(template_render(shipped(list, "escalation"), vars,
					 &subject, &body, &err), CM_EUSAGE);
	assert_non_null(strstr(err.msg, "template escalation: missing "
			       "caller.name, caller.company, caller.phone, "
			       "caller.email, field.issue, "));
	g_hash_table_unref(vars);
	g_ptr_array_unref(list);
}

/* ---- size --------------------------------------------------------------- */

static void
check_linear(const char *unit, GHashTable *vars, const char *want_unit)
{
	struct cm_error err = { 0 };
	GString *tmpl = g_string_new(NULL);
	size_t n = 0;
	char *out = NULL;
	double start;

	while (tmpl->len < BIG_TEMPLATE_BYTES) {
		g_string_append(tmpl, unit);
		n++;
	}
	start = now_secs();
	if (template_render_text(tmpl->str, vars, &out, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(now_secs() - start < LINEAR_MAX_SECS);
	assert_int_equal(strlen(out), n * strlen(want_unit));
	assert_true(strncmp(out, want_unit, strlen(want_unit)) == 0);
	g_free(out);
	g_string_free(tmpl, TRUE);
}

static void
test_big_template_linear(void **state)
{
	struct cm_error err = { 0 };
	GHashTable *vars = vars_new("a", "A", "yes", "1", NULL);
	GString *tmpl = g_string_new(NULL);
	char *out = NULL;
	double start;
	size_t depth;

	(void)state;
	check_linear("x{{a}}{{#yes}}y{{/yes}}{{^yes}}n{{/yes}}{{! c }}\n",
		     vars, "xAy\n");
	check_linear("{{#no}}{{nothing}}{{/no}}", vars, "");

	/* Deep nesting: 1 MB of sections inside sections. */
	for (depth = 0; tmpl->len < BIG_TEMPLATE_BYTES / 2; depth++)
		g_string_append(tmpl, depth % 2 ? "{{#yes}}" : "{{^no}}");
	g_string_append(tmpl, "{{a}}");
	while (depth-- > 0)
		g_string_append(tmpl, depth % 2 ? "{{/yes}}" : "{{/no}}");
	start = now_secs();
	if (template_render_text(tmpl->str, vars, &out, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(now_secs() - start < LINEAR_MAX_SECS);
	assert_string_equal(out, "A");
	g_free(out);

	/* A megabyte of distinct unknown names: one (truncated) message. */
	g_string_truncate(tmpl, 0);
	for (unsigned i = 0; tmpl->len < BIG_TEMPLATE_BYTES; i++)
		g_string_append_printf(tmpl, "{{u%u}}", i);
	start = now_secs();
	assert_int_equal(template_render_text(tmpl->str, vars, &out, &err),
			 CM_EUSAGE);
	assert_true(now_secs() - start < LINEAR_MAX_SECS);
	assert_true(g_str_has_prefix(err.msg, "missing u0, u1, u2, "));

	/* Unterminated tags everywhere fail at the first. */
	g_string_truncate(tmpl, 0);
	while (tmpl->len < BIG_TEMPLATE_BYTES)
		g_string_append(tmpl, "{{! ");
	assert_int_equal(template_render_text(tmpl->str, vars, &out, &err),
			 CM_ECONFIG);
	g_string_free(tmpl, TRUE);
	g_hash_table_unref(vars);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_header),
		cmocka_unit_test(test_parse_optional),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_error_lines_after_comment),
		cmocka_unit_test(test_render_values),
		cmocka_unit_test(test_render_sections),
		cmocka_unit_test(test_render_comments),
		cmocka_unit_test(test_render_standalone),
		cmocka_unit_test(test_render_unresolved),
		cmocka_unit_test(test_render_missing_required),
		cmocka_unit_test(test_render_subject_one_line),
		cmocka_unit_test(test_render_hostile_values),
		cmocka_unit_test(test_load_dir_filters),
		cmocka_unit_test(test_load_dir_errors),
		cmocka_unit_test(test_shipped_templates),
		cmocka_unit_test(test_big_template_linear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
