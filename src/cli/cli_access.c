/*
 * cli_access.c - when the store cannot be opened because of file
 * permissions, say so in words an agent can act on: who they are, what
 * they may not touch, and how agents are meant to run casectl.
 */
#include "cli.h"

#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first of the store's files this user is denied, or NULL. */
static const char *
cli_denied(const char *db, const char *dir)
{
	struct stat st;

	/* The directory must be searchable (to reach the database) and
	 * writable (SQLite makes the -wal and -shm files beside it). */
	if (access(dir, X_OK) != 0 && errno == EACCES)
		return dir;
	if (stat(db, &st) == 0 && access(db, R_OK | W_OK) != 0 &&
	    errno == EACCES)
		return db;
	if (access(dir, W_OK) != 0 && errno == EACCES)
		return dir;
	return NULL;
}

void
cli_store_access_hint(struct cli *cli)
{
	char *dir = g_path_get_dirname(cli->cfg->store_database);
	const char *denied = cli_denied(cli->cfg->store_database, dir);
	const struct passwd *pw;
	struct stat st;
	char me[64] = "?", owner[64] = "its owner", what[CM_ERROR_MSG_MAX];

	if (denied != NULL) {
		/* getpwuid() reuses one buffer: copy each name at once. */
		if ((pw = getpwuid(getuid())) != NULL)
			snprintf(me, sizeof(me), "%s", pw->pw_name);
		if (stat(denied, &st) == 0) {
			const struct passwd *o = getpwuid(st.st_uid);

			if (o != NULL)
				snprintf(owner, sizeof(owner), "%s", o->pw_name);
		}
		/* One line: what SQLite said, then what to do. */
		snprintf(what, sizeof(what), "%s", cli->err.msg);
		cm_error_set(&cli->err, cli->err.code, "%s; permission denied: "
			     "user %s may not use %s (run casectl as %s, e.g. "
			     "'sudo -u %s casectl ...', as the README's set-up "
			     "for agents shows)", what, me, denied, owner,
			     owner);
	}
	g_free(dir);
}
