/*
 * fid_mime.h - the MIME fidelity harness: our parser (mime_parse and
 * mime_walk_leaves) against other parsers' expectations on the shared
 * real-mail corpus.  Shared between test_fid_mime.c (the run, the table,
 * the parse-only checks) and fid_mime_expect.c (the expectation files).
 */
#ifndef CASEMAIL_FID_MIME_H
#define CASEMAIL_FID_MIME_H

#include <glib.h>
#include <stddef.h>

#include "casemail/mime.h"

struct fid_run;

/*
 * Record one comparison for the table row (corpus, field).  A mismatch is
 * "listed" when DISAGREEMENTS-mime.md names (corpus, msg, item) and
 * "unexplained" otherwise; item names the instance ("leaf[2].type"),
 * NULL meaning field itself.  theirs/ours are for the report (NULL: none).
 */
void fid_check(struct fid_run *run, const char *corpus, const char *msg,
	       const char *field, const char *item, int ok,
	       const char *theirs, const char *ours);

/* Whether --verbose was given (print every comparison that fails). */
int fid_verbose(const struct fid_run *run);

/* The sorted names (without ".eml") of dir's messages; g_strfreev(). */
char **fid_list_eml(const char *dir);

/* A whole file (caller g_free()s), or NULL; *len_r gets its size. */
char *fid_read(const char *dir, const char *name, const char *ext,
	       size_t *len_r);

/* One leaf as the harness keeps it (owned copies). */
struct fid_leaf {
	enum mime_leaf_kind kind;
	char *type, *filename;
	char *md5;       /* of the transfer-decoded bytes */
	char *md5_lf;    /* the same after CR LF -> LF */
	char *text;      /* text leaves: as stored; others: the bytes as text */
	size_t size;
};

/* md5 of data with every CR LF turned into LF (caller g_free()s). */
char *fid_md5_lf(const char *data, size_t len);

/*
 * Pair the other parser's leaves (n) with ours (m) in order, as a diff
 * would, so one leaf missing on a side does not shift every later one.
 * sim(i, j) scores how alike two leaves are (0: not at all).  Returns an
 * array of n entries: our index for each of theirs, or -1 (g_free()).
 */
int *fid_align(guint n, guint m, int (*sim)(guint i, guint j, void *ctx),
	       void *ctx);

/* Every leaf of a message in order (struct fid_leaf *), or NULL if the
 * message did not parse. */
GPtrArray *fid_leaves(const char *data, size_t len);

/* Score the mailparser_rs and mime4j sets in dir; returns the number of
 * messages compared. */
int fid_mailparser(struct fid_run *run, const char *dir);
int fid_mime4j(struct fid_run *run, const char *dir);

#endif
