/*
 * fid_mime_expect.c - our parse against the expectation files of the
 * mailparser_rs and mime4j corpus sets (see ../shared/corpus/README.md for
 * what each file holds and how the README says to compare).
 */
#include "fid_mime.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#define FID_MP "mailparser_rs"
#define FID_M4 "mime4j"

/* One leaf as the other parser saw it. */
struct exp_leaf {
	char *kind;      /* mail-parser: Text, Html, Binary, ...; mime4j: text */
	char *type;      /* lower case, defaulted */
	char *filename;
	char *md5;       /* of the decoded bytes (binary leaves) */
	char *md5_lf;    /* mime4j text leaves: after CR LF -> LF */
	char *text;      /* text leaves (mail-parser only) */
	gint64 size;     /* -1 if not given */
};

static void
exp_leaf_free(gpointer p)
{
	struct exp_leaf *l = p;

	g_free(l->kind);
	g_free(l->type);
	g_free(l->filename);
	g_free(l->md5);
	g_free(l->md5_lf);
	g_free(l->text);
	g_free(l);
}

/* ---- JSON ------------------------------------------------------------------ */

static const char *
j_str(JsonObject *o, const char *member)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, member) : NULL;

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

static gint64
j_int(JsonObject *o, const char *member)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, member) : NULL;

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n))
		return -1;
	return json_node_get_int(n);
}

static JsonArray *
j_arr(JsonObject *o, const char *member)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, member) : NULL;

	return n != NULL && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n)
						     : NULL;
}

static JsonObject *
j_obj(JsonNode *n)
{
	return n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n)
						      : NULL;
}

static JsonParser *
j_load(const char *dir, const char *name, const char *ext)
{
	JsonParser *p = json_parser_new();
	size_t len;
	char *text = fid_read(dir, name, ext, &len);

	if (text == NULL || !json_parser_load_from_data(p, text, (gssize)len,
							 NULL)) {
		g_object_unref(p);
		p = NULL;
	}
	g_free(text);
	return p;
}

/* ---- normalising ------------------------------------------------------------- */

/* Whitespace runs as one space, trimmed; "" for NULL. */
static char *
fid_ws(const char *s)
{
	GString *out = g_string_new(NULL);
	int space = 1;

	for (; s != NULL && *s != '\0'; s++) {
		if (g_ascii_isspace(*s)) {
			if (!space)
				g_string_append_c(out, ' ');
			space = 1;
		} else {
			g_string_append_c(out, *s);
			space = 0;
		}
	}
	if (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

static int
fid_ws_equal(const char *a, const char *b)
{
	char *x = fid_ws(a), *y = fid_ws(b);
	int eq = strcmp(x, y) == 0;

	g_free(x);
	g_free(y);
	return eq;
}

/* "text/plain; charset=x" or NULL -> "text/plain" (lower case). */
static char *
fid_type(const char *header, const char *dflt)
{
	size_t n;

	if (header == NULL)
		return g_strdup(dflt);
	while (g_ascii_isspace(*header))
		header++;
	n = strcspn(header, "; \t\r\n");
	return n > 0 ? g_ascii_strdown(header, (gssize)n) : g_strdup(dflt);
}

/* ---- mailparser_rs: headers ------------------------------------------------ */

static char *
mp_addr_str(const char *name, const char *addr)
{
	return g_strdup_printf("%s <%s>", name != NULL ? name : "",
			       addr != NULL ? addr : "");
}

static int
mp_addr_equal(JsonObject *theirs, const struct mime_address *ours)
{
	const char *ta = j_str(theirs, "address");
	const char *oa = ours != NULL ? ours->address : NULL;

	if ((ta == NULL) != (oa == NULL) ||
	    (ta != NULL && g_ascii_strcasecmp(ta, oa) != 0))
		return 0;
	return fid_ws_equal(j_str(theirs, "name"),
			    ours != NULL ? ours->name : NULL);
}

/* A list of addresses: same length, pairwise equal. */
static void
mp_addr_list(struct fid_run *run, const char *corpus, const char *msg,
	     const char *field, JsonArray *theirs, GPtrArray *ours)
{
	guint n = theirs != NULL ? json_array_get_length(theirs) : 0;
	GString *ts = g_string_new(NULL), *os = g_string_new(NULL);
	int ok = n == ours->len;

	for (guint i = 0; i < n; i++) {
		JsonObject *a = j_obj(json_array_get_element(theirs, i));
		char *s = mp_addr_str(j_str(a, "name"), j_str(a, "address"));

		g_string_append_printf(ts, "%s%s", i ? ", " : "", s);
		g_free(s);
		if (ok && !mp_addr_equal(a, ours->pdata[i]))
			ok = 0;
	}
	for (guint i = 0; i < ours->len; i++) {
		const struct mime_address *a = ours->pdata[i];
		char *s = mp_addr_str(a->name, a->address);

		g_string_append_printf(os, "%s%s", i ? ", " : "", s);
		g_free(s);
	}
	fid_check(run, corpus, msg, field, NULL, ok, ts->str, os->str);
	g_string_free(ts, TRUE);
	g_string_free(os, TRUE);
}

static void
mp_from(struct fid_run *run, const char *corpus, const char *msg,
	JsonArray *theirs, const struct mime_message *m)
{
	JsonObject *a = theirs != NULL && json_array_get_length(theirs) > 0
		? j_obj(json_array_get_element(theirs, 0)) : NULL;
	struct mime_address none = { 0 };
	const struct mime_address *ours = m != NULL ? &m->from : &none;
	char *ts = a != NULL ? mp_addr_str(j_str(a, "name"),
					   j_str(a, "address")) : NULL;
	char *os = ours->address != NULL || ours->name != NULL
		? mp_addr_str(ours->name, ours->address) : NULL;
	int ok;

	if (a == NULL)
		ok = ours->address == NULL;
	else
		ok = mp_addr_equal(a, ours);
	fid_check(run, corpus, msg, "from", NULL, ok, ts, os);
	g_free(ts);
	g_free(os);
}

static void
mp_date(struct fid_run *run, const char *corpus, const char *msg,
	const char *theirs, const struct mime_message *m)
{
	GDateTime *dt = theirs != NULL ? g_date_time_new_from_iso8601(theirs,
								     NULL)
				       : NULL;
	gint64 t = dt != NULL ? g_date_time_to_unix(dt) : 0;
	gint64 o = m != NULL ? m->date : 0;
	char *os = g_strdup_printf("%" G_GINT64_FORMAT, o);
	char *ts = g_strdup_printf("%s = %" G_GINT64_FORMAT,
				   theirs ? theirs : "none", t);

	fid_check(run, corpus, msg, "date", NULL, t == o, ts, os);
	if (dt != NULL)
		g_date_time_unref(dt);
	g_free(os);
	g_free(ts);
}

static void
mp_message_id(struct fid_run *run, const char *corpus, const char *msg,
	      const char *theirs, const struct mime_message *m)
{
	char *ours = NULL;

	if (m != NULL && !m->message_id_derived)
		ours = g_strndup(m->message_id + 1, strlen(m->message_id) - 2);
	fid_check(run, corpus, msg, "message_id", NULL,
		  g_strcmp0(theirs, ours) == 0, theirs, ours);
	g_free(ours);
}

static void
mp_headers(struct fid_run *run, const char *corpus, const char *msg,
	   JsonObject *exp, const struct mime_message *m)
{
	const char *ts = j_str(exp, "subject");
	GPtrArray *none = g_ptr_array_new();

	fid_check(run, corpus, msg, "subject", NULL,
		  strcmp(ts != NULL ? ts : "", m != NULL ? m->subject : "") == 0,
		  ts, m != NULL ? m->subject : NULL);
	mp_from(run, corpus, msg, j_arr(exp, "from"), m);
	mp_addr_list(run, corpus, msg, "to", j_arr(exp, "to"),
		     m != NULL ? m->to : none);
	mp_addr_list(run, corpus, msg, "cc", j_arr(exp, "cc"),
		     m != NULL ? m->cc : none);
	mp_date(run, corpus, msg, j_str(exp, "date"), m);
	mp_message_id(run, corpus, msg, j_str(exp, "message_id"), m);
	g_ptr_array_unref(none);
}

/* ---- mailparser_rs: leaves --------------------------------------------------- */

/* Depth first; a Message part is a leaf followed by its message's leaves. */
static void
mp_flatten(JsonObject *message, GPtrArray *out)
{
	JsonArray *parts = j_arr(message, "parts");
	guint n = parts != NULL ? json_array_get_length(parts) : 0;

	for (guint i = 0; i < n; i++) {
		JsonObject *p = j_obj(json_array_get_element(parts, i));
		const char *kind = j_str(p, "kind");
		struct exp_leaf *l;

		if (kind == NULL || strcmp(kind, "Multipart") == 0)
			continue;
		l = g_new0(struct exp_leaf, 1);
		l->kind = g_strdup(kind);
		l->type = fid_type(j_str(p, "content_type"),
				   strcmp(kind, "Message") == 0
				   ? "message/rfc822" : "text/plain");
		l->filename = g_strdup(j_str(p, "filename"));
		l->md5 = g_strdup(j_str(p, "md5"));
		l->text = g_strdup(j_str(p, "text"));
		l->size = j_int(p, "size");
		g_ptr_array_add(out, l);
		if (strcmp(kind, "Message") == 0)
			mp_flatten(j_obj(json_object_get_member(p, "message")),
				   out);
	}
}

/* Our leaves without the uuencoded extras (not MIME entities). */
static GPtrArray *
fid_mime_leaves(GPtrArray *all, int with_messages)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; all != NULL && i < all->len; i++) {
		const struct fid_leaf *l = all->pdata[i];

		if (l->kind == MIME_LEAF_UUENCODED ||
		    (l->kind == MIME_LEAF_MESSAGE && !with_messages))
			continue;
		g_ptr_array_add(out, all->pdata[i]);
	}
	return out;
}

/* Theirs and ours, aligned (fid_align). */
struct leaf_pairs {
	GPtrArray *theirs;   /* struct exp_leaf * */
	GPtrArray *ours;     /* struct fid_leaf * (borrowed) */
};

static int
mp_is_text(const struct exp_leaf *t)
{
	return strcmp(t->kind, "Text") == 0 || strcmp(t->kind, "Html") == 0;
}

/* Text leaves as we store text (LF line ends, no controls); binary leaves
 * by md5; a forwarded message's content is its own leaves. */
static int
mp_content_equal(const struct exp_leaf *t, const struct fid_leaf *o)
{
	char *tt;
	int eq;

	if (strcmp(t->kind, "Message") == 0)
		return 1;
	/* mail-parser's binary md5s were taken on the LF form of the
	 * message: a 7bit part (BinHex) differs from ours in line ends. */
	if (!mp_is_text(t))
		return g_strcmp0(t->md5, o->md5) == 0 ||
		       g_strcmp0(t->md5, o->md5_lf) == 0;
	tt = mime_clean_text(t->text, -1);
	eq = o->text != NULL && strcmp(tt, o->text) == 0;
	g_free(tt);
	return eq;
}

static int
mp_sim(guint i, guint j, void *ctx)
{
	struct leaf_pairs *lp = ctx;
	const struct exp_leaf *t = lp->theirs->pdata[i];
	const struct fid_leaf *o = lp->ours->pdata[j];

	return 2 * (strcmp(t->type, o->type) == 0) +
	       2 * mp_content_equal(t, o) + fid_ws_equal(t->filename, o->filename);
}

static void
mp_leaf(struct fid_run *run, const char *corpus, const char *msg, guint i,
	const struct exp_leaf *t, const struct fid_leaf *o)
{
	char *it = g_strdup_printf("leaf[%u].type", i + 1);
	char *in = g_strdup_printf("leaf[%u].filename", i + 1);
	char *ic = g_strdup_printf("leaf[%u].content", i + 1);
	char *tt = mp_is_text(t) ? mime_clean_text(t->text, -1) : NULL;
	const char *missing = "(missing)";

	fid_check(run, corpus, msg, "leaf.type", it,
		  o != NULL && strcmp(t->type, o->type) == 0, t->type,
		  o != NULL ? o->type : missing);
	fid_check(run, corpus, msg, "leaf.filename", in,
		  o != NULL && fid_ws_equal(t->filename, o->filename),
		  t->filename, o != NULL ? o->filename : missing);
	if (strcmp(t->kind, "Message") != 0) {
		/* Texts are shown from a little before where they differ. */
		size_t at = 0;

		while (tt != NULL && o != NULL && o->text != NULL &&
		       tt[at] != '\0' && tt[at] == o->text[at])
			at++;
		at = at > 40 ? at - 40 : 0;
		while (at > 0 && (tt[at] & 0xc0) == 0x80)
			at--;
		fid_check(run, corpus, msg, "leaf.content", ic,
			  o != NULL && mp_content_equal(t, o),
			  tt != NULL ? tt + at : t->md5,
			  o == NULL ? missing : tt != NULL ? o->text + at
							  : o->md5);
	}
	g_free(tt);
	g_free(it);
	g_free(in);
	g_free(ic);
}

static void
mp_leaves(struct fid_run *run, const char *corpus, const char *msg,
	  JsonObject *exp, GPtrArray *all)
{
	struct leaf_pairs lp = {
		g_ptr_array_new_with_free_func(exp_leaf_free),
		fid_mime_leaves(all, 1),
	};
	char ts[32], os[32];
	int *pair;

	mp_flatten(exp, lp.theirs);
	snprintf(ts, sizeof(ts), "%u", lp.theirs->len);
	snprintf(os, sizeof(os), "%u", lp.ours->len);
	fid_check(run, corpus, msg, "leaf.count", NULL,
		  lp.theirs->len == lp.ours->len, ts, os);
	pair = fid_align(lp.theirs->len, lp.ours->len, mp_sim, &lp);
	for (guint i = 0; i < lp.theirs->len; i++)
		mp_leaf(run, corpus, msg, i, lp.theirs->pdata[i],
			pair[i] >= 0 ? lp.ours->pdata[pair[i]] : NULL);
	g_free(pair);
	g_ptr_array_unref(lp.ours);
	g_ptr_array_unref(lp.theirs);
}

int
fid_mailparser(struct fid_run *run, const char *dir)
{
	char **names = fid_list_eml(dir);
	int n = 0;

	for (char **nm = names; *nm != NULL; nm++) {
		const char *corpus = g_str_has_prefix(*nm, "malformed_")
			? FID_MP ":malformed" : FID_MP;
		JsonParser *jp = j_load(dir, *nm, ".expected.json");
		struct mime_message *m = NULL;
		GPtrArray *leaves;
		size_t len;
		char *data = fid_read(dir, *nm, ".eml", &len);

		if (jp == NULL || data == NULL) {
			g_clear_object(&jp);
			g_free(data);
			continue;
		}
		if (mime_parse(data, len, &m, NULL) != 0)
			m = NULL;
		mp_headers(run, corpus, *nm, j_obj(json_parser_get_root(jp)), m);
		leaves = fid_leaves(data, len);
		mp_leaves(run, corpus, *nm, j_obj(json_parser_get_root(jp)),
			  leaves);
		if (leaves != NULL)
			g_ptr_array_unref(leaves);
		mime_message_free(&m);
		g_object_unref(jp);
		g_free(data);
		n++;
	}
	g_strfreev(names);
	return n;
}

/* ---- mime4j ------------------------------------------------------------------ */

/* Their leaves; text leaves also get the md5 of their bytes with LF line
 * ends (mime4j writes a quoted-printable hard line break as CR LF, GMime
 * keeps the message's own line ends). */
static void
m4_flatten(JsonObject *exp, const char *dir, const char *msg, GPtrArray *out)
{
	JsonArray *leaves = j_arr(exp, "leaf_parts");
	guint n = leaves != NULL ? json_array_get_length(leaves) : 0;
	char *parts = g_strdup_printf("%s/%s.expected.parts", dir, msg);

	for (guint i = 0; i < n; i++) {
		JsonObject *p = j_obj(json_array_get_element(leaves, i));
		struct exp_leaf *l = g_new0(struct exp_leaf, 1);
		const char *file = j_str(p, "file");
		size_t len;
		char *bytes = file != NULL ? fid_read(parts, file, "", &len) : NULL;

		l->kind = g_strdup(j_str(p, "kind"));
		/* No subtype is no valid type: RFC 2045 5.2 says text/plain. */
		l->type = fid_type(j_str(p, "content_type_header"), "text/plain");
		if (strchr(l->type, '/') == NULL) {
			g_free(l->type);
			l->type = g_strdup("text/plain");
		}
		l->md5 = g_strdup(j_str(p, "md5"));
		l->size = j_int(p, "size");
		if (bytes != NULL && g_strcmp0(l->kind, "text") == 0)
			l->md5_lf = fid_md5_lf(bytes, len);
		g_free(bytes);
		g_ptr_array_add(out, l);
	}
	g_free(parts);
}

static int
m4_bytes_equal(const struct exp_leaf *t, const struct fid_leaf *o)
{
	if ((gint64)o->size == t->size && g_strcmp0(t->md5, o->md5) == 0)
		return 1;
	return t->md5_lf != NULL && strcmp(t->md5_lf, o->md5_lf) == 0;
}

static int
m4_sim(guint i, guint j, void *ctx)
{
	struct leaf_pairs *lp = ctx;
	const struct exp_leaf *t = lp->theirs->pdata[i];
	const struct fid_leaf *o = lp->ours->pdata[j];

	return 2 * (strcmp(t->type, o->type) == 0) + 2 * m4_bytes_equal(t, o);
}

static void
m4_leaf(struct fid_run *run, const char *msg, guint i,
	const struct exp_leaf *t, const struct fid_leaf *o)
{
	char *it = g_strdup_printf("leaf[%u].type", i + 1);
	char *ib = g_strdup_printf("leaf[%u].bytes", i + 1);
	char ts[64], os[64];

	fid_check(run, FID_M4, msg, "leaf.type", it,
		  o != NULL && strcmp(t->type, o->type) == 0, t->type,
		  o != NULL ? o->type : "(missing)");
	snprintf(ts, sizeof(ts), "%" G_GINT64_FORMAT " %s", t->size,
		 t->md5 ? t->md5 : "");
	snprintf(os, sizeof(os), "%zu %s", o ? o->size : 0,
		 o ? o->md5 : "(missing)");
	fid_check(run, FID_M4, msg, "leaf.bytes", ib,
		  o != NULL && m4_bytes_equal(t, o), ts, os);
	g_free(it);
	g_free(ib);
}

static void
m4_compare(struct fid_run *run, const char *dir, const char *msg,
	   JsonObject *exp, GPtrArray *all)
{
	struct leaf_pairs lp = {
		g_ptr_array_new_with_free_func(exp_leaf_free),
		fid_mime_leaves(all, 0),
	};
	char ts[32], os[32];
	int *pair;

	m4_flatten(exp, dir, msg, lp.theirs);
	snprintf(ts, sizeof(ts), "%u", lp.theirs->len);
	snprintf(os, sizeof(os), "%u", lp.ours->len);
	fid_check(run, FID_M4, msg, "leaf.count", NULL,
		  lp.theirs->len == lp.ours->len, ts, os);
	pair = fid_align(lp.theirs->len, lp.ours->len, m4_sim, &lp);
	for (guint i = 0; i < lp.theirs->len; i++)
		m4_leaf(run, msg, i, lp.theirs->pdata[i],
			pair[i] >= 0 ? lp.ours->pdata[pair[i]] : NULL);
	g_free(pair);
	g_ptr_array_unref(lp.ours);
	g_ptr_array_unref(lp.theirs);
}

int
fid_mime4j(struct fid_run *run, const char *dir)
{
	char **names = fid_list_eml(dir);
	int n = 0;

	for (char **nm = names; *nm != NULL; nm++) {
		JsonParser *jp = j_load(dir, *nm, ".expected.json");
		GPtrArray *leaves;
		size_t len;
		char *data = fid_read(dir, *nm, ".eml", &len);

		if (jp == NULL || data == NULL) {
			g_clear_object(&jp);
			g_free(data);
			continue;
		}
		leaves = fid_leaves(data, len);
		m4_compare(run, dir, *nm, j_obj(json_parser_get_root(jp)), leaves);
		if (leaves != NULL)
			g_ptr_array_unref(leaves);
		g_object_unref(jp);
		g_free(data);
		n++;
	}
	g_strfreev(names);
	return n;
}
