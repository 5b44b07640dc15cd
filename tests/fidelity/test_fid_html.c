/*
 * test_fid_html.c - html2text() on every text/html part of the shared
 * corpus: bounded time and size, and the layout promises of html2text.h.
 *
 * usage: test_fid_html CORPUS_DIR MAX_SECS
 *
 * No other project ships the text it expects from these parts, so this
 * is not a comparison: it is the bound the corpus sets for its DoS
 * inputs ("parses within a time and memory bound", one second for
 * email_reply_parser's), applied to every HTML part and to the whole
 * parse (mime_parse) of every message that has one.  The parts are taken
 * with GMime directly (every text/html leaf, attached messages included,
 * charset converted), not through mime_parse, which converts only an
 * HTML-only body.
 *
 * Scores, printed as one table (all floors are 100 %):
 *   time     html2text under MAX_SECS
 *   size     output within HTML2TEXT_MAX_OUTPUT
 *   tidy     valid UTF-8, no blank at a line end, no two blank lines,
 *            no newline at either end
 *   parse    mime_parse of the whole message under MAX_SECS
 * plus, for information, the parts whose text came out empty and the
 * slowest parts.
 */
#include <glib.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casemail/html2text.h"
#include "casemail/mime.h"

/* Attached messages inside attached messages: real mail stops early. */
#define MAX_WALK_DEPTH 32
#define SHOW_SLOWEST 5

enum metric { M_TIME, M_SIZE, M_TIDY, M_PARSE, M_COUNT };

static const char *const metric_names[M_COUNT] = {
	"time", "size", "tidy", "parse",
};

struct timing {
	char *what;
	double secs;
	size_t in_bytes, out_bytes;
};

struct run {
	double max_secs;
	int ok[M_COUNT], total[M_COUNT];
	GArray *timings;       /* struct timing, one per HTML part */
	GPtrArray *empty;      /* char *: parts whose text is empty */
	GPtrArray *failures;   /* char *: what failed, for the report */
};

static double
secs_since(gint64 t0)
{
	return (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
}

static void
score(struct run *r, enum metric m, gboolean ok, const char *what)
{
	r->total[m]++;
	if (ok)
		r->ok[m]++;
	else
		g_ptr_array_add(r->failures, g_strdup_printf("%s: %s",
			metric_names[m], what));
}

static gboolean
tidy(const char *text)
{
	size_t len = strlen(text);

	return g_utf8_validate(text, -1, NULL) &&
	       strstr(text, "\n\n\n") == NULL && strstr(text, " \n") == NULL &&
	       (len == 0 || (text[0] != '\n' && text[len - 1] != '\n'));
}

static void
check_part(struct run *r, const char *what, const char *html)
{
	struct timing t = { g_strdup(what), 0, strlen(html), 0 };
	char *text = NULL;
	gint64 t0 = g_get_monotonic_time();

	if (html2text(html, t.in_bytes, &text, NULL) != 0) {
		score(r, M_TIDY, FALSE, what);
		g_free(t.what);
		return;
	}
	t.secs = secs_since(t0);
	t.out_bytes = strlen(text);
	score(r, M_TIME, t.secs < r->max_secs, what);
	score(r, M_SIZE, t.out_bytes <= HTML2TEXT_MAX_OUTPUT, what);
	score(r, M_TIDY, tidy(text), what);
	if (t.out_bytes == 0)
		g_ptr_array_add(r->empty, g_strdup(what));
	g_array_append_val(r->timings, t);
	g_free(text);
}

/* Every text/html leaf below obj; returns how many were checked. */
static int
walk(struct run *r, const char *name, GMimeObject *obj, int depth)
{
	int n = 0;

	if (obj == NULL || depth > MAX_WALK_DEPTH)
		return 0;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			n += walk(r, name, g_mime_multipart_get_part(mp, i),
				  depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m = g_mime_message_part_get_message(
			GMIME_MESSAGE_PART(obj));

		if (m != NULL)
			n += walk(r, name, g_mime_message_get_mime_part(m),
				  depth + 1);
	} else if (GMIME_IS_TEXT_PART(obj) &&
		   g_mime_content_type_is_type(
			   g_mime_object_get_content_type(obj), "text",
			   "html")) {
		char *html = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
		char *what = g_strdup_printf("%s#%d", name, depth);

		if (html != NULL)
			check_part(r, what, html);
		g_free(what);
		g_free(html);
		n = 1;
	}
	return n;
}

static void
check_message(struct run *r, const char *path, const char *name)
{
	char *raw = NULL;
	gsize len = 0;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	struct mime_message *mm = NULL;
	gint64 t0;

	if (!g_file_get_contents(path, &raw, &len, NULL))
		return;
	stream = g_mime_stream_mem_new_with_buffer(raw, len);
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg != NULL &&
	    walk(r, name, g_mime_message_get_mime_part(msg), 0) > 0) {
		t0 = g_get_monotonic_time();
		if (mime_parse(raw, len, &mm, NULL) == 0)
			mime_message_free(&mm);
		score(r, M_PARSE, secs_since(t0) < r->max_secs, name);
	}
	if (msg != NULL)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(stream);
	g_free(raw);
}

/* Every *.eml under dir (paths into out). */
static void
collect(const char *dir, GPtrArray *out)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			collect(path, out);
		else if (g_str_has_suffix(name, ".eml"))
			g_ptr_array_add(out, g_steal_pointer(&path));
		g_free(path);
	}
	g_dir_close(d);
}

/* "<set>/<file>.eml": the path below the corpus directory. */
static const char *
label(const char *path, const char *corpus)
{
	size_t n = strlen(corpus);

	if (strncmp(path, corpus, n) != 0)
		return path;
	while (path[n] == '/')
		n++;
	return path + n;
}

static int
path_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
timing_cmp(gconstpointer a, gconstpointer b)
{
	double x = ((const struct timing *)a)->secs;
	double y = ((const struct timing *)b)->secs;

	return (x < y) - (x > y);
}

/* The table; returns 0 when every score is at its floor (100 %). */
static int
report(struct run *r)
{
	int rc = 0;

	printf("%-8s %8s %8s %8s\n", "metric", "ok", "total", "percent");
	for (int m = 0; m < M_COUNT; m++) {
		double pct = r->total[m] > 0 ? 100.0 * r->ok[m] / r->total[m]
					     : 100.0;

		printf("%-8s %8d %8d %7.1f%%\n", metric_names[m], r->ok[m],
		       r->total[m], pct);
		if (r->ok[m] < r->total[m])
			rc = 1;
	}
	for (guint i = 0; i < r->failures->len; i++)
		printf("FAIL %s\n", (char *)r->failures->pdata[i]);
	printf("empty text (information): %u part(s)\n", r->empty->len);
	for (guint i = 0; i < r->empty->len; i++)
		printf("  %s\n", (char *)r->empty->pdata[i]);
	g_array_sort(r->timings, timing_cmp);
	printf("slowest parts (limit %.3f s):\n", r->max_secs);
	for (guint i = 0; i < r->timings->len && i < SHOW_SLOWEST; i++) {
		struct timing *t = &g_array_index(r->timings, struct timing, i);

		printf("  %.3f s  %8zu -> %7zu bytes  %s\n", t->secs,
		       t->in_bytes, t->out_bytes, t->what);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	struct run r = { 0 };
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CORPUS_DIR MAX_SECS\n", argv[0]);
		return 2;
	}
	if (!g_file_test(argv[1], G_FILE_TEST_IS_DIR)) {
		printf("corpus %s not found: skipped\n", argv[1]);
		return 77;
	}
	r.max_secs = g_ascii_strtod(argv[2], NULL);
	r.timings = g_array_new(FALSE, FALSE, sizeof(struct timing));
	r.empty = g_ptr_array_new_with_free_func(g_free);
	r.failures = g_ptr_array_new_with_free_func(g_free);
	mime_init();
	collect(argv[1], files);
	g_ptr_array_sort(files, path_cmp);
	for (guint i = 0; i < files->len; i++) {
		const char *path = files->pdata[i];

		check_message(&r, path, label(path, argv[1]));
	}
	rc = report(&r);
	for (guint i = 0; i < r.timings->len; i++)
		g_free(g_array_index(r.timings, struct timing, i).what);
	g_array_free(r.timings, TRUE);
	g_ptr_array_free(r.empty, TRUE);
	g_ptr_array_free(r.failures, TRUE);
	g_ptr_array_free(files, TRUE);
	return rc;
}
