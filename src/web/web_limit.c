/*
 * web_limit.c - how many sign-ins may fail: per account and per client
 * address, within a fixed window that starts at the first failure.
 *
 * The counts live in memory ([web] login_* in casemail.conf(5) says why):
 * two tables of key -> (window start, count) behind one mutex, since
 * libmicrohttpd's threads share them.  A key whose window has ended is
 * dropped when a table fills; if it is still full, a new key is not
 * counted (the per-client limit still holds for it) and the log says so.
 */
#include "web_limit.h"

#include "casemail/log.h"

/* Keys per table: 100000 small entries, a few MiB at most. */
#define WEB_LIMIT_MAX_KEYS 100000

struct web_limit_count {
	int64_t start;
	int n;
};

struct web_limit {
	GMutex lock;
	int per_account, per_client;   /* per_client 0: not limited */
	int64_t window;
	GHashTable *accounts, *clients;
};

struct web_limit *
web_limit_new(int per_account, int per_client, int window_secs)
{
	struct web_limit *l = g_new0(struct web_limit, 1);

	g_mutex_init(&l->lock);
	l->per_account = per_account;
	l->per_client = per_client;
	l->window = window_secs;
	l->accounts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    g_free);
	l->clients = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   g_free);
	return l;
}

void
web_limit_free(struct web_limit **lp)
{
	struct web_limit *l = *lp;

	if (l == NULL)
		return;
	g_hash_table_unref(l->accounts);
	g_hash_table_unref(l->clients);
	g_mutex_clear(&l->lock);
	g_free(l);
	*lp = NULL;
}

/* key's count if its window is still open at now, else 0. */
static int
web_limit_count(const struct web_limit *l, GHashTable *t, const char *key,
		int64_t now)
{
	const struct web_limit_count *c = key != NULL
		? g_hash_table_lookup(t, key) : NULL;

	return c != NULL && now - c->start < l->window ? c->n : 0;
}

static gboolean
web_limit_expired(gpointer key, gpointer value, gpointer data)
{
	const struct web_limit_count *c = value;
	const int64_t *cutoff = data;

	(void)key;
	return c->start <= *cutoff;
}

/* One more failure for key at now. */
static void
web_limit_add(struct web_limit *l, GHashTable *t, const char *key,
	      int64_t now)
{
	struct web_limit_count *c = g_hash_table_lookup(t, key);
	int64_t cutoff = now - l->window;

	if (c == NULL && g_hash_table_size(t) >= WEB_LIMIT_MAX_KEYS) {
		g_hash_table_foreach_remove(t, web_limit_expired, &cutoff);
		if (g_hash_table_size(t) >= WEB_LIMIT_MAX_KEYS) {
			log_warnx("web: sign-in limit table full: %s not "
				  "counted", key);
			return;
		}
	}
	if (c == NULL) {
		c = g_new0(struct web_limit_count, 1);
		g_hash_table_insert(t, g_strdup(key), c);
	}
	if (now - c->start >= l->window) {
		c->start = now;
		c->n = 0;
	}
	c->n++;
}

enum web_limit_verdict
web_limit_check(struct web_limit *l, const char *account, const char *client,
		int64_t now)
{
	enum web_limit_verdict v = WEB_LIMIT_OK;

	g_mutex_lock(&l->lock);
	if (l->per_client > 0 &&
	    web_limit_count(l, l->clients, client, now) >= l->per_client)
		v = WEB_LIMIT_CLIENT;
	else if (web_limit_count(l, l->accounts, account, now) >=
		 l->per_account)
		v = WEB_LIMIT_ACCOUNT;
	g_mutex_unlock(&l->lock);
	return v;
}

void
web_limit_failed(struct web_limit *l, const char *account,
		 const char *client, int64_t now)
{
	g_mutex_lock(&l->lock);
	if (account != NULL)
		web_limit_add(l, l->accounts, account, now);
	if (client != NULL && l->per_client > 0)
		web_limit_add(l, l->clients, client, now);
	g_mutex_unlock(&l->lock);
}

void
web_limit_succeeded(struct web_limit *l, const char *account)
{
	g_mutex_lock(&l->lock);
	g_hash_table_remove(l->accounts, account);
	g_mutex_unlock(&l->lock);
}
