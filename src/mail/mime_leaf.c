/*
 * mime_leaf.c - every leaf of a message in document order.
 *
 * mime_parse() decides what a message means for a case (one body, some
 * attachments); this walk reports the tree as it is, for the fidelity
 * tests that hold our parse against other parsers' expectations.  It uses
 * the same construction and decoding helpers as mime_parse(), so what it
 * measures is what ingest stores.
 */
#include "casemail/mime.h"

#include <string.h>

#include "mime_private.h"

struct leaf_walk {
	mime_leaf_cb cb;
	void *ctx;
	GMimeParserOptions *opts;
	const char *const *charsets; /* the message's, for raw 8-bit names */
	int leaves;
	int stopped;
};

static void leaf_walk_object(struct leaf_walk *w, GMimeObject *obj,
			     const char *path, int depth);

/* Lower-case copy of a header-ish value, or NULL. */
static char *
leaf_lower(const char *s)
{
	return s != NULL ? g_ascii_strdown(s, -1) : NULL;
}

static void
leaf_emit(struct leaf_walk *w, struct mime_leaf *leaf, GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeContentDisposition *disp =
		g_mime_object_get_content_disposition(obj);
	char *type = mime_type_of(obj);
	char *dispo = leaf_lower(disp != NULL
		? g_mime_content_disposition_get_disposition(disp) : NULL);
	char *cid = mime_clean_header(g_mime_object_get_content_id(obj));
	char *name = mime_part_filename(obj, w->opts, w->charsets);

	leaf->content_type = type;
	leaf->charset = ct != NULL
		? g_mime_content_type_get_parameter(ct, "charset") : NULL;
	leaf->disposition = dispo;
	leaf->content_id = cid;
	leaf->filename = name;
	w->leaves++;
	if (w->cb(leaf, w->ctx) != 0)
		w->stopped = 1;
	g_free(name);
	g_free(type);
	g_free(dispo);
	g_free(cid);
}

/* The uuencoded blocks of a text leaf, as pseudo-leaves after it. */
static void
leaf_emit_uu(struct leaf_walk *w, const char *text, const char *path,
	     int depth)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(mime_uu_file_free);
	char *rest = mime_uu_extract(text, files);

	for (guint i = 0; i < files->len && !w->stopped; i++) {
		const struct mime_uu_file *f = files->pdata[i];
		char *upath = g_strdup_printf("%s.uu%u", path, i + 1);
		char *type = mime_type_from_name(f->name);
		struct mime_leaf leaf = {
			.kind = MIME_LEAF_UUENCODED, .path = upath,
			.depth = depth, .content_type = type,
			.filename = f->name, .data = f->data,
		};

		w->leaves++;
		if (w->cb(&leaf, w->ctx) != 0)
			w->stopped = 1;
		g_free(type);
		g_free(upath);
	}
	g_free(rest);
	g_ptr_array_unref(files);
}

static void
leaf_walk_part(struct leaf_walk *w, GMimeObject *obj, const char *path,
	       int depth)
{
	GMimePart *part = GMIME_PART(obj);
	struct mime_leaf leaf = { .path = path, .depth = depth };
	char *type = mime_type_of(obj);
	char *text = NULL;

	leaf.data = mime_part_bytes(part);
	if (g_str_has_prefix(type, "text/")) {
		leaf.kind = MIME_LEAF_TEXT;
		leaf.text = text = mime_part_text(part);
	} else {
		leaf.kind = MIME_LEAF_BINARY;
	}
	leaf_emit(w, &leaf, obj);
	if (text != NULL && !w->stopped && strcmp(type, "text/plain") == 0)
		leaf_emit_uu(w, text, path, depth);
	g_bytes_unref(leaf.data);
	g_free(text);
	g_free(type);
}

/* A forwarded message (maybe empty): the message itself, then its leaves. */
static void
leaf_walk_message(struct leaf_walk *w, GMimeObject *obj, GMimeMessage *inner,
		  const char *path, int depth)
{
	struct mime_leaf leaf = { .kind = MIME_LEAF_MESSAGE, .path = path,
				  .depth = depth };
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *ba;
	char *sub;

	if (inner != NULL)
		g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	leaf.data = g_bytes_new(ba->data, ba->len);
	g_object_unref(mem);
	leaf_emit(w, &leaf, obj);
	g_bytes_unref(leaf.data);
	if (w->stopped || inner == NULL)
		return;
	sub = g_strdup_printf("%s.1", path);
	leaf_walk_object(w, g_mime_message_get_mime_part(inner), sub,
			 depth + 1);
	g_free(sub);
}

/* A multipart without parts: its prologue is read as a text leaf. */
static void
leaf_walk_orphan(struct leaf_walk *w, GMimeMultipart *mp, const char *path,
		 int depth)
{
	struct mime_leaf leaf = { .kind = MIME_LEAF_TEXT, .path = path,
				  .depth = depth, .content_type = "text/plain" };
	char *text;

	leaf.data = mime_multipart_orphan(mp);
	if (leaf.data == NULL)
		return;
	leaf.text = text = mime_bytes_text(leaf.data, NULL);
	w->leaves++;
	if (w->cb(&leaf, w->ctx) != 0)
		w->stopped = 1;
	g_free(text);
	g_bytes_unref(leaf.data);
}

static void
leaf_walk_multipart(struct leaf_walk *w, GMimeMultipart *mp,
		    const char *path, int depth)
{
	int n = g_mime_multipart_get_count(mp);
	GMimeMultipart *found;

	if (n == 0 && (found = mime_multipart_recover(mp, w->opts)) != NULL) {
		/* its boundary fell off: the parts are read again */
		leaf_walk_multipart(w, found, path, depth);
		g_object_unref(found);
		return;
	}
	if (n == 0)
		leaf_walk_orphan(w, mp, path, depth);

	for (int i = 0; i < n && !w->stopped; i++) {
		char *sub = g_strdup_printf("%s.%d", path, i + 1);

		leaf_walk_object(w, g_mime_multipart_get_part(mp, i), sub,
				 depth + 1);
		g_free(sub);
	}
}

static void
leaf_walk_object(struct leaf_walk *w, GMimeObject *obj, const char *path,
		 int depth)
{
	GMimeMessage *inner;

	if (obj == NULL || w->stopped || depth > MIME_MAX_DEPTH ||
	    w->leaves >= MIME_MAX_PARTS)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		leaf_walk_multipart(w, GMIME_MULTIPART(obj), path, depth);
	} else if ((inner = mime_inner_message(obj, w->opts)) != NULL) {
		leaf_walk_message(w, obj, inner, path, depth);
		g_object_unref(inner);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		leaf_walk_message(w, obj, NULL, path, depth);
	} else if (GMIME_IS_PART(obj)) {
		leaf_walk_part(w, obj, path, depth);
	}
}

int
mime_walk_leaves(const char *data, size_t len, mime_leaf_cb cb, void *ctx,
		 struct cm_error *err)
{
	struct leaf_walk w = { .cb = cb, .ctx = ctx };
	GMimeMessage *gm;
	size_t skip;

	if (len == 0)
		return cm_error_set(err, CM_EINPUT, "empty message");
	/* as mime_parse() does: lines before the header are no part of it */
	skip = mime_header_start(data, len);
	gm = mime_construct(data + skip, len - skip, &w.opts);
	if (gm == NULL) {
		g_mime_parser_options_free(w.opts);
		return cm_error_set(err, CM_EINPUT, "not a mail message");
	}
	w.charsets = mime_declared_charsets(gm);
	leaf_walk_object(&w, g_mime_message_get_mime_part(gm), "1", 0);
	g_object_unref(gm);
	g_mime_parser_options_free(w.opts);
	return 0;
}
