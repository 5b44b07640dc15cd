/*
 * replay.c - main() for a fuzz target built without libFuzzer: run the
 * target once over each file named, or over every *.eml file below each
 * directory named, in name order.  This is how the gcc and ASan builds
 * exercise the targets on the seed corpus, and how a crash file is
 * replayed under a debugger.
 *
 *   fuzz_ingest [-t max_secs] FILE|DIR...
 *
 * Prints the number of inputs and the slowest three; with -t, fails (exit
 * 1) when one input took longer than max_secs.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* Directories are searched for these; files named explicitly are always run. */
#define REPLAY_SUFFIX ".eml"
#define REPLAY_SLOWEST 3

struct timing {
	char *path;
	double secs;
};

static void
collect(const char *path, GPtrArray *files)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	if (d == NULL) {
		g_ptr_array_add(files, g_strdup(path));
		return;
	}
	while ((name = g_dir_read_name(d)) != NULL) {
		char *child = g_build_filename(path, name, NULL);

		if (g_file_test(child, G_FILE_TEST_IS_DIR))
			collect(child, files);
		else if (g_str_has_suffix(name, REPLAY_SUFFIX))
			g_ptr_array_add(files, g_strdup(child));
		g_free(child);
	}
	g_dir_close(d);
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

/* Run one file; its time in *secs_r.  Returns 0, or -1 if unreadable. */
static int
run_one(const char *path, double *secs_r)
{
	char *data = NULL;
	gsize len = 0;
	GError *gerr = NULL;
	gint64 t0;

	if (!g_file_get_contents(path, &data, &len, &gerr)) {
		fprintf(stderr, "replay: %s\n", gerr->message);
		g_error_free(gerr);
		return -1;
	}
	t0 = g_get_monotonic_time();
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	*secs_r = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
	g_free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	GArray *times = g_array_new(FALSE, FALSE, sizeof(struct timing));
	double max_secs = 0;
	int i = 1, rc = 0;

	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		max_secs = g_ascii_strtod(argv[2], NULL);
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [-t max_secs] FILE|DIR...\n",
			argv[0]);
		return 2;
	}
	for (; i < argc; i++)
		collect(argv[i], files);
	g_ptr_array_sort(files, path_cmp);
	LLVMFuzzerInitialize(&argc, &argv);
	for (guint k = 0; k < files->len; k++) {
		struct timing t = { files->pdata[k], 0 };

		if (run_one(t.path, &t.secs) != 0)
			rc = 1;
		g_array_append_val(times, t);
	}
	g_array_sort(times, timing_cmp);
	printf("replay: %u inputs\n", files->len);
	for (guint k = 0; k < times->len && k < REPLAY_SLOWEST; k++) {
		struct timing *t = &g_array_index(times, struct timing, k);

		printf("  %.3f s  %s\n", t->secs, t->path);
		if (max_secs > 0 && t->secs > max_secs) {
			printf("  over the limit of %.3f s\n", max_secs);
			rc = 1;
		}
	}
	g_array_free(times, TRUE);
	g_ptr_array_free(files, TRUE);
	return rc;
}
