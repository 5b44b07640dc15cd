/*
 * mime.c - parse a raw message with GMime into struct mime_message.
 *
 * GMime does the MIME work (structure, transfer decoding, RFC 2047/2231);
 * this file decides which part is the body, which parts are attachments,
 * what a forwarded message contributes, and makes every string safe to
 * store and to show.  Headers are read in mime_header.c, text bytes become
 * UTF-8 in mime_text.c, and mime_leaf.c walks the same tree for the
 * fidelity tests.
 */
#include "casemail/mime.h"

#include <string.h>

#include "casemail/html2text.h"
#include "casemail/record.h"
#include "casemail/tnef.h"
#include "mime_private.h"

struct mime_walk {
	struct mime_message *msg;
	GMimeParserOptions *opts;
	GString *plain;      /* text/plain body parts, in order */
	char *html;          /* the first text/html body part */
	int leaves;          /* shared with the walks of forwarded messages */
	/* Inside a forwarded message only the text is taken: the message is
	 * stored whole as an .eml, so its parts are not stored twice. */
	int forwarded;
	GString *fwd;        /* the forwarded messages' text, outermost first */
	const char *const *charsets; /* the message's, for raw 8-bit names */
	GMimeObject *html_obj; /* the part html came from (a reference) */
};

static void mime_walk_object(struct mime_walk *w, GMimeObject *obj,
			     int depth, int skip_text);

void
mime_init(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		g_mime_init();
		html2text_init();
		g_once_init_leave(&once, 1);
	}
}

static const struct record_field mime_address_strings[] = {
	RECORD_STRING(struct mime_address, name),
	RECORD_STRING(struct mime_address, address),
};

static const struct record_field mime_part_fields[] = {
	RECORD_STRING(struct mime_part, filename),
	RECORD_STRING(struct mime_part, content_type),
	RECORD_STRING(struct mime_part, content_id),
	RECORD_BYTES(struct mime_part, data),
};

static const struct record_field mime_message_fields[] = {
	RECORD_STRING(struct mime_message, subject),
	RECORD_STRING(struct mime_message, from.name),
	RECORD_STRING(struct mime_message, from.address),
	RECORD_STRING(struct mime_message, message_id),
	RECORD_STRING(struct mime_message, in_reply_to),
	RECORD_STRING(struct mime_message, text),
	RECORD_STRING(struct mime_message, auto_submitted),
	RECORD_STRING(struct mime_message, precedence),
	RECORD_STRING(struct mime_message, x_autoreply),
	RECORD_STRING(struct mime_message, x_autorespond),
	RECORD_STRING(struct mime_message, x_auto_response_suppress),
	RECORD_STRING(struct mime_message, return_path),
	RECORD_STRING(struct mime_message, list_id),
	RECORD_STRING(struct mime_message, x_loop),
	RECORD_STRING(struct mime_message, content_type),
	RECORD_STRING(struct mime_message, report_type),
	RECORD_STRING(struct mime_message, dsn_original_id),
	RECORD_STRING(struct mime_message, delivered_to),
	RECORD_STRING(struct mime_message, x_original_to),
	RECORD_PTR_ARRAY(struct mime_message, to),
	RECORD_PTR_ARRAY(struct mime_message, cc),
	RECORD_PTR_ARRAY(struct mime_message, reply_to),
	RECORD_PTR_ARRAY(struct mime_message, references),
	RECORD_PTR_ARRAY(struct mime_message, parts),
	RECORD_PTR_ARRAY(struct mime_message, warnings),
	RECORD_PTR_ARRAY(struct mime_message, dsn_recipients),
	RECORD_PTR_ARRAY(struct mime_message, auth_results),
};

void
mime_address_free(gpointer p)
{
	record_free(p, mime_address_strings,
		    G_N_ELEMENTS(mime_address_strings));
}

static void
mime_part_free(gpointer p)
{
	record_free(p, mime_part_fields, G_N_ELEMENTS(mime_part_fields));
}

static struct mime_message *
mime_message_new(void)
{
	struct mime_message *m = g_new0(struct mime_message, 1);

	m->to = g_ptr_array_new_with_free_func(mime_address_free);
	m->cc = g_ptr_array_new_with_free_func(mime_address_free);
	m->reply_to = g_ptr_array_new_with_free_func(mime_address_free);
	m->references = g_ptr_array_new_with_free_func(g_free);
	m->parts = g_ptr_array_new_with_free_func(mime_part_free);
	m->warnings = g_ptr_array_new_with_free_func(g_free);
	m->dsn_recipients = g_ptr_array_new_with_free_func(g_free);
	m->auth_results = g_ptr_array_new_with_free_func(g_free);
	return m;
}

void
mime_message_free(struct mime_message **mp)
{
	record_clear(mp, mime_message_fields,
		     G_N_ELEMENTS(mime_message_fields));
}

/* ---- parts ------------------------------------------------------------- */

GBytes *
mime_part_bytes(GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *mem;
	GByteArray *ba;
	GBytes *b;

	if (w == NULL)
		return g_bytes_new(NULL, 0);
	if (g_mime_data_wrapper_get_encoding(w) == GMIME_CONTENT_ENCODING_BASE64)
		return mime_base64_content(part); /* GMime's loses bytes */
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	b = g_bytes_new(ba->data, ba->len);
	g_object_unref(mem);
	return b;
}

char *
mime_bytes_text(GBytes *b, const char *charset)
{
	gsize len;
	const char *data = g_bytes_get_data(b, &len);
	char *utf8 = mime_text_to_utf8(data, len, charset);
	char *clean = mime_clean_text(utf8, -1);

	g_free(utf8);
	return clean;
}

char *
mime_part_text(GMimePart *part)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	GBytes *b = mime_part_bytes(part);
	char *text = mime_bytes_text(b, ct != NULL
		? g_mime_content_type_get_parameter(ct, "charset") : NULL);

	g_bytes_unref(b);
	return text;
}

GBytes *
mime_multipart_orphan(GMimeMultipart *mp)
{
	const char *pro = g_mime_multipart_get_prologue(mp);

	if (g_mime_multipart_get_count(mp) > 0 || pro == NULL ||
	    pro[strspn(pro, " \t\r\n")] == '\0')
		return NULL;
	return g_bytes_new(pro, strlen(pro));
}

char *
mime_type_of(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *t = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	const char *raw = g_mime_object_get_header(obj, "Content-Type");
	char *low;

	/* GMime makes "Content-Type: text" application/octet-stream; RFC
	 * 2045 5.2 says a type without a subtype means text/plain. */
	if (raw != NULL && memchr(raw, '/', strcspn(raw, ";")) == NULL) {
		g_free(t);
		return g_strdup("text/plain");
	}
	low = g_ascii_strdown(t != NULL ? t : "application/octet-stream", -1);
	g_free(t);
	return low;
}

static void
mime_add_part(struct mime_walk *w, GMimeObject *obj, GBytes *data,
	      const char *filename)
{
	struct mime_part *p = g_new0(struct mime_part, 1);
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
	const char *cid = g_mime_object_get_content_id(obj);
	int attachment = disp != NULL && g_mime_content_disposition_is_attachment(disp);

	p->content_type = mime_type_of(obj);
	p->filename = mime_safe_filename(filename);
	p->content_id = cid != NULL ? mime_clean_header(cid) : NULL;
	/* Inline: explicitly so, or an image the HTML refers to by CID. */
	p->inline_part = !attachment && (disp != NULL || p->content_id != NULL);
	p->data = data;
	g_ptr_array_add(w->msg->parts, p);
}

/* message/delivery-status: who could not be reached. */
static void
mime_read_dsn(struct mime_message *m, const char *text)
{
	char **lines = g_strsplit(text, "\n", 2000);

	for (char **l = lines; *l != NULL; l++) {
		const char *semi;

		if (g_ascii_strncasecmp(*l, "Final-Recipient:", 16) != 0 ||
		    (semi = strchr(*l, ';')) == NULL)
			continue;
		if (m->dsn_recipients->len < 100) {
			char *addr = g_strstrip(g_ascii_strdown(semi + 1, -1));

			g_ptr_array_add(m->dsn_recipients, addr);
		}
	}
	g_strfreev(lines);
}

char *
mime_type_from_name(const char *name)
{
	/* The files of uuencoding's era; anything else stays generic. */
	static const char *const types[][2] = {
		{ ".gif", "image/gif" }, { ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" }, { ".png", "image/png" },
		{ ".pdf", "application/pdf" }, { ".txt", "text/plain" },
		{ ".zip", "application/zip" }, { ".doc", "application/msword" },
		{ ".xls", "application/vnd.ms-excel" }, { ".tif", "image/tiff" },
		{ ".tiff", "image/tiff" }, { ".htm", "text/html" },
		{ ".html", "text/html" },
	};
	const char *dot = name != NULL ? strrchr(name, '.') : NULL;

	for (size_t i = 0; dot != NULL && i < G_N_ELEMENTS(types); i++)
		if (g_ascii_strcasecmp(dot, types[i][0]) == 0)
			return g_strdup(types[i][1]);
	return g_strdup("application/octet-stream");
}

/*
 * Files pasted into a text body as "begin 644 name" blocks (old mailers,
 * Usenet gateways) become attachments; the text keeps the rest.  GMime
 * decodes x-uuencode parts but leaves such blocks in the text.
 */
static char *
mime_take_uuencoded(struct mime_walk *w, char *text)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(mime_uu_file_free);
	char *rest = mime_uu_extract(text, files);

	for (guint i = 0; i < files->len && !w->forwarded; i++) {
		struct mime_uu_file *f = files->pdata[i];
		struct mime_part *p = g_new0(struct mime_part, 1);

		p->filename = mime_safe_filename(f->name);
		p->content_type = mime_type_from_name(p->filename);
		p->data = g_bytes_ref(f->data);
		g_ptr_array_add(w->msg->parts, p);
	}
	g_ptr_array_unref(files);
	if (rest == NULL)
		return text;
	g_free(text);
	return rest;
}

static void
mime_walk_leaf(struct mime_walk *w, GMimeObject *obj, int skip_text)
{
	GMimePart *part = GMIME_PART(obj);
	char *type = mime_type_of(obj);
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
	int attachment = disp != NULL && g_mime_content_disposition_is_attachment(disp);
	int is_plain = strcmp(type, "text/plain") == 0;
	int is_html = strcmp(type, "text/html") == 0;

	if (!attachment && (is_plain || is_html)) {
		char *text = skip_text ? NULL : mime_part_text(part);

		if (text != NULL && is_plain)
			text = mime_take_uuencoded(w, text);
		if (text != NULL && is_plain) {
			if (w->plain->len > 0)
				g_string_append(w->plain, "\n\n");
			g_string_append(w->plain, text);
		} else if (text != NULL && w->html == NULL) {
			w->html = g_steal_pointer(&text);
			w->html_obj = g_object_ref(obj);
		} else if (text != NULL && !w->forwarded) {
			/* a second HTML body: kept as a part, not lost */
			mime_add_part(w, obj, mime_part_bytes(part),
				      g_mime_part_get_filename(part));
		}
		g_free(text);
	} else if (w->forwarded) {
		/* kept inside the forwarded message's .eml */
	} else if (strcmp(type, "message/delivery-status") == 0) {
		char *text = mime_part_text(part);

		mime_read_dsn(w->msg, text);
		g_free(text);
		mime_add_part(w, obj, mime_part_bytes(part), "delivery-status.txt");
	} else {
		char *name = mime_part_filename(obj, w->opts, w->charsets);

		mime_add_part(w, obj, mime_part_bytes(part), name);
		g_free(name);
		/* A winmail.dat stays; its files are added after it. */
		tnef_expand_last_part(w->msg);
	}
	g_free(type);
}

static int
mime_is_message_type(GMimeObject *obj)
{
	char *type = mime_type_of(obj);
	int yes = strcmp(type, "message/rfc822") == 0 ||
		  strcmp(type, "message/global") == 0;

	g_free(type);
	return yes;
}

GMimeMessage *
mime_inner_message(GMimeObject *obj, GMimeParserOptions *opts)
{
	static const struct mime_limits inner_limits = {
		SIZE_MAX, MIME_MAX_PARTS, MIME_MAX_DEPTH, SIZE_MAX,
	};
	struct mime_scan_result scanned;
	GMimeMessage *inner = NULL;
	GBytes *b;
	gsize len;
	const char *data;

	if (GMIME_IS_MESSAGE_PART(obj)) {
		inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		return inner != NULL ? g_object_ref(inner) : NULL;
	}
	if (!GMIME_IS_PART(obj) || GMIME_IS_MESSAGE_PARTIAL(obj) ||
	    !mime_is_message_type(obj))
		return NULL;
	/* GMime parses only an unencoded message/rfc822; an encoded one
	 * (base64 from some webmailers) is decoded and parsed here. */
	b = mime_part_bytes(GMIME_PART(obj));
	data = g_bytes_get_data(b, &len);
	/* The outer scan could not see through the encoding: this one does,
	 * with the walk's own bounds. */
	if (len > 0 && mime_scan(data, len, len, &inner_limits, &scanned,
				 NULL) == 0)
		inner = mime_construct_with(data, len, opts);
	g_bytes_unref(b);
	return inner;
}

static int
mime_is_blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* The text a walk collected: the plain parts, else (none, or only white
 * space) the HTML as text (*from_html_r set then). */
static char *
mime_walk_text(struct mime_walk *w, int *from_html_r)
{
	char *text = NULL, *out;

	*from_html_r = 0;
	if (!mime_is_blank(w->plain->str) || w->html == NULL)
		return g_strdup(w->plain->str);
	if (html2text(w->html, strlen(w->html), &text, NULL) != 0)
		return g_strdup(w->html);
	*from_html_r = 1;
	out = mime_clean_text(text, -1);
	g_free(text);
	return out;
}

static void
mime_fwd_field(GString *out, const char *name, const char *value)
{
	char *clean = mime_clean_header(value);

	if (clean != NULL && clean[0] != '\0')
		g_string_append_printf(out, "%s: %s\n", name, clean);
	g_free(clean);
}

/*
 * The text of a forwarded message goes after the body, under the line
 * mail clients write (quote.c keeps such blocks), so it is searchable.
 * Its own forwarded messages follow it.
 */
static void
mime_walk_forwarded(struct mime_walk *w, GMimeMessage *inner, int depth)
{
	struct mime_walk sub = { w->msg, w->opts, g_string_new(NULL), NULL,
				 w->leaves, 1, w->fwd, w->charsets, NULL };
	GMimeObject *o = GMIME_OBJECT(inner);
	InternetAddressList *from = g_mime_message_get_from(inner);
	char *who = from != NULL ? internet_address_list_to_string(from, NULL,
								  FALSE) : NULL;
	char *text;
	int from_html;
	gsize at;

	g_string_append(w->fwd, "\n\n---------- Forwarded message ----------\n");
	mime_fwd_field(w->fwd, "From", who);
	mime_fwd_field(w->fwd, "Date", g_mime_object_get_header(o, "Date"));
	mime_fwd_field(w->fwd, "Subject", g_mime_message_get_subject(inner));
	g_string_append_c(w->fwd, '\n');
	at = w->fwd->len;
	mime_walk_object(&sub, g_mime_message_get_mime_part(inner), depth + 1, 0);
	w->leaves = sub.leaves;
	text = mime_walk_text(&sub, &from_html);
	g_strchomp(text);
	g_string_insert(w->fwd, (gssize)at, text);
	g_free(text);
	g_free(who);
	g_string_free(sub.plain, TRUE);
	g_free(sub.html);
	if (sub.html_obj != NULL)
		g_object_unref(sub.html_obj);
}

/* The .eml's name: the sender's, else the subject's. */
static char *
mime_eml_name(GMimeObject *obj, GMimeMessage *inner)
{
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
	const char *name = disp != NULL
		? g_mime_content_disposition_get_parameter(disp, "filename") : NULL;
	const char *subject = g_mime_message_get_subject(inner);

	if (name != NULL && name[0] != '\0')
		return g_strdup(name);
	return g_strdup_printf("%s.eml", subject != NULL && subject[0] != '\0'
				 ? subject : "forwarded message");
}

/* A forwarded message: kept whole as an .eml attachment, its text added
 * to the searchable text. */
static void
mime_walk_message_part(struct mime_walk *w, GMimeObject *obj, int depth,
		       int skip_text)
{
	GMimeMessage *inner = mime_inner_message(obj, w->opts);
	GMimeStream *mem;
	GByteArray *ba;
	char *name;

	if (inner == NULL) {
		/* not a message after all: an attachment like any other */
		if (GMIME_IS_PART(obj))
			mime_walk_leaf(w, obj, skip_text);
		return;
	}
	if (!w->forwarded) {
		mem = g_mime_stream_mem_new();
		g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, mem);
		ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		name = mime_eml_name(obj, inner);
		if (w->msg->dsn_original_id == NULL &&
		    g_mime_message_get_message_id(inner) != NULL)
			w->msg->dsn_original_id = mime_bracket_id(
				g_mime_message_get_message_id(inner));
		mime_add_part(w, obj, g_bytes_new(ba->data, ba->len), name);
		g_free(name);
		g_object_unref(mem);
	}
	if (!skip_text)
		mime_walk_forwarded(w, inner, depth);
	g_object_unref(inner);
}

/* A text/plain body part with more than white space in it. */
static int
mime_is_body_text(GMimeObject *obj)
{
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
	char *type, *text;
	int yes;

	if (!GMIME_IS_PART(obj) ||
	    (disp != NULL && g_mime_content_disposition_is_attachment(disp)))
		return 0;
	type = mime_type_of(obj);
	yes = strcmp(type, "text/plain") == 0;
	g_free(type);
	if (!yes)
		return 0;
	text = mime_part_text(GMIME_PART(obj));
	yes = !mime_is_blank(text);
	g_free(text);
	return yes;
}

/*
 * multipart/alternative: the text/plain child is the body; the others
 * say the same thing, so only their non-text parts (inline images of an
 * HTML alternative) are kept.  Without a plain child (or with only a
 * blank one), the last child (usually the HTML) is walked as the body.
 */
static void
mime_walk_alternative(struct mime_walk *w, GMimeMultipart *mp, int depth,
		      int skip_text)
{
	int n = g_mime_multipart_get_count(mp), body = -1;

	for (int i = 0; i < n && body < 0; i++)
		if (mime_is_body_text(g_mime_multipart_get_part(mp, i)))
			body = i;
	if (body < 0)
		body = n - 1; /* RFC 2046: the last is the richest */
	for (int i = 0; i < n; i++)
		mime_walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1,
				 skip_text || i != body);
}

/* A multipart without parts: its prologue is the text, not nothing. */
static void
mime_walk_prologue(struct mime_walk *w, GMimeMultipart *mp)
{
	GBytes *orphan = mime_multipart_orphan(mp);
	char *text;

	if (orphan == NULL)
		return;
	text = mime_bytes_text(orphan, NULL);
	if (w->plain->len > 0)
		g_string_append(w->plain, "\n\n");
	g_string_append(w->plain, text);
	g_free(text);
	g_bytes_unref(orphan);
}

static void
mime_walk_multipart(struct mime_walk *w, GMimeObject *obj, int depth,
		    int skip_text)
{
	GMimeMultipart *mp = GMIME_MULTIPART(obj);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *sub = ct != NULL ? g_mime_content_type_get_media_subtype(ct) : "";
	int n = g_mime_multipart_get_count(mp);
	GMimeMultipart *found;

	if (n == 0 && (found = mime_multipart_recover(mp, w->opts)) != NULL) {
		/* its boundary fell off: the parts are read again */
		mime_walk_multipart(w, GMIME_OBJECT(found), depth, skip_text);
		g_object_unref(found);
		return;
	}
	if (n == 0 && !skip_text)
		mime_walk_prologue(w, mp);
	if (sub != NULL && g_ascii_strcasecmp(sub, "alternative") == 0) {
		mime_walk_alternative(w, mp, depth, skip_text);
		return;
	}
	if (sub != NULL && g_ascii_strcasecmp(sub, "signed") == 0 && n > 1)
		n = 1; /* the second part is the signature itself */
	for (int i = 0; i < n; i++)
		mime_walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1,
				 skip_text);
}

static void
mime_walk_object(struct mime_walk *w, GMimeObject *obj, int depth,
		 int skip_text)
{
	if (obj == NULL)
		return;
	if (depth > MIME_MAX_DEPTH || w->leaves >= MIME_MAX_PARTS) {
		if (w->msg->warnings->len == 0)
			g_ptr_array_add(w->msg->warnings, g_strdup_printf(
				"structure beyond %d levels or %d parts not "
				"walked (the raw message keeps it)",
				MIME_MAX_DEPTH, MIME_MAX_PARTS));
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		mime_walk_multipart(w, obj, depth, skip_text);
	} else if (GMIME_IS_MESSAGE_PART(obj) || mime_is_message_type(obj)) {
		w->leaves++;
		mime_walk_message_part(w, obj, depth, skip_text);
	} else if (GMIME_IS_PART(obj)) {
		w->leaves++;
		mime_walk_leaf(w, obj, skip_text);
	}
}

static void
mime_read_body(struct mime_message *m, GMimeMessage *gm,
	       GMimeParserOptions *opts)
{
	struct mime_walk w = { m, opts, g_string_new(NULL), NULL, 0, 0,
			       g_string_new(NULL), mime_declared_charsets(gm),
			       NULL };
	GMimeObject *top = g_mime_message_get_mime_part(gm);
	GMimeContentType *ct = top != NULL ? g_mime_object_get_content_type(top) : NULL;

	m->content_type = top != NULL ? mime_type_of(top) : g_strdup("text/plain");
	if (ct != NULL && g_mime_content_type_get_parameter(ct, "report-type"))
		m->report_type = g_ascii_strdown(
			g_mime_content_type_get_parameter(ct, "report-type"), -1);
	mime_walk_object(&w, top, 0, 0);
	m->text = mime_walk_text(&w, &m->text_from_html);
	if (w.html_obj != NULL && !m->text_from_html)
		/* the plain text won: the HTML beside it is kept as a part */
		mime_add_part(&w, w.html_obj, mime_part_bytes(GMIME_PART(
			w.html_obj)), g_mime_part_get_filename(GMIME_PART(
			w.html_obj)));
	/* Trailing blank lines carry nothing and upset comparisons. */
	g_strchomp(m->text);
	if (w.fwd->len > 0) {
		/* fwd starts with a blank line, needless if nothing precedes */
		char *all = g_strconcat(m->text, m->text[0] != '\0'
					? w.fwd->str : w.fwd->str + 2, NULL);

		g_free(m->text);
		m->text = g_strchomp(all);
	}
	g_string_free(w.plain, TRUE);
	g_string_free(w.fwd, TRUE);
	g_free(w.html);
	if (w.html_obj != NULL)
		g_object_unref(w.html_obj);
}

static GMimeMessage *
mime_construct_once(const char *data, size_t len, GMimeParserOptions *opts)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *gm = g_mime_parser_construct_message(parser, opts);

	g_object_unref(parser);
	g_object_unref(stream);
	return gm;
}

GMimeMessage *
mime_construct_with(const char *data, size_t len, GMimeParserOptions *opts)
{
	GMimeMessage *gm = mime_construct_once(data, len, opts);
	char *body;

	if (gm != NULL || len == 0)
		return gm;
	/* GMime refuses input whose first line is no header (a BSMTP
	 * envelope, a bare body).  Read it as a body with no headers: the
	 * text is kept and searchable instead of being refused. */
	body = g_malloc(len + 1);
	body[0] = '\n';
	memcpy(body + 1, data, len);
	gm = mime_construct_once(body, len + 1, opts);
	g_free(body);
	return gm;
}

GMimeMessage *
mime_construct(const char *data, size_t len, GMimeParserOptions **opts_r)
{
	static const char *fallback[] = { "UTF-8", "windows-1252", NULL };
	GMimeParserOptions *opts;

	mime_init();
	opts = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(opts, fallback);
	g_mime_parser_options_set_rfc2047_compliance_mode(opts,
		GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(opts,
		GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(opts,
		GMIME_RFC_COMPLIANCE_LOOSE);
	*opts_r = opts;
	return mime_construct_with(data, len, opts);
}

int
mime_parse(const char *data, size_t len, struct mime_message **msg_r,
	   struct cm_error *err)
{
	GMimeParserOptions *opts;
	GMimeMessage *gm;
	struct mime_message *m;
	char *cut;
	size_t cut_len = 0, skip;

	*msg_r = NULL;
	if (len == 0)
		return cm_error_set(err, CM_EINPUT, "empty message");
	m = mime_message_new();
	if ((skip = mime_header_start(data, len)) > 0) {
		g_ptr_array_add(m->warnings, g_strdup_printf(
			"%zu bytes before the header skipped (no header "
			"field)", skip));
		data += skip;
		len -= skip;
	}
	cut = mime_cut_fields(data, len, &cut_len, m->warnings);
	if (cut != NULL) {
		data = cut;
		len = cut_len;
	}
	gm = mime_construct(data, len, &opts);
	if (gm == NULL) {
		g_mime_parser_options_free(opts);
		mime_message_free(&m);
		g_free(cut);
		return cm_error_set(err, CM_EINPUT, "not a mail message");
	}
	mime_read_headers(m, gm, opts);
	mime_read_ids(m, gm, opts, data, len);
	mime_read_body(m, gm, opts);
	g_object_unref(gm);
	g_mime_parser_options_free(opts);
	g_free(cut);
	*msg_r = m;
	return 0;
}
