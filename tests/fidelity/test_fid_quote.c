/*
 * test_fid_quote.c - quote_visible() against other projects' expectations
 * on the real replies of the shared corpus.
 *
 * usage: test_fid_quote CORPUS_DIR DISAGREEMENTS_MD
 *
 * Every message is parsed from its .eml with mime_parse(), as ingest does:
 * the product never sees the .body.txt fixture, and what the parser makes
 * of the envelope (charset, CRLF, trailing blanks) is part of the result.
 * The fixture is still used twice, for information: whether the parsed
 * text equals it, and whether quote_visible() on the raw fixture (CRLF
 * left in) gives the same answer.
 *
 * Scores, printed as one table:
 *   reply_trimmer  input         parsed text == .body.txt (information)
 *   reply_trimmer  exact         visible text == .expected.txt, both with
 *                                CRLF->LF, lines right-trimmed, outer strip
 *   reply_trimmer  soft          first line of .expected.txt kept and first
 *                                line of .expected.elided.txt removed
 *   reply_trimmer  crlf_fixture  the raw fixture (CRLF and all) gives the
 *                                same visible text (information)
 *   email_reply_parser  keepdrop      every must_keep / must_drop substring
 *                                (and "visible is the whole body") holds
 *   email_reply_parser  visible_text  exact, for information
 *   email_reply_parser  max_seconds   calls with a limit stay under it
 *   email_reply_parser  crlf_fixture  as for reply_trimmer (information)
 * Failures listed in DISAGREEMENTS-quote.md are counted in their own
 * column, never dropped from the total: the table shows the raw rate
 * (listed ones count as failures) next to the scored rate (without them).
 * The program fails when a score is under its floor or a listed
 * disagreement has started to match (the list must stay true).
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casemail/mime.h"
#include "casemail/quote.h"

/*
 * Floors, in percent.  "scored" is matched / (total - listed): the
 * messages where we follow the other project's convention; the targets
 * of the fidelity issue apply to it (exact 90, soft 97, keep/drop 100)
 * and the floors are what the trimmer reaches.  "raw" is matched / total
 * with listed disagreements counted as failures; its floor is what we
 * reach with the disagreements we list, so that a new disagreement needs
 * this floor lowered in review, not only a line in the list.
 */
#define FLOOR_RT_EXACT 100.0
#define FLOOR_RT_EXACT_RAW 89.0
#define FLOOR_RT_SOFT 100.0
#define FLOOR_RT_SOFT_RAW 89.0
#define FLOOR_ERP_KEEPDROP 100.0
#define FLOOR_ERP_TIME 100.0
#define INFO -1.0

enum metric {
	M_RT_INPUT,   /* parsed .eml text == .body.txt (information) */
	M_RT_EXACT,
	M_RT_SOFT,
	M_RT_CRLF,    /* raw fixture gives the same visible text (info) */
	M_ERP_KEEPDROP,
	M_ERP_VISIBLE,
	M_ERP_TIME,
	M_ERP_CRLF,   /* raw fixture gives the same visible text (info) */
	M_COUNT,
};

static const struct {
	const char *corpus, *name; /* name: as in DISAGREEMENTS-quote.md */
	double floor, floor_raw;   /* INFO: information only */
} metric_info[M_COUNT] = {
	[M_RT_INPUT] = {"reply_trimmer", "input", INFO, INFO},
	[M_RT_EXACT] = {"reply_trimmer", "exact", FLOOR_RT_EXACT,
			FLOOR_RT_EXACT_RAW},
	[M_RT_SOFT] = {"reply_trimmer", "soft", FLOOR_RT_SOFT,
		       FLOOR_RT_SOFT_RAW},
	[M_RT_CRLF] = {"reply_trimmer", "crlf_fixture", INFO, INFO},
	[M_ERP_KEEPDROP] = {"email_reply_parser", "keepdrop",
			    FLOOR_ERP_KEEPDROP, FLOOR_ERP_KEEPDROP},
	[M_ERP_VISIBLE] = {"email_reply_parser", "visible_text", INFO, INFO},
	[M_ERP_TIME] = {"email_reply_parser", "max_seconds", FLOOR_ERP_TIME,
			FLOOR_ERP_TIME},
	[M_ERP_CRLF] = {"email_reply_parser", "crlf_fixture", INFO, INFO},
};

struct score {
	int matched, listed, total;
	GString *failed;   /* names of unlisted failures */
	GString *stale;    /* listed but matching now */
};

struct run {
	const char *corpus_dir;
	GHashTable *listed; /* "corpus/name/metric" -> reason */
	struct score score[M_COUNT];
	int errors;         /* unreadable files */
};

/* ---- text helpers -------------------------------------------------- */

/* CRLF to LF, each line's trailing blanks cut, outer blank lines cut. */
static char *
normalise(const char *text)
{
	char **lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);

	for (char **l = lines; *l != NULL; l++) {
		g_strchomp(*l); /* takes the CR too */
		if (l != lines)
			g_string_append_c(out, '\n');
		g_string_append(out, *l);
	}
	g_strfreev(lines);
	/* Outer strip: leading and trailing whitespace of the whole text. */
	return g_strstrip(g_string_free(out, FALSE));
}

/* The first line with something on it, trimmed; "" if none. */
static char *
first_line(const char *text)
{
	char **lines = g_strsplit(text, "\n", -1);
	char *found = NULL;

	for (char **l = lines; *l != NULL && found == NULL; l++)
		if (*g_strstrip(*l) != '\0')
			found = g_strdup(*l);
	g_strfreev(lines);
	return found != NULL ? found : g_strdup("");
}

/* Is line (trimmed) one of text's lines (trimmed)? */
static gboolean
has_line(const char *text, const char *line)
{
	char **lines = g_strsplit(text, "\n", -1);
	gboolean found = FALSE;

	for (char **l = lines; *l != NULL && !found; l++)
		found = strcmp(g_strstrip(*l), line) == 0;
	g_strfreev(lines);
	return found;
}

static char *
read_file(const char *dir, const char *name, const char *suffix)
{
	char *path = g_strdup_printf("%s/%s%s", dir, name, suffix);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		text = NULL;
	g_free(path);
	return text;
}

/* The body text as ingest sees it: the .eml through mime_parse(). */
static char *
parsed_text(const char *dir, const char *name)
{
	char *raw = read_file(dir, name, ".eml");
	struct mime_message *mm = NULL;
	struct cm_error err = {0};
	char *text = NULL;

	if (raw == NULL)
		return NULL;
	if (mime_parse(raw, strlen(raw), &mm, &err) == 0) {
		text = g_strdup(mm->text != NULL ? mm->text : "");
		mime_message_free(&mm);
	}
	g_free(raw);
	return text;
}

/* quote_visible(), timed. */
static char *
visible_timed(const char *body, double *secs_r)
{
	gint64 t0 = g_get_monotonic_time();
	char *got = quote_visible(body);

	*secs_r = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
	return got;
}

/* ---- disagreements ------------------------------------------------- */

/*
 * Rows of the Markdown tables in DISAGREEMENTS-quote.md:
 *   | corpus | `name` | metric[, metric] | reason |
 * Other lines (prose, headers, separators) do not name a known corpus
 * and are passed over.
 */
static void
add_listed_row(GHashTable *listed, char **cols)
{
	char *name = g_strstrip(g_strdelimit(cols[2], "`", ' '));
	char **metrics = g_strsplit(cols[3], ",", -1);

	for (char **m = metrics; *m != NULL; m++) {
		char *key = g_strdup_printf("%s/%s/%s", g_strstrip(cols[1]),
					    name, g_strstrip(*m));

		g_hash_table_replace(listed, key,
				     g_strdup(g_strstrip(cols[4])));
	}
	g_strfreev(metrics);
}

static GHashTable *
load_listed(const char *path)
{
	GHashTable *listed = g_hash_table_new_full(g_str_hash, g_str_equal,
						   g_free, g_free);
	char *text = NULL, **lines;

	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		fprintf(stderr, "cannot read %s\n", path);
		return listed;
	}
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		char **cols = g_strsplit(*l, "|", -1);

		if (g_strv_length(cols) >= 6 &&
		    (strcmp(g_strstrip(cols[1]), "reply_trimmer") == 0 ||
		     strcmp(cols[1], "email_reply_parser") == 0))
			add_listed_row(listed, cols);
		g_strfreev(cols);
	}
	g_strfreev(lines);
	g_free(text);
	return listed;
}

/* Count one result of metric m for message name. */
static void
record(struct run *run, enum metric m, const char *name, gboolean ok)
{
	struct score *s = &run->score[m];
	char *key = g_strdup_printf("%s/%s/%s", metric_info[m].corpus, name,
				    metric_info[m].name);
	gboolean listed = g_hash_table_contains(run->listed, key);

	s->total++;
	if (ok)
		s->matched++;
	if (ok && listed)
		g_string_append_printf(s->stale, " %s", name);
	else if (!ok && listed)
		s->listed++;
	else if (!ok)
		g_string_append_printf(s->failed, " %s", name);
	g_free(key);
}

/* ---- reply_trimmer ------------------------------------------------- */

/* First line of what stays kept, first line of what goes removed. */
static gboolean
soft_ok(const char *got, const char *want, const char *elided)
{
	char *keep = first_line(want), *drop = first_line(elided);
	gboolean ok = (*keep == '\0' || has_line(got, keep)) &&
		      (*drop == '\0' || !has_line(got, drop));

	g_free(keep);
	g_free(drop);
	return ok;
}

static void
rt_message(struct run *run, const char *dir, const char *name)
{
	char *text = parsed_text(dir, name);
	char *fixture = read_file(dir, name, ".body.txt");
	char *want = read_file(dir, name, ".expected.txt");
	char *elided = read_file(dir, name, ".expected.elided.txt");
	char *got = NULL, *got_raw = NULL, *n_got = NULL, *n_want = NULL;
	char *n_text = NULL, *n_fix = NULL, *n_raw = NULL;
	double secs;

	if (text == NULL || fixture == NULL || want == NULL) {
		fprintf(stderr, "reply_trimmer/%s: unreadable\n", name);
		run->errors++;
		goto out;
	}
	got = visible_timed(text, &secs);
	got_raw = visible_timed(fixture, &secs);
	n_got = normalise(got);
	n_want = normalise(want);
	n_text = normalise(text);
	n_fix = normalise(fixture);
	n_raw = normalise(got_raw);
	record(run, M_RT_INPUT, name, strcmp(n_text, n_fix) == 0);
	record(run, M_RT_EXACT, name, strcmp(n_got, n_want) == 0);
	record(run, M_RT_SOFT, name,
	       soft_ok(n_got, n_want, elided != NULL ? elided : ""));
	record(run, M_RT_CRLF, name, strcmp(n_raw, n_got) == 0);
	if (g_getenv("FID_VERBOSE") != NULL && strcmp(n_got, n_want) != 0)
		printf("---- %s: got\n%s\n---- want\n%s\n", name, n_got,
		       n_want);
out:
	g_free(text);
	g_free(fixture);
	g_free(want);
	g_free(elided);
	g_free(got);
	g_free(got_raw);
	g_free(n_got);
	g_free(n_want);
	g_free(n_text);
	g_free(n_fix);
	g_free(n_raw);
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of the messages of a corpus folder (one per .eml), sorted. */
static GPtrArray *
list_messages(const char *dir)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *f;

	if (d == NULL)
		return names;
	while ((f = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(f, ".eml"))
			g_ptr_array_add(names,
					g_strndup(f, strlen(f) - strlen(".eml")));
	g_dir_close(d);
	g_ptr_array_sort(names, cmp_str);
	return names;
}

static void
run_reply_trimmer(struct run *run)
{
	char *dir = g_build_filename(run->corpus_dir, "reply_trimmer", NULL);
	GPtrArray *names = list_messages(dir);

	if (names->len == 0) {
		fprintf(stderr, "no messages in %s\n", dir);
		run->errors++;
	}
	for (guint i = 0; i < names->len; i++)
		rt_message(run, dir, names->pdata[i]);
	g_ptr_array_unref(names);
	g_free(dir);
}

/* ---- email_reply_parser -------------------------------------------- */

/* Every string of array member `member` is (keep) or is not in got. */
static gboolean
substrings_ok(JsonObject *exp, const char *member, const char *got,
	      gboolean keep, const char *name)
{
	JsonArray *arr;
	gboolean ok = TRUE;

	if (!json_object_has_member(exp, member))
		return TRUE;
	arr = json_object_get_array_member(exp, member);
	for (guint i = 0; i < json_array_get_length(arr); i++) {
		const char *s = json_array_get_string_element(arr, i);

		if ((strstr(got, s) != NULL) != keep) {
			printf("  %s: %s \"%s\"\n", name,
			       keep ? "lost" : "kept", s);
			ok = FALSE;
		}
	}
	return ok;
}

static gboolean
keepdrop_ok(JsonObject *exp, const char *name, const char *n_got,
	    const char *n_text)
{
	gboolean ok = substrings_ok(exp, "must_keep", n_got, TRUE, name);

	ok = substrings_ok(exp, "must_drop", n_got, FALSE, name) && ok;
	if (json_object_has_member(exp, "visible_is_whole_body") &&
	    json_object_get_boolean_member(exp, "visible_is_whole_body") &&
	    strcmp(n_got, n_text) != 0) {
		printf("  %s: not the whole body\n", name);
		ok = FALSE;
	}
	return ok;
}

/* The time limit, checked on the slower of parsed text and raw fixture. */
static void
erp_time(struct run *run, JsonObject *exp, const char *name, double secs)
{
	double limit;

	if (!json_object_has_member(exp, "max_seconds"))
		return;
	limit = json_object_get_double_member(exp, "max_seconds");
	printf("  %s: %.6f s (limit %.1f s)\n", name, secs, limit);
	record(run, M_ERP_TIME, name, secs < limit);
}

static void
erp_message(struct run *run, const char *dir, const char *name,
	    JsonObject *exp)
{
	char *text = parsed_text(dir, name);
	char *fixture = read_file(dir, name, ".body.txt");
	char *got = NULL, *got_raw = NULL, *n_got = NULL, *n_text = NULL;
	char *n_raw = NULL;
	double secs, secs_raw;

	if (text == NULL || fixture == NULL) {
		fprintf(stderr, "email_reply_parser/%s: unreadable\n", name);
		run->errors++;
		goto out;
	}
	got = visible_timed(text, &secs);
	got_raw = visible_timed(fixture, &secs_raw);
	n_got = normalise(got);
	n_text = normalise(text);
	record(run, M_ERP_KEEPDROP, name, keepdrop_ok(exp, name, n_got, n_text));
	if (json_object_has_member(exp, "visible_text")) {
		char *want = normalise(json_object_get_string_member(
			exp, "visible_text"));

		record(run, M_ERP_VISIBLE, name, strcmp(n_got, want) == 0);
		g_free(want);
	}
	erp_time(run, exp, name, MAX(secs, secs_raw));
	n_raw = normalise(got_raw);
	record(run, M_ERP_CRLF, name, strcmp(n_raw, n_got) == 0);
out:
	g_free(text);
	g_free(fixture);
	g_free(got);
	g_free(got_raw);
	g_free(n_got);
	g_free(n_text);
	g_free(n_raw);
}

static void
run_email_reply_parser(struct run *run)
{
	char *dir = g_build_filename(run->corpus_dir, "email_reply_parser",
				     NULL);
	char *path = g_build_filename(dir, "expectations.json", NULL);
	JsonParser *parser = json_parser_new();
	GError *gerr = NULL;
	JsonObject *all;
	GList *names;

	if (!json_parser_load_from_file(parser, path, &gerr)) {
		fprintf(stderr, "%s: %s\n", path, gerr->message);
		g_error_free(gerr);
		run->errors++;
		goto out;
	}
	all = json_node_get_object(json_parser_get_root(parser));
	names = g_list_sort(json_object_get_members(all),
			    (GCompareFunc)strcmp);
	for (GList *n = names; n != NULL; n = n->next)
		if (*(const char *)n->data != '_')
			erp_message(run, dir, n->data,
				    json_object_get_object_member(all, n->data));
	g_list_free(names);
out:
	g_object_unref(parser);
	g_free(path);
	g_free(dir);
}

/* ---- report --------------------------------------------------------- */

static double
percent(int part, int whole)
{
	return whole > 0 ? 100.0 * part / whole : 100.0;
}

static void
format_floor(char *buf, size_t size, double floor)
{
	if (floor < 0)
		g_strlcpy(buf, "info", size);
	else
		g_snprintf(buf, size, "%.1f", floor);
}

/* One row of the table; returns 1 if a floor is broken. */
static int
report_row(int m, const struct score *s)
{
	double raw = percent(s->matched, s->total);
	double scored = percent(s->matched, s->total - s->listed);
	gboolean low = (metric_info[m].floor >= 0 &&
			scored < metric_info[m].floor) ||
		       (metric_info[m].floor_raw >= 0 &&
			raw < metric_info[m].floor_raw);
	char frac[32], floor[16], floor_raw[16];

	g_snprintf(frac, sizeof(frac), "%d/%d", s->matched, s->total);
	format_floor(floor, sizeof(floor), metric_info[m].floor);
	format_floor(floor_raw, sizeof(floor_raw), metric_info[m].floor_raw);
	printf("%-19s %-13s %8s %6.1f%% %6d %6.1f%% %6s %6s%s\n",
	       metric_info[m].corpus, metric_info[m].name, frac, raw,
	       s->listed, scored, floor, floor_raw,
	       low ? "  BELOW FLOOR" : "");
	return low ? 1 : 0;
}

/* Print the table; returns the number of broken floors. */
static int
report(struct run *run)
{
	int broken = 0;

	printf("\n%-19s %-13s %8s %7s %6s %7s %6s %6s\n", "corpus", "metric",
	       "matched", "raw", "listed", "scored", "floor", "f.raw");
	for (int m = 0; m < M_COUNT; m++)
		broken += report_row(m, &run->score[m]);
	printf("raw = matched/total; scored = matched/(total - listed "
	       "disagreements); floor applies to scored, f.raw to raw\n");
	return broken;
}

/* Unlisted failures (to look at) and listed ones that now match. */
static int
report_details(struct run *run)
{
	int stale = 0;

	for (int m = 0; m < M_COUNT; m++) {
		struct score *s = &run->score[m];

		if (s->failed->len > 0)
			printf("%s %s, not listed:%s\n", metric_info[m].corpus,
			       metric_info[m].name, s->failed->str);
		if (s->stale->len > 0) {
			printf("%s %s, listed but matching (update "
			       "DISAGREEMENTS-quote.md):%s\n",
			       metric_info[m].corpus, metric_info[m].name,
			       s->stale->str);
			stale++;
		}
	}
	return stale;
}

int
main(int argc, char **argv)
{
	struct run run = {0};
	int broken;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CORPUS_DIR DISAGREEMENTS_MD\n",
			argv[0]);
		return 2;
	}
	if (!g_file_test(argv[1], G_FILE_TEST_IS_DIR)) {
		printf("corpus %s not found: skipped\n", argv[1]);
		return 77;
	}
	mime_init();
	run.corpus_dir = argv[1];
	run.listed = load_listed(argv[2]);
	for (int m = 0; m < M_COUNT; m++) {
		run.score[m].failed = g_string_new(NULL);
		run.score[m].stale = g_string_new(NULL);
	}
	run_reply_trimmer(&run);
	run_email_reply_parser(&run);
	broken = report(&run);
	broken += report_details(&run);
	for (int m = 0; m < M_COUNT; m++) {
		g_string_free(run.score[m].failed, TRUE);
		g_string_free(run.score[m].stale, TRUE);
	}
	g_hash_table_unref(run.listed);
	return broken > 0 || run.errors > 0 ? 1 : 0;
}
